// Opaque JS handles for native objects (thread groups). A type tag makes a handle from one
// family unusable with another family's functions; the wrap's finalizer deletes the native
// object on the JS thread, so an abandoned handle still stops and joins its threads.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

namespace pvg::addon {
template <class T>
Napi::Object wrapHandle(Napi::Env env, std::unique_ptr<T> native, const napi_type_tag& tag) {
  Napi::Object handle = Napi::Object::New(env);
  handle.TypeTag(&tag);
  napi_status status = napi_wrap(
      env, handle, native.get(), [](napi_env, void* data, void*) { delete static_cast<T*>(data); }, nullptr, nullptr);
  NAPI_THROW_IF_FAILED(env, status, Napi::Object());
  native.release();  // owned by the wrap now
  return handle;
}

template <class T>
T& unwrapHandle(const Napi::Value& value, const napi_type_tag& tag, const std::string& what) {
  Napi::Env env = value.Env();
  if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&tag)) {
    throw Napi::TypeError::New(env, what);
  }
  void* data = nullptr;
  napi_status status = napi_unwrap(env, value, &data);
  if (status != napi_ok || data == nullptr) throw Napi::TypeError::New(env, what);
  return *static_cast<T*>(data);
}
}  // namespace pvg::addon
