// pvg-vmm's embedding API: build a VM from actors, run it, read its frames and counters, and
// bring your own vCPU loop. (The README shows examples; issue 6 completes and documents it.)
export { Vm, type VmStats } from './vmm/vm.js';
export { VmConfigError, DEFAULT_MODES, type VmOptions, type DeviceOptions, type WorkloadOptions } from './vmm/config.js';
export { connectVcpu, type ExternalVcpuConfig, type ConnectedVcpu } from './actors/vcpu/external.js';
export type { VcpuServices, CpuBackend, StepOutcome } from './actors/vcpu/cpu-backend.js';
export { VmFailure, ActorCrashedError, ActorExitedError, VmStoppedError } from './actors/runtime/errors.js';
export { WORKLOAD_NAMES } from './actors/vcpu/guest/workloads/index.js';
export { toChromeTrace } from './shared/trace/chrome.js';
export { TraceSetReader } from './shared/trace/reader.js';
