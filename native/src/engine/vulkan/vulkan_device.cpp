// Opening the Vulkan backend's device at run time: dlopen the loader, an instance, a physical
// device with a compute queue, a logical device and the blend pipeline (docs/vulkan.md). Every
// failure is a Refusal with a detail; nothing here asserts or throws on what the system lacks.
#include "engine/vulkan/vulkan_backend.h"

#if !PVG_VULKAN
namespace pvg::engine::vk {
class GpuDevice {};
OpenResult openDevice(const OpenOptions&, const Interpose&) {
  return OpenResult{nullptr, Refusal::NotBuilt, "this build of the addon has no Vulkan backend (the Vulkan headers or glslc were missing at build time)"};
}
DeviceInfo deviceInfo(const GpuDevice&) { return {}; }
std::unique_ptr<FrameStore> makeFrameStore(const std::shared_ptr<GpuDevice>&, uint32_t, EngineTracer*, JobQueue*, unsigned) { return nullptr; }
}  // namespace pvg::engine::vk
#else
#include <dlfcn.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/vulkan/gpu_device.h"
#include "engine/vulkan/memory_types.h"

// Vulkan's create-info structs are filled as {sType} then field by field: the rest stays zero.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace pvg::engine::vk {
namespace {
// The blend shader's SPIR-V, compiled from shaders/blend_over.comp by glslc at build time.
constexpr uint32_t kBlendSpirv[] = {
#include "blend_over.spv.inc"
};

std::string vkError(const char* what, VkResult r) { return std::string(what) + " failed (VkResult " + std::to_string(static_cast<int>(r)) + ")"; }

const char* typeName(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return "discrete-gpu";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return "integrated-gpu";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return "virtual-gpu";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return "cpu";
    default:
      return "other";
  }
}

int rank(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return 2;
    default:
      return 3;
  }
}

// A queue family with compute (transfer is implied for compute queues), or -1.
int computeFamily(const Fns& f, VkPhysicalDevice pd) {
  uint32_t n = 0;
  f.vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, nullptr);
  std::vector<VkQueueFamilyProperties> families(n);
  f.vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, families.data());
  for (uint32_t i = 0; i < n; ++i)
    if ((families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && families[i].queueCount > 0) return static_cast<int>(i);
  return -1;
}

OpenResult refuse(Refusal refusal, std::string detail) { return OpenResult{nullptr, refusal, std::move(detail)}; }

// The pipeline: set layout, pipeline layout, shader module, compute pipeline.
VkResult makePipeline(GpuDevice& g) {
  const Fns& f = g.fns;
  VkDescriptorSetLayoutBinding bindings[2]{};
  bindings[0] = {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  bindings[1] = {1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  VkDescriptorSetLayoutCreateInfo setInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  setInfo.bindingCount = 2;
  setInfo.pBindings = bindings;
  if (VkResult r = f.vkCreateDescriptorSetLayout(g.device, &setInfo, nullptr, &g.setLayout); r != VK_SUCCESS) return r;
  VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(BlendPush)};
  VkPipelineLayoutCreateInfo layoutInfo{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layoutInfo.setLayoutCount = 1;
  layoutInfo.pSetLayouts = &g.setLayout;
  layoutInfo.pushConstantRangeCount = 1;
  layoutInfo.pPushConstantRanges = &push;
  if (VkResult r = f.vkCreatePipelineLayout(g.device, &layoutInfo, nullptr, &g.pipelineLayout); r != VK_SUCCESS) return r;
  VkShaderModuleCreateInfo moduleInfo{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  moduleInfo.codeSize = sizeof(kBlendSpirv);
  moduleInfo.pCode = kBlendSpirv;
  if (VkResult r = f.vkCreateShaderModule(g.device, &moduleInfo, nullptr, &g.blendShader); r != VK_SUCCESS) return r;
  VkComputePipelineCreateInfo pipeInfo{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  pipeInfo.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  pipeInfo.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  pipeInfo.stage.module = g.blendShader;
  pipeInfo.stage.pName = "main";
  pipeInfo.layout = g.pipelineLayout;
  return f.vkCreateComputePipelines(g.device, VK_NULL_HANDLE, 1, &pipeInfo, nullptr, &g.blendPipeline);
}
}  // namespace

GpuDevice::~GpuDevice() {
  if (device != VK_NULL_HANDLE) {
    fns.vkDeviceWaitIdle(device);
    if (blendPipeline) fns.vkDestroyPipeline(device, blendPipeline, nullptr);
    if (blendShader) fns.vkDestroyShaderModule(device, blendShader, nullptr);
    if (pipelineLayout) fns.vkDestroyPipelineLayout(device, pipelineLayout, nullptr);
    if (setLayout) fns.vkDestroyDescriptorSetLayout(device, setLayout, nullptr);
    fns.vkDestroyDevice(device, nullptr);
  }
  // The instance and the loader belong to the process (processInstance), not to this device.
}

namespace {
// The loader and one instance, opened once per loader path and kept for the life of the process:
// NVIDIA's driver (H100 host, 2026-12-06) refused the 31st vkCreateInstance of a process with
// VK_ERROR_INCOMPATIBLE_DRIVER, with or without the loader unloaded in between, while devices
// made from one instance came and went 200 times (docs/vulkan.md, "One instance per process").
// So every engine makes its own device from this instance, and nothing destroys it.
struct ProcessInstance {
  void* library = nullptr;
  VkInstance instance = VK_NULL_HANDLE;
  Fns fns;  // loaded through vkGetInstanceProcAddr(instance): the loader's trampolines
};

struct InstanceOrRefusal {
  const ProcessInstance* instance = nullptr;
  Refusal refusal = Refusal::NoLoader;
  std::string detail;
};

InstanceOrRefusal openInstance(const std::string& path) {
  auto failed = [](Refusal r, std::string detail) { return InstanceOrRefusal{nullptr, r, std::move(detail)}; };
  // RTLD_LOCAL: the loader's symbols stay out of the process's namespace. RTLD_NODELETE: a failed
  // open below leaves it loaded too, as a successful one does.
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (library == nullptr) {
    const char* why = dlerror();
    return failed(Refusal::NoLoader, "cannot open " + path + ": " + (why ? why : "unknown"));
  }
  auto p = std::make_unique<ProcessInstance>();
  p->library = library;
  Fns& f = p->fns;
  f.vkGetInstanceProcAddr = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(library, "vkGetInstanceProcAddr"));
  if (f.vkGetInstanceProcAddr == nullptr) return failed(Refusal::NoLoader, path + " has no vkGetInstanceProcAddr");
  f.vkCreateInstance = reinterpret_cast<PFN_vkCreateInstance>(f.vkGetInstanceProcAddr(VK_NULL_HANDLE, "vkCreateInstance"));
  if (f.vkCreateInstance == nullptr) return failed(Refusal::NoLoader, "the loader has no vkCreateInstance");

  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "pvg-vmm";
  app.apiVersion = VK_API_VERSION_1_1;
  VkInstanceCreateInfo instanceInfo{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  instanceInfo.pApplicationInfo = &app;
  if (VkResult r = f.vkCreateInstance(&instanceInfo, nullptr, &p->instance); r != VK_SUCCESS)
    return failed(Refusal::NoInstance, vkError("vkCreateInstance", r) + " (no Vulkan driver?)");
  // Instance and device entry points through vkGetInstanceProcAddr: the loader's trampolines.
  std::string missing;
#define PVG_VK_LOAD(name)                                                             \
  f.name = reinterpret_cast<PFN_##name>(f.vkGetInstanceProcAddr(p->instance, #name)); \
  if (f.name == nullptr) missing += missing.empty() ? #name : ", " #name;
  PVG_VK_INSTANCE_FNS(PVG_VK_LOAD)
  PVG_VK_DEVICE_FNS(PVG_VK_LOAD)
#undef PVG_VK_LOAD
  if (!missing.empty()) {
    if (f.vkDestroyInstance) f.vkDestroyInstance(p->instance, nullptr);
    return failed(Refusal::MissingFeature, "the loader lacks " + missing);
  }
  return InstanceOrRefusal{p.release(), Refusal::NoLoader, ""};
}

// The process's instance for `path`, opened on first use; a failure is not kept, so a later call
// tries again (a driver installed meanwhile). Thread-safe: engines open on their own threads.
InstanceOrRefusal processInstance(const std::string& path) {
  static std::mutex mutex;
  // Never freed: the instances live until the process ends (reachable, so no leak is reported).
  static auto* opened = new std::map<std::string, const ProcessInstance*>();
  std::lock_guard lock(mutex);
  if (auto it = opened->find(path); it != opened->end()) return InstanceOrRefusal{it->second, Refusal::NoLoader, ""};
  InstanceOrRefusal r = openInstance(path);
  if (r.instance != nullptr) opened->emplace(path, r.instance);
  return r;
}
}  // namespace

OpenResult openDevice(const OpenOptions& options, const Interpose& interpose) {
  const InstanceOrRefusal shared = processInstance(options.library);
  if (shared.instance == nullptr) return refuse(shared.refusal, shared.detail);
  auto g = std::make_shared<GpuDevice>();
  g->library = shared.instance->library;
  g->instance = shared.instance->instance;
  g->fns = shared.instance->fns;
  Fns& f = g->fns;
  if (interpose) interpose(f);

  uint32_t count = 0;
  f.vkEnumeratePhysicalDevices(g->instance, &count, nullptr);
  std::vector<VkPhysicalDevice> devices(count);
  if (count != 0) f.vkEnumeratePhysicalDevices(g->instance, &count, devices.data());
  devices.resize(count);
  if (devices.empty()) return refuse(Refusal::NoDevice, "vkEnumeratePhysicalDevices found no device");
  int chosen = -1, family = -1, best = 99;
  for (size_t i = 0; i < devices.size(); ++i) {
    if (options.deviceIndex >= 0 && static_cast<size_t>(options.deviceIndex) != i) continue;
    VkPhysicalDeviceProperties p{};
    f.vkGetPhysicalDeviceProperties(devices[i], &p);
    const int q = computeFamily(f, devices[i]);
    if (q < 0) continue;
    if (rank(p.deviceType) < best) {
      best = rank(p.deviceType);
      chosen = static_cast<int>(i);
      family = q;
    }
  }
  if (options.deviceIndex >= 0 && static_cast<size_t>(options.deviceIndex) >= devices.size())
    return refuse(Refusal::NoDevice, "device " + std::to_string(options.deviceIndex) + " asked for, " + std::to_string(devices.size()) + " present");
  if (chosen < 0) return refuse(Refusal::NoDevice, "no device has a compute queue");
  g->physical = devices[static_cast<size_t>(chosen)];
  g->queueFamily = static_cast<uint32_t>(family);
  VkPhysicalDeviceProperties props{};
  f.vkGetPhysicalDeviceProperties(g->physical, &props);
  f.vkGetPhysicalDeviceMemoryProperties(g->physical, &g->memory);
  g->limits = props.limits;
  {
    uint32_t families = 0;
    f.vkGetPhysicalDeviceQueueFamilyProperties(g->physical, &families, nullptr);
    std::vector<VkQueueFamilyProperties> list(families);
    if (families != 0) f.vkGetPhysicalDeviceQueueFamilyProperties(g->physical, &families, list.data());
    if (g->queueFamily < families) g->timestampBits = list[g->queueFamily].timestampValidBits;
    g->timestamps = g->timestampBits > 0 && props.limits.timestampPeriod > 0;
  }
  g->info = DeviceInfo{props.deviceName, "", typeName(props.deviceType), props.apiVersion, props.limits.maxStorageBufferRange};
  g->info.driver = std::to_string(VK_VERSION_MAJOR(props.driverVersion)) + "." + std::to_string(VK_VERSION_MINOR(props.driverVersion)) + "." +
                   std::to_string(VK_VERSION_PATCH(props.driverVersion));
  g->info.timestamps = g->timestamps;
  // What the backend needs: a window on the frame of at least one full row of the largest mode
  // (8192 pixels), push constants for the blit, and a host-visible coherent memory type.
  if (props.limits.maxStorageBufferRange < (1u << 20)) return refuse(Refusal::MissingFeature, "maxStorageBufferRange below 1 MiB");
  if (props.limits.maxPushConstantsSize < sizeof(BlendPush)) return refuse(Refusal::MissingFeature, "maxPushConstantsSize too small");
  if (pickMemoryType(g->memory, ~0u, MemoryUse::Upload) < 0) return refuse(Refusal::MissingFeature, "no host-visible coherent memory");

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queueInfo{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queueInfo.queueFamilyIndex = g->queueFamily;
  queueInfo.queueCount = 1;
  queueInfo.pQueuePriorities = &priority;
  VkDeviceCreateInfo deviceInfo{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  deviceInfo.queueCreateInfoCount = 1;
  deviceInfo.pQueueCreateInfos = &queueInfo;
  if (VkResult r = f.vkCreateDevice(g->physical, &deviceInfo, nullptr, &g->device); r != VK_SUCCESS) {
    g->device = VK_NULL_HANDLE;
    return refuse(Refusal::InitFailed, vkError("vkCreateDevice", r));
  }
  f.vkGetDeviceQueue(g->device, g->queueFamily, 0, &g->queue);
  if (VkResult r = makePipeline(*g); r != VK_SUCCESS) return refuse(Refusal::InitFailed, vkError("creating the blend pipeline", r));
  return OpenResult{std::move(g), std::nullopt, ""};
}

DeviceInfo deviceInfo(const GpuDevice& device) { return device.info; }
}  // namespace pvg::engine::vk
#endif
