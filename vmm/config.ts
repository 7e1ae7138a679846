// The VM's configuration as an embedder or the CLI gives it, checked field by field: a bad value
// fails at creation with a VmConfigError that names the field.
import { PACINGS, type Pacing, type Readback } from '../abi/generated/binding-strings.js';
import { WORKLOAD_NAMES } from '../guest/ts/workloads/index.js';
import type { DeviceVariant, DisplayModeSpec } from '../actors/device/messages.js';
import { MAP_SEMANTICS, type MapSemantics, type TaskSpaceLimits } from '../actors/device/task-space.js';
import { ENGINE_CHOICES, VulkanUnavailableError, resolveEngine, type EngineBackendName, type EngineChoice } from './engine-backend.js';
import { CPU_CHOICES, CpuUnavailableError, resolveCpu, type CpuBackendName, type CpuChoice } from '../actors/vcpu/kvm/availability.js';
import { KVM_BENCH_PROGRAMS } from '../actors/vcpu/kvm/machine.js';
import { VmConfigError } from './config-error.js';
import { checkOutputs, type OutputOptions } from './config-outputs.js';
import { checkLimits } from './config-limits.js';
import { INPUT_INTERRUPTS, INPUT_TRANSPORTS, checkInput, type InputInterrupts, type InputOptions, type InputTransport } from './config-input.js';
import { integer, keysOf, onlyKnownKeys, optionsObject } from './config-values.js';
import { checkCompositorShards } from './config-compositor.js';

export { VmConfigError, type OutputOptions };

export const DEFAULT_MODES = ['1920x1080@60', '1440x1080@60', '1280x1024@60'];

export interface DeviceOptions {
  /** 'mmio' (apple-gfx-mmio, the default) or 'pci' (apple-gfx-pci). */
  variant?: 'mmio' | 'pci' | DeviceVariant;
  /** Display modes as WxH@R strings (default: 1920x1080@60, 1440x1080@60, 1280x1024@60). */
  displayModes?: string[];
  /** Displays on this device (default 1). */
  displays?: number;
  /**
   * What the host's mapMemory/unmapMemory do where mappings already are: 'strict' (default, this
   * project's guest protocol: overlapping maps and partial or empty unmaps are refused) or
   * 'framework' (the host contract upstream QEMU gives ParavirtualizedGraphics: a map overwrites,
   * an unmap clears its range and always succeeds). docs/device-memory.md.
   */
  mapSemantics?: MapSemantics;
  /** This device's displays' pacing (default: VmOptions.pacing). */
  pacing?: Pacing;
}

export interface WorkloadOptions {
  name: string;
  frames: number;
  seed?: number;
  /** Index into the display's mode list to start in (default 0). */
  mode?: number;
  /** The band workload: the share of the frame redrawn and presented each frame, in (0, 100] (default 100). */
  damagePercent?: number;
}

export interface VmOptions {
  ramMiB?: number;
  vcpus?: number;
  devices?: DeviceOptions[];
  /** Run a built-in workload on every vCPU that has a device; null for none. */
  workload?: WorkloadOptions | null;
  /**
   * 'native' (default): this project's own protocol as it is fastest — damage rectangles, posted
   * MMIO writes, presents as fast as the ring goes. 'pvg': a model of a real PVG host (QEMU's
   * apple-gfx over ParavirtualizedGraphics): every frame read back whole (no damage), presents
   * paced to the mode's refresh, synchronous MMIO writes. Options given explicitly (writeWindow,
   * pacing) win over the profile's. docs/fidelity.md.
   */
  profile?: Profile;
  /**
   * 'refresh': every display presents on its mode's refresh ticks (the `@60` of `1920x1080@60`),
   * as a vsync'd display does: a present waits in the engine for the display's next tick. 'none'
   * (default, 'refresh' under profile 'pvg'): presents as fast as the ring goes.
   */
  pacing?: Pacing;
  /** Posted MMIO writes a vCPU may have outstanding (0: synchronous writes). Default 16 (0 under profile 'pvg'). */
  writeWindow?: number;
  /** Engine pool threads per device (default 2). */
  enginePoolThreads?: number;
  limits?: Partial<TaskSpaceLimits>;
  /** Engine watchdog: a callback unanswered this long after its post (the wait for room in the device mailbox included) becomes a device error. */
  callbackTimeoutMs?: number;
  /** vCPUs the embedder runs itself (numbered after the built-in ones); see Vm.externalVcpu. */
  externalVcpus?: number;
  /**
   * 'actor' (default): every actor runs its handlers on its own. 'qemu': a model of QEMU's
   * threading as upstream apple-gfx has it — the vCPU holds the BQL across each MMIO access and
   * waits in AIO_WAIT_WHILE running bottom halves, callbacks that need the BQL are BHs, task
   * map/unmap take a task mutex, the display is read out on a 30 ms refresh timer
   * (docs/threading-models.md). 'record-lock': every actor handler under one global lock, one
   * record at a time (a simpler stand-in, kept for comparison).
   */
  threading?: ThreadingModel;
  /**
   * Which CPU runs the built-in guest: 'ts' (default: the TypeScript guest, runs anywhere),
   * 'kvm' (the machine-code guest on a hardware vCPU; refused with the reason where /dev/kvm
   * cannot be used) or 'auto' (KVM where it can run the workload, else 'ts'). docs/kvm.md.
   */
  cpu?: CpuChoice;
  /**
   * Which engine backend draws the pixels: 'soft' (default: the CPU), 'vulkan' (a GPU through the
   * Vulkan loader found at run time; refused with the reason where it cannot run) or 'auto'
   * (vulkan where it can run, else soft). The device cannot tell them apart. docs/vulkan.md.
   */
  engine?: EngineChoice;
  /** Outputs started with the VM: VNC (display k on port + k) and the browser viewer. */
  outputs?: OutputOptions;
  /**
   * 'running' (default): the built-in vCPUs start the workload as soon as they are up.
   * 'paused': every thread is up but no guest runs until vm.resume(), so listeners and a trace
   * are in place before the guest's first instruction.
   */
  start?: StartMode;
  /**
   * Whether every thread writes its trace ring from creation (default true); false leaves the
   * rings paused (no trace cost) until vm.startTrace().
   */
  trace?: boolean;
  /**
   * virtio-input devices (docs/virtio.md): true gives every display a keyboard and a tablet, a
   * list of { device, display } only those; false or left out (default) none. Events go in
   * through vm.input(device, display).
   */
  input?: InputOptions;
  /**
   * The input devices' virtio transport (docs/virtio.md): 'mmio' (default) puts each at a fixed
   * virtio-mmio window with a level interrupt line; 'pci' makes each a modern virtio-pci function
   * (vendor 0x1AF4) that the guest finds in ECAM, places BAR0 for and interrupts through MSI.
   */
  inputTransport?: InputTransport;
  /**
   * Compositor actors (docs/scaling.md, "Compositor shards"): each owns a contiguous run of whole
   * devices and their displays, so it is an integer in [1, devices]. Default: one per two
   * displays, at most one per four cores, 1 under threading 'qemu' and 'record-lock'. A host
   * choice: a snapshot restores with any count (RestoreOptions.compositorShards).
   */
  compositorShards?: number;
  /**
   * With inputTransport 'pci': how the built-in guest takes the devices' interrupts, 'msix'
   * (default) or 'intx' (MSI-X left off, each function's INTA# on its level line; docs/input.md).
   * The devices offer both whatever this says; an embedder's own guest chooses for itself.
   */
  inputInterrupts?: InputInterrupts;
}

export type Profile = 'native' | 'pvg';
export const PROFILES: readonly Profile[] = ['native', 'pvg'];
/** Pacing and Readback are the Engine options' (abi/schema/binding-strings.ts). */
export { PACINGS, type Pacing, type Readback };

export type StartMode = 'running' | 'paused';
export const START_MODES: readonly StartMode[] = ['running', 'paused'];

export type ThreadingModel = 'actor' | 'qemu' | 'record-lock';
export const THREADING_MODELS: readonly ThreadingModel[] = ['actor', 'qemu', 'record-lock'];

export interface ResolvedDevice {
  variant: DeviceVariant;
  mapSemantics: MapSemantics;
  displays: { serial: number; modes: DisplayModeSpec[]; pacing: Pacing; readback: Readback }[];
}

export interface ResolvedConfig {
  ramBytes: number;
  vcpus: number;
  devices: ResolvedDevice[];
  workload: Required<WorkloadOptions> | null;
  profile: Profile;
  writeWindow: number;
  enginePoolThreads: number;
  limits: Partial<TaskSpaceLimits>;
  callbackTimeoutMs: number | undefined;
  externalVcpus: number;
  threading: ThreadingModel;
  cpu: CpuBackendName;
  /** Why 'auto' chose the TypeScript guest (null when it did not, or was not asked to choose). */
  cpuFallback: string | null;
  engine: EngineBackendName;
  /** Why 'auto' chose the soft backend (null when it did not, or was not asked to choose). */
  engineFallback: string | null;
  outputs: OutputOptions;
  /** Displays bound to virtio-input devices (a keyboard and a tablet each), in order. */
  input: { device: number; display: number }[];
  inputTransport: InputTransport;
  /** Compositor actors; shard s owns the devices shardDevices (config-compositor.ts) gives it. */
  compositorShards: number;
  inputInterrupts: InputInterrupts;
  start: StartMode;
  trace: boolean;
}

const MODE = /^(\d{1,5})x(\d{1,5})@(\d{1,4})$/;

export function parseMode(text: unknown, field: string): DisplayModeSpec {
  const m = typeof text === 'string' ? MODE.exec(text.trim()) : null;
  if (!m) throw new VmConfigError(field, `expected a mode like 1920x1080@60, got ${JSON.stringify(text)}`);
  const [width, height, refresh] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (width < 64 || width > 8192 || height < 64 || height > 8192) throw new VmConfigError(field, `size ${width}x${height} outside 64..8192`);
  if (refresh < 1 || refresh > 1000) throw new VmConfigError(field, `refresh ${refresh} Hz outside 1..1000`);
  return { width, height, refresh };
}

function cpuBackend(
  value: unknown,
  workload: string | null,
  probe: boolean,
  inputTransport: InputTransport,
  inputInterrupts: InputInterrupts,
): { cpu: CpuBackendName; cpuFallback: string | null } {
  if (value === undefined) return { cpu: 'ts', cpuFallback: null };
  if (!CPU_CHOICES.includes(value as CpuChoice)) throw new VmConfigError('cpu', `must be one of ${CPU_CHOICES.join(', ')}, got ${JSON.stringify(value)}`);
  try {
    const r = resolveCpu(value as CpuChoice, workload, probe, inputTransport, inputInterrupts);
    return { cpu: r.cpu, cpuFallback: r.why };
  } catch (err) {
    if (err instanceof CpuUnavailableError) throw new VmConfigError('cpu', err.message.replace(/^--cpu kvm: /, ''));
    throw err;
  }
}

function engineBackend(value: unknown): { engine: EngineBackendName; engineFallback: string | null } {
  if (value === undefined) return { engine: 'soft', engineFallback: null };
  if (!ENGINE_CHOICES.includes(value as EngineChoice))
    throw new VmConfigError('engine', `must be one of ${ENGINE_CHOICES.join(', ')}, got ${JSON.stringify(value)}`);
  try {
    const r = resolveEngine(value as EngineChoice);
    return { engine: r.engine, engineFallback: r.why };
  } catch (err) {
    if (err instanceof VulkanUnavailableError) throw new VmConfigError('engine', `vulkan: ${err.reason} (${err.detail})`);
    throw err;
  }
}

function threadingModel(value: unknown): ThreadingModel {
  if (value === undefined) return 'actor';
  if (value === 'bql')
    throw new VmConfigError(
      'threading',
      "'bql' was renamed 'record-lock' (one lock per actor record); 'qemu' models QEMU's big lock (docs/threading-models.md)",
    );
  if (!THREADING_MODELS.includes(value as ThreadingModel))
    throw new VmConfigError('threading', `must be one of ${THREADING_MODELS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as ThreadingModel;
}

function startMode(value: unknown): StartMode {
  if (value === undefined) return 'running';
  if (!START_MODES.includes(value as StartMode)) throw new VmConfigError('start', `must be one of ${START_MODES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as StartMode;
}

function traceOption(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') throw new VmConfigError('trace', `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function percent(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 100) {
    throw new VmConfigError(field, `must be a number in (0, 100], got ${JSON.stringify(value)}`);
  }
  return value;
}

let nextSerial = 0x50564700;

/** Every option VmOptions has: anything else is a slip, refused with the nearest of these. */
const VM_OPTION_KEYS = keysOf<VmOptions>({
  ramMiB: true,
  vcpus: true,
  devices: true,
  workload: true,
  profile: true,
  pacing: true,
  writeWindow: true,
  enginePoolThreads: true,
  limits: true,
  callbackTimeoutMs: true,
  externalVcpus: true,
  threading: true,
  cpu: true,
  engine: true,
  outputs: true,
  start: true,
  trace: true,
  input: true,
  inputTransport: true,
  compositorShards: true,
  inputInterrupts: true,
});
const DEVICE_KEYS = keysOf<DeviceOptions>({ variant: true, displayModes: true, displays: true, mapSemantics: true, pacing: true });
const WORKLOAD_KEYS = keysOf<WorkloadOptions>({ name: true, frames: true, seed: true, mode: true, damagePercent: true });

function oneOf<T extends string>(value: unknown, field: string, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) throw new VmConfigError(field, `must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

function resolveDevice(value: unknown, i: number, profile: Profile, vmPacing: Pacing): ResolvedDevice {
  const field = `devices[${i}]`;
  const d = optionsObject<DeviceOptions>(value, field, {});
  onlyKnownKeys(d, DEVICE_KEYS, field);
  const v = d.variant ?? 'mmio';
  const variant: DeviceVariant | null =
    v === 'mmio' || v === 'apple-gfx-mmio' ? 'apple-gfx-mmio' : v === 'pci' || v === 'apple-gfx-pci' ? 'apple-gfx-pci' : null;
  if (!variant) throw new VmConfigError(`${field}.variant`, `must be mmio or pci, got ${JSON.stringify(v)}`);
  const texts = d.displayModes ?? DEFAULT_MODES;
  if (!Array.isArray(texts) || texts.length === 0 || texts.length > 32) throw new VmConfigError(`${field}.displayModes`, 'must list 1 to 32 modes');
  const modes = texts.map((t, m) => parseMode(t, `${field}.displayModes[${m}]`));
  const count = integer(d.displays, `${field}.displays`, 1, 8, 1);
  const mapSemantics = d.mapSemantics ?? 'strict';
  if (!MAP_SEMANTICS.includes(mapSemantics))
    throw new VmConfigError(`${field}.mapSemantics`, `must be strict or framework, got ${JSON.stringify(d.mapSemantics)}`);
  const pacing = oneOf(d.pacing, `${field}.pacing`, PACINGS, vmPacing);
  // PVG's new-frame handler carries no damage: a PVG host reads back every frame whole.
  const readback: Readback = profile === 'pvg' ? 'whole-frame' : 'damage';
  // Serial numbers are unique across every device of every VM in this process.
  return { variant, mapSemantics, displays: Array.from({ length: count }, () => ({ serial: nextSerial++, modes, pacing, readback })) };
}

function resolveWorkload(value: unknown, vcpus: number, cpu: unknown, devices: ResolvedDevice[]): ResolvedConfig['workload'] {
  if (value === undefined || value === null) return null;
  const w = optionsObject<WorkloadOptions>(value, 'workload', {} as WorkloadOptions); // never left out here
  onlyKnownKeys(w, WORKLOAD_KEYS, 'workload');
  if (vcpus === 0) throw new VmConfigError('workload', 'a built-in workload needs a built-in vCPU (vcpus is 0)');
  // The machine-code guest's benchmark programs run on KVM vCPUs only (bench kvm).
  const benchProgram = cpu === 'kvm' && KVM_BENCH_PROGRAMS[w.name] !== undefined;
  if (!WORKLOAD_NAMES.includes(w.name) && !benchProgram)
    throw new VmConfigError('workload.name', `unknown workload ${JSON.stringify(w.name)} (one of ${WORKLOAD_NAMES.join(', ')})`);
  const maxModes = Math.min(...devices.map((d) => d.displays[0]!.modes.length));
  return {
    name: w.name,
    frames: integer(w.frames, 'workload.frames', 0, 1e9, 0),
    seed: integer(w.seed, 'workload.seed', 0, 0xffffffff, 1),
    mode: integer(w.mode, 'workload.mode', 0, maxModes - 1, 0),
    damagePercent: percent(w.damagePercent, 'workload.damagePercent', 100),
  };
}

/**
 * Checks every option, and every option's every field, before anything is built. probeHost
 * false checks the options alone, not whether this host can run them (KVM): a snapshot's
 * configuration, whose host is checked when it is restored.
 */
export function resolveConfig(given: VmOptions = {}, { probeHost = true }: { probeHost?: boolean } = {}): ResolvedConfig {
  const options = optionsObject<VmOptions>(given, 'options', {});
  onlyKnownKeys(options, VM_OPTION_KEYS, '');
  const ramMiB = integer(options.ramMiB, 'ramMiB', 16, 4096, 256);
  const deviceOptions = options.devices ?? [{}];
  if (!Array.isArray(deviceOptions) || deviceOptions.length < 1 || deviceOptions.length > 16) {
    throw new VmConfigError('devices', 'must be a list of 1 to 16 devices');
  }
  const profile = oneOf(options.profile, 'profile', PROFILES, 'native');
  const pacing = oneOf(options.pacing, 'pacing', PACINGS, profile === 'pvg' ? 'refresh' : 'none');
  const devices = deviceOptions.map((d, i) => resolveDevice(d, i, profile, pacing));
  const externalVcpus = integer(options.externalVcpus, 'externalVcpus', 0, 16, 0);
  // No built-in vCPU at all is fine when the embedder brings its own.
  const vcpus = integer(options.vcpus, 'vcpus', externalVcpus > 0 ? 0 : 1, 64, devices.length);
  const workload = resolveWorkload(options.workload, vcpus, options.cpu, devices);
  const displays = devices.reduce((n, d) => n + d.displays.length, 0);
  const threading = threadingModel(options.threading);
  const inputTransport = oneOf(options.inputTransport, 'inputTransport', INPUT_TRANSPORTS, 'mmio');
  const inputInterrupts = oneOf(options.inputInterrupts, 'inputInterrupts', INPUT_INTERRUPTS, 'msix');
  // virtio-mmio has one level line and nothing to choose.
  if (inputInterrupts === 'intx' && inputTransport !== 'pci') throw new VmConfigError('inputInterrupts', "'intx' needs inputTransport: 'pci'");
  return {
    ramBytes: ramMiB * 1024 * 1024,
    vcpus,
    devices,
    workload,
    profile,
    // An MMIO write under HVF/KVM in QEMU is a synchronous exit: no posted writes on a PVG host.
    writeWindow: integer(options.writeWindow, 'writeWindow', 0, 256, profile === 'pvg' ? 0 : 16),
    enginePoolThreads: integer(options.enginePoolThreads, 'enginePoolThreads', 2, 32, 2),
    limits: checkLimits(options.limits),
    callbackTimeoutMs: options.callbackTimeoutMs === undefined ? undefined : integer(options.callbackTimeoutMs, 'callbackTimeoutMs', 1, 3_600_000, 0),
    externalVcpus,
    threading,
    ...cpuBackend(options.cpu, workload?.name ?? null, probeHost, inputTransport, inputInterrupts),
    ...engineBackend(options.engine),
    outputs: checkOutputs(options.outputs, displays),
    start: startMode(options.start),
    trace: traceOption(options.trace),
    input: checkInput(
      options.input,
      devices.map((d) => d.displays.length),
    ),
    inputTransport,
    inputInterrupts,
    compositorShards: checkCompositorShards(options.compositorShards, devices.length, displays, threading === 'actor'),
  };
}
