// A whole VM: guest RAM, the interrupt controller, the display compositor, the apple-gfx devices
// and the vCPUs, each an actor under one supervisor. Start order follows the wait-for graph's
// leaves (interrupt controller and compositor, devices, then vCPUs); stop order is the reverse,
// so no actor waits on one that already left.
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import type { MessagePort } from 'node:worker_threads';

import type { CompositorEvent, VncOptions } from '../actors/compositor/messages.js';
import type { VmCompositorStats } from './compositor-shards.js';
import type { DeviceStats, KeptFrame } from '../actors/device/messages.js';
import type { IrqActorStats } from '../actors/irq/messages.js';
import type { InputActorStats } from '../actors/input/messages.js';
import { Supervisor, type ActorHandle, type SpawnSpec } from '../actors/runtime/supervisor.js';
import { RAM_BASE } from '../machine/memory-map.js';
import type { VcpuStats } from '../actors/vcpu/messages.js';
import { VmStoppedError, type VmFailure } from '../actors/runtime/errors.js';
import { createGuestMemory, type GuestMemory } from '../shared/guest-memory/index.js';
import { createCompletionBuffer, wakeWriteWaiters } from '../shared/mmio/completion.js';
import { BigLock, createBigLockBuffer, type BigLockStats } from '../shared/lock/big-lock.js';
import { Bql, createBqlBuffer, type BqlStats } from '../shared/lock/bql.js';
import { SnapshotWriter } from '../outputs/png/snapshots.js';
import { toChromeTrace, type ChromeTrace } from '../shared/trace/chrome.js';
import { TraceSetReader } from '../shared/trace/reader.js';
import { setTracePaused } from '../shared/trace/ring.js';
import type { ExternalVcpuConfig } from '../actors/vcpu/external.js';
import { KVM_INPUT_WORKLOADS, KVM_WORKLOADS } from '../actors/vcpu/kvm/machine.js';
import { resolveConfig, VmConfigError, type ResolvedConfig, type VmOptions, type WorkloadOptions } from './config.js';
import type { EngineBackendName } from './engine-backend.js';
import { KvmMachine } from './kvm-machine.js';
import { VmLifecycle, type PauseOptions, type PauseReport, type ResetOptions } from './lifecycle.js';
import { LifecycleRefusedError } from './lifecycle-errors.js';
import { VmOutputs, type WebOptions } from './vm-outputs.js';
import { spinLimit } from './spin-policy.js';
import { VmDisplayInput, type DisplayInput } from './vm-input.js';
import { assembleMachine, MachineActors, stopMachine } from './assembly/assemble.js';
import { guestFor } from './assembly/guests.js';
import { ControlServer, type ControlOptions } from './control/server.js';
import { SnapshotUnsupportedError } from './snapshot/errors.js';
import { machineOptions, type MachineOptions } from './snapshot/machine-options.js';
import { captureMachineState } from './snapshot/machine-capture.js';
import type { MachineState } from './snapshot/machine-state.js';
import { guestFramesAtSave } from './snapshot/guest-frames.js';
import {
  checkSaveOptions,
  loadMachine,
  ramBytesOf,
  saveMachine,
  type RestoreOptions,
  type SaveSnapshotOptions,
  type SaveSnapshotReport,
} from './snapshot/machine.js';

export interface VmStats {
  vcpus: VcpuStats[];
  devices: DeviceStats[];
  irq: IrqActorStats;
  /** Every display of every compositor shard, in configuration order, and each shard's own figures. */
  compositor: VmCompositorStats;
  /** The virtio-input devices (null: the VM has none, VmOptions.input). */
  input: InputActorStats | null;
  /** The `record-lock` threading model's lock: takes, contended takes, time waited (null under the others). */
  bigLock: BigLockStats | null;
  /** The `qemu` threading model's BQL: takes, waits, holds, lends to BHs, AIO waits (null under the others). */
  bql: BqlStats | null;
}

/** The events a Vm emits (vm.on(name, listener)). */
export interface VmEvents {
  /** A display changed mode (the compositor has it). */
  modeChange: [CompositorEvent & { type: 'modeChange' }];
  /** A frame landed in the compositor (one per kept encode; presents in between coalesce). */
  frame: [CompositorEvent & { type: 'frame' }];
  /** The VM failed (an actor crashed or exited); emitted only when someone listens. */
  error: [VmFailure];
}

/**
 * How this package's tests assemble a VM with stand-in actors (test/support/test-vm.ts): it sees
 * each actor's spawn spec before the actor starts and returns the one to start (another worker
 * module, more config). Not part of the package's API (index.ts leaves it out).
 */
export type SpawnOverride = (spec: SpawnSpec) => SpawnSpec;

let createWithOverride: (options: VmOptions, override: SpawnOverride) => Promise<Vm>;

/** Vm.create with each actor's spawn spec passed through `override` first (tests only; see SpawnOverride). */
export function createVmWithOverride(options: VmOptions, override: SpawnOverride): Promise<Vm> {
  return createWithOverride(options, override);
}

export class Vm extends EventEmitter<VmEvents> {
  static {
    createWithOverride = (options, override) => Vm.launch(new Vm(options, override));
  }

  /** @internal The resolved configuration (for this package's tests and tools). */
  readonly config: ResolvedConfig;
  /** Guest RAM: one SharedArrayBuffer, shared with every actor. */
  readonly memory: GuestMemory;
  /** @internal The actors' supervisor (for this package's tests and tools). */
  readonly supervisor: Supervisor;
  /** The actors, kept as assembly spawns them (vmm/assembly/). */
  private readonly parts = new MachineActors();
  /** The vCPUs' posted-write counters. */
  private readonly completion: SharedArrayBuffer;
  /** The `qemu` threading model's BQL (null under the others). */
  private readonly bql: Bql | null;
  /** vm.stop()'s one promise: every caller waits for the same, whole, stop. */
  private stopping: Promise<void> | null = null;
  private snapshots: SnapshotWriter | null = null;
  private control: ControlServer | null = null;
  private readonly outputs: VmOutputs;
  private readonly bigLock: BigLock | null;
  private traceReader: TraceSetReader | null = null;
  /** resume() was called (start: 'paused' only). */
  private resumed = false;
  /** pause(), resume() and reset() (made at start, once the actors exist). */
  private lifecycle: VmLifecycle | null = null;

  /** The options that shape the machine, as a snapshot keeps them. */
  private readonly machine: MachineOptions;
  /**
   * For a VM made by Vm.restore, the frames its guests had finished when the snapshot was saved
   * (null otherwise). The guests' own count (stats().vcpus[].guest.framesDone) goes on from it;
   * every other counter in stats() starts at zero on a restore (docs/snapshots.md).
   */
  readonly restoredAtFrames: number | null;
  /** A guest or an embedder's vCPU loop may have run: the machine holds state a snapshot cannot keep yet. */
  private guestsStarted: boolean;
  /** A save in progress: a workload waits for it to end before it starts. */
  private saving: Promise<unknown> | null = null;
  /** runWorkload() ran a workload the configuration does not name (a snapshot could not rebuild its program). */
  private ranOtherWorkload = false;
  /** A snapshot's component state, loaded as the actors start (Vm.restore); dropped once started. */
  private restoreState: MachineState | null;

  private events: MessagePort[] = [];
  private readonly eventsWanted = new Int32Array(new SharedArrayBuffer(4));

  /** restored: guest RAM made beforehand (Vm.restore), laid out as this configuration's, and the components' state. */
  private constructor(
    options: VmOptions,
    private readonly override: SpawnOverride | null = null,
    restored?: { memory: GuestMemory; state: MachineState | null },
  ) {
    super();
    this.config = resolveConfig(options);
    // The CPU as resolved ('auto' on this host), so a restore elsewhere builds the same machine.
    this.machine = { ...machineOptions(options), cpu: this.config.cpu };
    this.restoreState = restored?.state ?? null;
    this.restoredAtFrames = restored ? guestFramesAtSave(this.restoreState) : null;
    this.guestsStarted = (this.config.workload !== null && this.config.start === 'running') || this.config.externalVcpus > 0 || this.restoreState !== null;
    this.memory =
      restored?.memory ??
      (this.config.cpu === 'kvm'
        ? KvmMachine.createMemory(this.config.ramBytes)
        : createGuestMemory({ regions: [{ name: 'ram', base: RAM_BASE, size: this.config.ramBytes }] }));
    this.bigLock = this.config.threading === 'record-lock' ? new BigLock(createBigLockBuffer()) : null;
    this.bql = this.config.threading === 'qemu' ? new Bql(createBqlBuffer()) : null;
    this.completion = createCompletionBuffer(this.config.vcpus + this.config.externalVcpus);
    this.supervisor = new Supervisor({
      memory: this.memory,
      replySlots: this.config.vcpus + this.config.externalVcpus + 8,
      replyPayloadBytes: 0,
      traceRings: 16 + this.config.vcpus + this.config.devices.length * 8,
      ...(this.bigLock ? { bigLock: this.bigLock.buffer } : {}),
      ...(this.bql ? { bql: { buffer: this.bql.buffer } } : {}),
      spinLimit: spinLimit(availableParallelism(), process.env.PVG_SPIN_LIMIT, this.config.devices.length),
    });
    // Before any thread exists, so a VM created with trace: false writes nothing.
    if (!this.config.trace) setTracePaused(this.supervisor.traceSet, true);
    const labels = this.config.devices.flatMap((d, i) => d.displays.map((_, j) => `device${i} display${j}`));
    this.outputs = new VmOutputs(
      () => this.parts.compositor!,
      labels,
      () => this.refusal(),
    );
  }

  private spawn<C extends object>(spec: SpawnSpec): Promise<ActorHandle<C>> {
    return this.supervisor.spawn<C>(this.override ? this.override(spec) : spec);
  }

  /** VmStoppedError once stop() was called or the VM failed: nothing new may start then. */
  private refusal(): VmStoppedError | null {
    const reason = this.supervisor.failed ?? (this.stopping ? 'shutdown' : null);
    return reason ? new VmStoppedError('vm', reason) : null;
  }

  private ensureRunning(): void {
    const refused = this.refusal();
    if (refused) throw refused;
  }

  /** Builds and starts a VM; a bad configuration throws VmConfigError before anything starts. */
  static async create(options: VmOptions = {}): Promise<Vm> {
    return Vm.launch(new Vm(options));
  }

  /**
   * Builds a VM from a snapshot file (docs/snapshots.md): the whole file is read and checked and
   * its RAM decoded into new guest memory before any thread starts, so a file that is not whole
   * and of this pvg-vmm version throws SnapshotFormatError with nothing started. The machine
   * then runs on (or waits for vm.resume() with start: 'paused').
   */
  static async restore(file: string, options: RestoreOptions = {}): Promise<Vm> {
    const loaded = await loadMachine(file, options);
    const vm = await Vm.launch(new Vm(loaded.options, null, loaded));
    if (loaded.start === 'running') {
      try {
        await vm.resume();
      } catch (err) {
        await vm.stop();
        throw err;
      }
    }
    return vm;
  }

  private static async launch(vm: Vm): Promise<Vm> {
    try {
      await vm.start();
      const { vnc, web } = vm.config.outputs;
      if (vnc) await vm.startVnc(vnc);
      if (web) await vm.startWeb(web);
    } catch (err) {
      await vm.stop();
      throw err;
    }
    // Frame and mode events cost the compositor a message each: it sends them only while
    // someone listens (a word set here, synchronously, so nothing after vm.on() is missed).
    await vm.subscribeEvents();
    const follow = () => Atomics.store(vm.eventsWanted, 0, vm.listenerCount('frame') + vm.listenerCount('modeChange') > 0 ? 1 : 0);
    (vm as EventEmitter).on('newListener', (name: string | symbol) => {
      if (name === 'frame' || name === 'modeChange') Atomics.store(vm.eventsWanted, 0, 1);
    });
    (vm as EventEmitter).on('removeListener', follow);
    void vm.whenFailed().then((f) => {
      if (vm.listenerCount('error') > 0) vm.emit('error', f);
    });
    return vm;
  }

  private async start(): Promise<void> {
    const { config, supervisor, parts } = this;
    supervisor.onRelease(() => this.requestVcpuStop());
    await assembleMachine(parts, {
      config,
      supervisor,
      memory: this.memory,
      buffers: { completion: this.completion, eventsWanted: this.eventsWanted.buffer },
      spawn: (spec) => this.spawn(spec),
      restore: this.restoreState,
    });
    this.restoreState = null;
    this.lifecycle = new VmLifecycle({
      vcpus: parts.vcpus.map((v, i) => ({ irq: parts.irqStates[i]!, control: v.control })),
      devices: parts.devices.map((d) => d.control),
      compositor: parts.compositor!,
      irq: parts.irq!.control,
      input: parts.input?.control ?? null,
      memory: this.memory,
      fail: (failure) => this.supervisor.fail(failure),
    });
  }

  /** Which CPU backend runs the built-in guest, and why 'auto' fell back to 'ts' (else null). */
  get cpu(): { backend: 'ts' | 'kvm'; fallback: string | null } {
    return { backend: this.config.cpu, fallback: this.config.cpuFallback };
  }

  /** Which engine backend draws the pixels, and why 'auto' fell back to soft (else null). docs/vulkan.md. */
  get engine(): { backend: EngineBackendName; fallback: string | null } {
    return { backend: this.config.engine, fallback: this.config.engineFallback };
  }

  /** What an embedder's own vCPU loop needs (pass it to connectVcpu in the thread that runs it). */
  externalVcpu(index = 0): ExternalVcpuConfig {
    const c = Number.isInteger(index) ? this.parts.external[index] : undefined;
    if (!c) throw new RangeError(`no external vCPU ${JSON.stringify(index)} (VmOptions.externalVcpus is ${this.config.externalVcpus})`);
    return c;
  }

  /**
   * Stops the machine (docs/lifecycle.md): every vCPU at a step boundary (a KVM vCPU kicked out
   * of KVM_RUN), then waits until no MMIO, callback, encode, interrupt or display event is in
   * flight anywhere; the frames are kept. Resolves with how long that took (null: it was already
   * paused). A part that does not get there within timeoutMs fails the VM with
   * LifecycleTimeoutError. Not for a VM with external vCPUs (their loops are the embedder's).
   */
  async pause(options: PauseOptions = {}): Promise<PauseReport | null> {
    return this.lifecycleFor('pause').pause(options);
  }

  /**
   * pause() once every built-in guest has finished `frames` frames of the configured workload (or
   * stopped running): each vCPU holds itself at that step boundary, then the rest quiesces as in
   * pause(). A deterministic point to save a snapshot at (`pvg-vmm run --save-at`).
   */
  async pauseAtFrame(frames: number, options: PauseOptions = {}): Promise<PauseReport | null> {
    const lifecycle = this.lifecycleFor('pause');
    if (!Number.isSafeInteger(frames) || frames < 0)
      throw new RangeError(`pauseAtFrame(): frames must be a non-negative integer, got ${JSON.stringify(frames)}`);
    if (!this.config.workload) throw new LifecycleRefusedError('vm.pauseAtFrame(): the VM has no workload to count frames of');
    await Promise.all(this.parts.vcpus.slice(0, this.config.devices.length).map((v) => v.control.holdAtFrame(frames)));
    return lifecycle.pause(options);
  }

  /** Whether pause() holds the machine. */
  get paused(): boolean {
    return this.lifecycle?.isPaused ?? false;
  }

  /**
   * A system reset (docs/lifecycle.md), as QEMU's reset hold phase: every device powers on
   * (registers, ring, contexts, task space, PCI config, IOSurface maps, modes), the interrupt
   * controller starts over, each display goes black (sinks see the mode change) and every vCPU
   * goes back to the entry of the guest it ran. Guest RAM is kept unless clearRam. A running VM
   * runs on afterwards; a paused one stays paused.
   */
  async reset(options: ResetOptions = {}): Promise<void> {
    return this.lifecycleFor('reset').reset(options);
  }

  /**
   * Writes the machine to a snapshot file that Vm.restore() reads back (docs/snapshots.md),
   * in call order with pause, resume and reset, none of which runs meanwhile. A machine a guest
   * has run on is paused for it (and resumed after, if it ran): configuration, RAM, and every
   * device's, vCPU's (a TypeScript guest program, or a KVM vCPU's registers, FPU and events),
   * interrupt, display and virtio-input state. External vCPUs and a runWorkload() workload throw
   * SnapshotUnsupportedError and nothing is written.
   */
  async saveSnapshot(file: string, options: SaveSnapshotOptions = {}): Promise<SaveSnapshotReport> {
    this.ensureRunning();
    checkSaveOptions(options);
    const save = this.lifecycle!.exclusive(async () => {
      const t0 = performance.now();
      this.ensureRunning();
      const why = this.snapshotRefusal();
      if (why) throw new SnapshotUnsupportedError(`vm.saveSnapshot(): ${why} (docs/snapshots.md)`);
      const ram = ramBytesOf(this.memory, this.config.ramBytes);
      // A machine a guest has run on is held paused while its state and RAM are written.
      const report = this.guestsStarted
        ? await this.lifecycle!.holdPaused(async () => saveMachine(file, this.machine, ram, options, await captureMachineState(this.parts, this.config)))
        : await saveMachine(file, this.machine, ram, options);
      return { ...report, heldMs: performance.now() - t0 };
    });
    this.saving = save;
    try {
      return await save;
    } finally {
      if (this.saving === save) this.saving = null;
    }
  }

  /** Why the machine holds state a snapshot cannot keep yet (null: it holds none). */
  private snapshotRefusal(): string | null {
    if (this.config.externalVcpus > 0) return "the VM has external vCPUs, whose state is the embedder's";
    if (this.ranOtherWorkload) return 'runWorkload() ran a workload the configuration does not name';
    return null;
  }

  private lifecycleFor(what: 'pause' | 'reset'): VmLifecycle {
    this.ensureRunning();
    if (this.config.externalVcpus > 0) {
      throw new LifecycleRefusedError(`vm.${what}(): the VM has external vCPUs, whose loops are the embedder's to stop (docs/lifecycle.md)`);
    }
    return this.lifecycle!;
  }

  /**
   * After pause(): the machine goes on exactly where it stopped. Otherwise it starts the
   * workload of a VM created with start: 'paused' (resolves once every vCPU took it), and throws
   * if the VM was not created paused or was already resumed.
   */
  async resume(): Promise<void> {
    this.ensureRunning();
    // In call order with pause() and reset(): whether the VM is paused is decided when it runs.
    return this.lifecycle!.resume(() => this.startPausedWorkload());
  }

  private async startPausedWorkload(): Promise<void> {
    this.ensureRunning();
    if (this.config.start !== 'paused') throw new Error('vm.resume(): the VM was not created with start: "paused"');
    if (this.resumed) throw new Error('vm.resume(): the VM was already resumed');
    this.resumed = true;
    this.guestsStarted = true;
    if (this.config.workload) await this.startWorkload(this.config.workload);
  }

  /** Runs another workload on every built-in vCPU that has a device (after the last one finished). */
  async runWorkload(workload: WorkloadOptions): Promise<void> {
    this.ensureRunning();
    // Not while a snapshot is being written (its RAM would change under it).
    while (this.saving) await this.saving.catch(() => undefined);
    this.ranOtherWorkload = true;
    return this.startWorkload(workload);
  }

  private async startWorkload(workload: WorkloadOptions): Promise<void> {
    this.ensureRunning();
    this.guestsStarted = true;
    const w = resolveConfig({ ...this.optionsForWorkload(), workload }).workload!;
    if (this.config.cpu === 'kvm' && KVM_WORKLOADS[w.name] === undefined) {
      throw new VmConfigError('workload.name', `the KVM guest does not implement ${w.name} (it runs ${Object.keys(KVM_WORKLOADS).join(', ')})`);
    }
    if (this.config.cpu === 'kvm' && KVM_INPUT_WORKLOADS.has(w.name) && this.config.inputTransport === 'pci' && this.config.inputInterrupts === 'intx') {
      throw new VmConfigError('inputInterrupts', `the KVM guest takes its virtio-pci input devices' interrupts through MSI-X only (workload ${w.name})`);
    }
    // Built-in vCPUs beyond the devices have no workload to run.
    await Promise.all(this.parts.vcpus.slice(0, this.config.devices.length).map((handle, v) => handle.control.start(guestFor(this.config, v, w))));
  }

  private optionsForWorkload(): VmOptions {
    return {
      devices: this.config.devices.map((d) => ({ variant: d.variant, displayModes: d.displays[0]!.modes.map((m) => `${m.width}x${m.height}@${m.refresh}`) })),
    };
  }

  async stats(): Promise<VmStats> {
    const [vcpus, devices, irq, compositor, input] = await Promise.all([
      Promise.all(this.parts.vcpus.map((v) => v.control.stats())),
      Promise.all(this.parts.devices.map((d) => d.control.stats())),
      this.parts.irq!.control.stats(),
      this.parts.compositor!.stats(),
      this.parts.input?.control.stats() ?? null,
    ]);
    return { vcpus, devices, irq, compositor, input, bigLock: this.bigLock?.stats() ?? null, bql: this.bql?.stats() ?? null };
  }

  /**
   * The keyboard and tablet bound to a display (VmOptions.input): key presses and pointer
   * positions go into their virtio-input event queues (docs/virtio.md).
   */
  input(device = 0, display = 0): DisplayInput {
    this.ensureRunning();
    const k = this.config.input.findIndex((b) => b.device === device && b.display === display);
    const mailbox = this.parts.inputMailbox;
    if (k < 0 || !mailbox) throw new RangeError(`device ${device} display ${display} has no input devices (VmOptions.input)`);
    // Keyboard and tablet of binding k are input devices 2k and 2k + 1 (vmm/assembly/wiring.ts).
    return new VmDisplayInput(mailbox, 2 * k, 2 * k + 1, () => this.refusal());
  }

  /** The latest frame of a display as the compositor keeps it (ARGB words, cursor apart). */
  async frame(device = 0, display = 0): Promise<KeptFrame | null> {
    // '0' would find device 0 here and no display in the compositor (null, as if never drawn).
    if (!Number.isInteger(device)) throw new RangeError(`frame(): device must be an integer, got ${JSON.stringify(device)}`);
    if (!Number.isInteger(display)) throw new RangeError(`frame(): display must be an integer, got ${JSON.stringify(display)}`);
    const d = this.config.devices[device];
    if (!d) throw new RangeError(`no device ${device} (the VM has ${this.config.devices.length})`);
    if (!d.displays[display]) throw new RangeError(`device ${device} has no display ${display} (it has ${d.displays.length})`);
    return this.parts.compositor!.frame(device, display);
  }

  /**
   * Serves every display over VNC (RFB 3.8): display k of the VM (devices in order, then their
   * displays) on port + k, 127.0.0.1 unless host says otherwise; returns the ports.
   */
  startVnc(options: VncOptions): Promise<number[]> {
    return this.outputs.startVnc(options);
  }

  stopVnc(): Promise<void> {
    return this.outputs.stopVnc();
  }

  /**
   * Serves the browser viewer (noVNC pages and a WebSocket bridge to the VNC servers) on
   * host:port, 127.0.0.1 unless host says otherwise; starts VNC on free loopback ports first if
   * it is not serving yet. Returns the viewer's port and each display's page.
   */
  startWeb(options: WebOptions): Promise<{ port: number; urls: string[] }> {
    return this.outputs.startWeb(options);
  }

  /**
   * Opens a control socket on `file` (docs/control.md): JSON lines in QMP's shape, owner-only
   * (0600), for stats, PNG snapshots, pause, resume, reset, save and stop from another process.
   * An existing path is replaced only if it is a stale socket. Closed by stop().
   */
  async startControl(file: string, options: ControlOptions = {}): Promise<{ path: string }> {
    this.ensureRunning();
    if (this.control) throw new Error(`the control socket is already open at ${this.control.path}`);
    const control = await ControlServer.listen(this, file, options);
    if (this.refusal() || this.control) {
      await control.close(); // the VM began to stop, or another opened, while it bound
      this.ensureRunning();
      throw new Error(`the control socket is already open at ${this.control!.path}`);
    }
    this.control = control;
    return { path: control.path };
  }

  /**
   * Writes a display's latest frame as a person sees it (cursor composited) to a PNG file; the
   * encoding runs in a piscina pool.
   */
  async snapshot(file: string, device = 0, display = 0): Promise<void> {
    const frame = await this.frame(device, display);
    if (!frame) throw new Error(`device ${device} display ${display} has no frame yet (no mode set)`);
    this.ensureRunning(); // stop() closed the pool: a new one would outlive the VM
    this.snapshots ??= new SnapshotWriter();
    await this.snapshots.write(file, frame);
  }

  /**
   * Everything the VM's threads traced since the last drain (each actor and each engine thread
   * writes its own ring), as Chrome Trace Event JSON that opens in Perfetto.
   */
  /** Starts a fresh recording: what the threads traced so far is dropped, and tracing runs. */
  startTrace(): void {
    this.drainTrace();
    setTracePaused(this.supervisor.traceSet, false);
  }

  /** Stops tracing (every thread's writes become no-ops) and returns what was recorded. */
  stopTrace(): ChromeTrace {
    setTracePaused(this.supervisor.traceSet, true);
    return this.drainTrace();
  }

  drainTrace(): ChromeTrace {
    this.traceReader ??= new TraceSetReader(this.supervisor.traceSet);
    const { events, lost } = this.traceReader.drain();
    return toChromeTrace(events, this.supervisor.trackLabels, lost);
  }

  /**
   * Resolves when every vCPU with a workload has finished it (or faulted); rejects with
   * VmStoppedError if the VM fails or stops first. Each vCPU answers when its guest stops, so
   * nothing polls the vCPUs' control planes while they run (bench scaling polled every 2 ms:
   * a comlink call into each running vCPU, 8000 a second at 16 devices).
   */
  whenGuestsDone(): Promise<VcpuStats[]> {
    // A failure rejects the calls in flight with VmStoppedError (the supervisor's guard).
    return Promise.all(this.parts.vcpus.map((v) => v.control.whenDone()));
  }

  /**
   * Resolves once every presented frame has been encoded and kept (nothing in flight): after
   * the guests are done, frame() then returns the last frame they drew.
   */
  async settle(timeoutMs = 10_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const [devices, compositor] = await Promise.all([Promise.all(this.parts.devices.map((d) => d.control.stats())), this.parts.compositor!.stats()]);
      const settled = devices.every((d, i) => {
        const shown = compositor.displays.filter((s) => s.device === i);
        // Every present reached the compositor (as a new-frame event, or one the device actor
        // coalesced into a newer one), and the newest frame is encoded and kept. (An encode
        // request may stay outstanding: the engine holds it until something new is presented.)
        return (
          d.engine !== null &&
          shown.reduce((n, s) => n + s.frames, 0) + d.displayEvents.coalescedFrames === d.engine.presents &&
          shown.every((s) => s.lastFrameSeq === s.announcedFrameSeq)
        );
      });
      if (settled) return;
      if (performance.now() > deadline) throw new Error(`frames not settled after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  whenFailed(): Promise<VmFailure> {
    return this.supervisor.whenFailed();
  }

  private async subscribeEvents(): Promise<void> {
    // One port per compositor shard; each display's events keep their order on its shard's port.
    this.events = await this.parts.compositor!.subscribe((e: CompositorEvent) => {
      if (e.type === 'frame') this.emit('frame', e);
      else this.emit('modeChange', e);
    });
  }

  /**
   * Stops every actor, vCPUs first, and joins every thread. Every call returns the same promise,
   * so a second caller cannot go on while threads still run.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  /** Every vCPU, built-in or external, gives up its waits: halts, mailbox room, posted writes. */
  private requestVcpuStop(): void {
    for (const s of this.parts.irqStates) s.requestStop();
    wakeWriteWaiters(this.completion);
  }

  private async stopOnce(): Promise<void> {
    for (const p of this.events) p.close();
    await this.control?.close();
    this.control = null;
    await this.snapshots?.close();
    this.snapshots = null;
    await this.outputs.close();
    this.requestVcpuStop();
    await stopMachine(this.parts, this.supervisor);
  }
}
