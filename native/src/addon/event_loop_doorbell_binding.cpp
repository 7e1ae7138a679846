// new EventLoopDoorbell(mailboxWords, onRing): makes this worker's event loop the consumer's
// doorbell of a mailbox in park mode EventLoop (core/event_loop_doorbell.h): an eventfd,
// published in the mailbox header and polled by this loop; each time a thread rings it, onRing()
// is called here (once per poll, however many rings came). close() ends it; so does the worker's
// exit.
// ringEventLoop(mailboxWords, count): a JavaScript producer's ring of the same consumer; where
// it has published no eventfd, wakes up to count futex sleepers on the doorbell word instead.
#include <sys/eventfd.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <climits>

#include "abi/mailbox_layout.h"
#include "addon/bindings.h"
#include "addon/sab_view.h"
#include "core/event_loop_doorbell.h"
#include "core/futex.h"

namespace pvg::addon {
namespace {
WordView mailboxWords(const Napi::Value& value, const char* what) {
  WordView view = wordView(value, what);
  if (view.length < mailbox::kHeaderWords) throw Napi::RangeError::New(value.Env(), std::string(what) + " is shorter than a mailbox header");
  return view;
}

class EventLoopDoorbell : public Napi::ObjectWrap<EventLoopDoorbell> {
 public:
  static Napi::Function define(Napi::Env env) { return DefineClass(env, "EventLoopDoorbell", {InstanceMethod("close", &EventLoopDoorbell::Close)}); }

  explicit EventLoopDoorbell(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EventLoopDoorbell>(info), env_(info.Env()) {
    words_ = mailboxWords(info[0], "EventLoopDoorbell: mailbox words").words;
    if (!info[1].IsFunction()) throw Napi::TypeError::New(env_, "EventLoopDoorbell: onRing must be a function");
    if (std::atomic_ref<int32_t>(words_[mailbox::kEventLoopFdWord]).load() != 0)
      throw Napi::Error::New(env_, "EventLoopDoorbell: this mailbox already has an event-loop consumer");
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env_, &loop) != napi_ok || loop == nullptr) throw Napi::Error::New(env_, "EventLoopDoorbell: no event loop");
    fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd_ < 0) throw Napi::Error::New(env_, "EventLoopDoorbell: eventfd failed");
    poll_ = new uv_poll_t;
    if (uv_poll_init(loop, poll_, fd_) != 0) {
      delete poll_;
      poll_ = nullptr;
      ::close(fd_);
      throw Napi::Error::New(env_, "EventLoopDoorbell: uv_poll_init failed");
    }
    poll_->data = this;
    uv_poll_start(poll_, UV_READABLE, &EventLoopDoorbell::onReadable);
    uv_unref(reinterpret_cast<uv_handle_t*>(poll_));               // a parked consumer must not keep its worker alive on its own
    mailboxArray_ = Napi::Persistent(info[0].As<Napi::Object>());  // the SAB outlives the publication
    onRing_ = Napi::Persistent(info[1].As<Napi::Function>());
    publishEventLoopFd(words_, fd_);
    napi_add_env_cleanup_hook(env_, &EventLoopDoorbell::onEnvExit, this);
  }

  ~EventLoopDoorbell() override { close(true); }

 private:
  static void onReadable(uv_poll_t* handle, int status, int) {
    auto* self = static_cast<EventLoopDoorbell*>(handle->data);
    if (self == nullptr) return;
    eventfd_t rings = 0;
    (void)eventfd_read(self->fd_, &rings);  // drains the counter: one call for every ring so far
    if (status < 0 || self->onRing_.IsEmpty()) return;
    self->callOnRing();
  }

  // Through the C API: nothing here may throw a C++ exception out of the uv callback, and a
  // worker being terminated makes any call into JavaScript fail.
  void callOnRing() {
    napi_handle_scope scope = nullptr;
    if (napi_open_handle_scope(env_, &scope) != napi_ok) return;
    napi_value global = nullptr;
    napi_value result = nullptr;
    napi_get_global(env_, &global);
    // MakeCallback, so the promise the consumer's wait resolves runs its continuation now. No
    // async context (Node-API allows none): one would have to outlive the worker's clean-up hooks.
    if (napi_make_callback(env_, nullptr, global, onRing_.Value(), 0, nullptr, &result) == napi_pending_exception) {
      napi_value error = nullptr;
      if (napi_get_and_clear_last_exception(env_, &error) == napi_ok) napi_fatal_exception(env_, error);  // the worker's uncaught exception
    }
    napi_close_handle_scope(env_, scope);
  }
  static void onEnvExit(void* self) { static_cast<EventLoopDoorbell*>(self)->close(false); }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    close(true);
    return info.Env().Undefined();
  }

  void close(bool removeHook) {
    if (poll_ == nullptr) return;
    retireEventLoopFd(words_);  // after this no producer writes to fd_
    uv_poll_stop(poll_);
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
    ::close(fd_);
    fd_ = -1;
    if (removeHook) napi_remove_env_cleanup_hook(env_, &EventLoopDoorbell::onEnvExit, this);
  }

  Napi::Env env_;
  int32_t* words_ = nullptr;
  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  Napi::ObjectReference mailboxArray_;
  Napi::FunctionReference onRing_;
};

Napi::Value RingEventLoop(const Napi::CallbackInfo& info) {
  int32_t* words = mailboxWords(info[0], "ringEventLoop: mailbox words").words;
  int count = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 1;
  if (ringEventLoop(words)) return Napi::Number::New(info.Env(), 1);
  return Napi::Number::New(info.Env(), futexWake(words + mailbox::kDoorbellStateWord, count < 0 ? INT_MAX : count));
}
}  // namespace

void registerDoorbells(Napi::Env env, Napi::Object exports) {
  exports.Set("EventLoopDoorbell", EventLoopDoorbell::define(env));
  exports.Set("ringEventLoop", Napi::Function::New(env, RingEventLoop, "ringEventLoop"));
}
}  // namespace pvg::addon
