// pvg-vmm's embedding API: build a VM from actors, run it, watch its displays, read its frames,
// counters and timeline, and bring your own vCPU loop. docs/embedding.md documents all of it.
export { Vm, type VmStats, type VmEvents } from './vmm/vm.js';
export {
  VmConfigError,
  DEFAULT_MODES,
  THREADING_MODELS,
  type VmOptions,
  type DeviceOptions,
  type WorkloadOptions,
  type OutputOptions,
  type ThreadingModel,
  START_MODES,
  type StartMode,
} from './vmm/config.js';
export { connectVcpu, type ExternalVcpuConfig, type ConnectedVcpu } from './actors/vcpu/external.js';
// What an external vCPU's MMIO calls throw when the VM stops or a device does not answer.
export { WaitAbandonedError } from './shared/wait-abandoned.js';
export { MailboxClosedError } from './shared/mailbox/errors.js';
export { ReplyError, ReplyTimeoutError } from './shared/reply/errors.js';
export { PostedWritesTimeoutError } from './shared/mmio/completion.js';
export type { VcpuServices, CpuBackend, StepOutcome } from './actors/vcpu/cpu-backend.js';
export { GuestProgram, type GuestProgramConfig } from './actors/vcpu/guest/program.js';
export { VmFailure, ActorCrashedError, ActorExitedError, VmStoppedError } from './actors/runtime/errors.js';
export type { CompositorEvent, CompositorStats, VncOptions } from './actors/compositor/messages.js';
export type { KeptFrame } from './actors/device/messages.js';
export { WORKLOAD_NAMES } from './actors/vcpu/guest/workloads/index.js';
export { toChromeTrace, type ChromeTrace } from './shared/trace/chrome.js';
export { TraceSetReader } from './shared/trace/reader.js';
export { toTimelineSvg, timelineWindow } from './shared/trace/svg.js';
