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
  PROFILES,
  type Profile,
  PACINGS,
  type Pacing,
} from './vmm/config.js';
export { connectVcpu, type ExternalVcpuConfig, type ConnectedVcpu } from './actors/vcpu/external.js';
// What an external vCPU's MMIO calls throw when the VM stops or a device does not answer.
export { WaitAbandonedError } from './shared/wait-abandoned.js';
export { MailboxClosedError } from './shared/mailbox/errors.js';
export { ReplyError, ReplyTimeoutError } from './shared/reply/errors.js';
export { PostedWritesTimeoutError } from './shared/mmio/completion.js';
export type { VcpuServices, CpuBackend, StepOutcome } from './actors/vcpu/cpu-backend.js';
export { GuestProgram, type GuestProgramConfig } from './guest/ts/program.js';
export { VmFailure, ActorCrashedError, ActorExitedError, VmStoppedError } from './actors/runtime/errors.js';
export { LifecycleTimeoutError, LifecycleRefusedError } from './vmm/lifecycle-errors.js';
export type { PauseOptions, ResetOptions, PauseReport } from './vmm/lifecycle.js';
// The control socket (docs/control.md): vm.startControl()'s options and its typed errors.
export type { ControlOptions } from './vmm/control/server.js';
export { ControlSocketError, CONTROL_ERROR_CLASSES, type ControlErrorClass } from './vmm/control/errors.js';
export { SnapshotFormatError, SnapshotUnsupportedError } from './vmm/snapshot/errors.js';
export type { RestoreOptions, SaveSnapshotOptions, SaveSnapshotReport } from './vmm/snapshot/machine.js';
export type { RamEncodeStats, RamCompression } from './vmm/snapshot/ram.js';
export type { EngineBackend, StoreFault } from './abi/generated/binding-strings.js';
export type { EngineChoice, EngineBackendName } from './vmm/engine-backend.js';
export type { CompositorEvent, CompositorStats, VncOptions } from './actors/compositor/messages.js';
export type { KeptFrame } from './actors/device/messages.js';
export { WORKLOAD_NAMES } from './guest/ts/workloads/index.js';
export { toChromeTrace, type ChromeTrace } from './shared/trace/chrome.js';
export { TraceSetReader } from './shared/trace/reader.js';
export { toTimelineSvg, timelineWindow } from './shared/trace/svg.js';
// Types the exports above refer to (what stats(), options and trace readers hand back).
export type { VcpuStats } from './actors/vcpu/messages.js';
export type { GuestStats, GuestProgramState } from './guest/ts/program.js';
export type { GuestInputState, PointerDecoderState } from './guest/ts/guest-input.js';
export type { VirtioInputDriverState } from './guest/ts/virtio-input.js';
export type { BusDeviceConfig, BusStats, VcpuBusPort } from './actors/vcpu/bus-port.js';
export type { VcpuIrqState } from './shared/irq/vcpu-irq.js';
export type { DeviceStats, DeviceVariant, CursorGlyph } from './actors/device/messages.js';
export type { TaskSpaceLimits } from './actors/device/task-space.js';
export type { IrqActorStats } from './actors/irq/messages.js';
export type { CompositorDisplayStats } from './actors/compositor/messages.js';
export type { MailboxStats } from './shared/mailbox/mailbox.js';
export type { BigLockStats } from './shared/lock/big-lock.js';
export type { GuestMemory, GuestMemoryDescriptor } from './shared/guest-memory/guest-memory.js';
export type { VncOutput, WebOutput } from './vmm/config-outputs.js';
export type { CpuChoice } from './actors/vcpu/kvm/availability.js';
export type { ChromeTraceEvent, TrackLabel } from './shared/trace/chrome.js';
export type { TraceEvent, DrainResult } from './shared/trace/reader.js';
export type { TimelineSvgOptions } from './shared/trace/svg.js';
export type { TimeWindow } from './shared/trace/svg/window.js';
export type { DisplayModeInfo, DriverState, MmioPort } from './guest/ts/driver.js';
export type { ReadLatencyStats } from './actors/vcpu/read-latency.js';
export type { DeviceDisplayStats } from './actors/device/messages.js';
export type { EngineStats, VulkanDeviceInfo } from './shared/native/types.js';
export type { MapSemantics, TaskSpaceStats } from './actors/device/task-space.js';
export type { FrameLatencyStats } from './actors/compositor/frame-latency.js';
export type { VmCompositorStats, CompositorShardStats } from './vmm/compositor-shards.js';
export type { BqlStats } from './shared/lock/bql.js';
export type { GuestRegion } from './shared/guest-memory/layout.js';
export type { LineStats } from './actors/irq/controller.js';
export type { TraceRingWriter } from './shared/trace/ring.js';
export type { KvmGuestStats } from './actors/vcpu/kvm/kvm-guest.js';
export type { VcpuState } from './actors/vcpu/messages.js';
export type { TranslateResult } from './shared/guest-memory/translate.js';
export type { VcpuIrqStats, HaltOutcome } from './shared/irq/vcpu-irq.js';
export type { VncServerStats } from './outputs/vnc/types.js';
export type { VncSinkStats } from './outputs/vnc-sink/protocol.js';
export type { InputRouteStats } from './outputs/vnc-sink/input-route.js';
export type { GuestAccess } from './shared/guest-memory/errors.js';
export type { KvmExitStats } from './actors/vcpu/kvm/exits.js';
export type { Trigger } from './actors/irq/controller.js';
export type { TaskSpaceErrorCode } from './actors/device/task-space.js';
export type { VncRectCounts } from './outputs/vnc/types.js';
export type { GuestMemoryError } from './shared/guest-memory/errors.js';
export type { TracePhase } from './shared/trace/layout.js';
export type { GuestMemoryErrorCode } from './shared/guest-memory/errors.js';
// virtio-input (docs/virtio.md): VmOptions.input and inputTransport, vm.input(device, display) and its stats.
export type { DisplayInput } from './vmm/vm-input.js';
export type { InputOptions, InputBinding, InputTransport, InputInterrupts } from './vmm/config-input.js';
export type { InputActorStats, InputDeviceKind } from './actors/input/messages.js';
export type { InputDeviceStats } from './actors/input/virtio-input.js';
export type { VirtioPciInterrupts } from './shared/virtio/pci-transport.js';
export type { BusVariant } from './actors/vcpu/bus-port.js';
