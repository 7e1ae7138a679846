// The JavaScript face of the C++ addon (native/src/addon). Every typed array is an Int32Array
// over a SharedArrayBuffer; threads the addon starts never call JavaScript.

import type { EngineBackend, FutexWaitResult, MapSemantics, Pacing, Readback, StoreFault, VulkanRefusal } from '../../abi/generated/binding-strings.js';
import type { ExitKind } from '../../abi/generated/kvm-exits.js';
import type { KvmCpuState } from '../../actors/vcpu/kvm/vcpu-state.js';

// The strings the bindings return or take come from abi/schema/binding-strings.ts.
export type { EngineBackend, FutexWaitResult, MapSemantics, Pacing, Readback, StoreFault, VulkanRefusal };

export interface NativeHandle {
  readonly __brand?: 'NativeHandle';
}

export interface EngineDisplayOptions {
  port: number;
  serial: number;
  modes: { width: number; height: number; refresh: number }[];
  /** 'refresh': each PRESENT waits for the display's next refresh tick of its mode (default 'none'). */
  pacing?: Pacing;
  /** 'whole-frame': every PRESENT damages the whole frame, so every encode copies it all (default 'damage'). */
  readback?: Readback;
  /** Int32Array over the display's surface pool SAB (shared/display/surface-layout.ts). */
  surfaces: Int32Array;
  surfaceCount: number;
}

export interface EngineOptions {
  /** Int32Array over the guest-RAM SAB, and its regions (offsets inside that SAB). */
  memory: Int32Array;
  regions: { base: number; size: number; offset: number; readOnly: boolean }[];
  /** The engine's inbound mailbox (the device actor posts MMIO, encodes, resets). */
  inbound: Int32Array;
  /** The device actor's mailbox (callbacks and display events arrive there). */
  device: Int32Array;
  /**
   * Where display events that need no answer go instead of `device` (a mode change goes to both):
   * the compositor's mailbox (park mode futex or event-loop) and this device's index in its records.
   */
  compositor?: { mailbox: Int32Array; device: number };
  /**
   * When given, the engine raises its interrupts itself, on the raising thread (the actor model;
   * docs/interrupts.md): through the VM's interrupt table to every vCPU's interrupt state, an MSI
   * from the device's route (`msi`: the PCI variant) or a pulse on gfxLine / iosfcLine. A masked
   * MSI vector or a level line is still posted to the device actor.
   */
  interrupts?: { table: Int32Array; vcpus: Int32Array[]; route: Int32Array; msi: boolean; gfxLine: number; iosfcLine: number };
  /** The engine's reply table and the slots its threads use (at least poolThreads + 2). */
  replies: Int32Array;
  firstSlot: number;
  slotCount: number;
  /** The VM's reply table, where vCPUs wait for MMIO reads. */
  vcpuReplies: Int32Array;
  writeCompletion: Int32Array;
  vcpus: number;
  displays: EngineDisplayOptions[];
  iosfc: boolean;
  poolThreads: number;
  /** Inbound checks the MMIO dispatcher makes before it parks (default 2000). */
  dispatcherSpin?: number;
  /** The host's map/unmap rules, which the engine's own task table follows too (default 'strict'). */
  mapSemantics?: MapSemantics;
  /** The VM's spin gate (shared/doorbell/spin-gate.ts): the dispatcher spins only with a place in it. */
  spinGate?: Int32Array;
  maxContextBytes: number;
  /** A callback unanswered this long fails with a device error (the watchdog); omit for none. */
  callbackTimeoutMs?: number;
  /**
   * Trace rings for the engine's threads: ring firstRing + t for engine thread t (poolThreads + 2
   * rings; with `gpu`, one more for the vulkan backend's pvg-gpu thread, the trace's gpu track).
   */
  trace?: { set: Int32Array; firstRing: number; gpu?: boolean };
  /** Where the pixels are drawn: 'soft' (default, the CPU) or 'vulkan' (a GPU; docs/vulkan.md). A refusal throws a VulkanRefusalError-shaped error. */
  backend?: EngineBackend;
}

/** A Vulkan device as the backend describes it. */
export interface VulkanDeviceInfo {
  name: string;
  /** 'discrete-gpu', 'integrated-gpu', 'virtual-gpu', 'cpu' (lavapipe) or 'other'. */
  type: string;
  driver: string;
  apiVersion: string;
  /** Its queue writes timestamps: the trace's gpu track then has each readback's GPU time (gpu_exec). */
  timestamps: boolean;
}

export type VulkanProbe = { available: true; device: VulkanDeviceInfo } | { available: false; reason: VulkanRefusal; detail: string };

export interface EngineStats {
  mmioReads: number;
  mmioWrites: number;
  commands: number;
  presents: number;
  encodes: number;
  fences: number;
  badRegisterAccesses: number;
  /** Paced presents that waited for a refresh tick, and ticks that passed with no frame for them. */
  vblankWaits: number;
  vblankMissed: number;
  /** When the last paced present went out (monotonic µs, as shared/trace/clock.ts; 0: none yet), read together with vblankWaits. */
  lastVblankUs: number;
  hostUnavailable: number;
  /** Callbacks answered, and their round trip engine thread → device actor → engine thread. */
  callbacks: number;
  callbackP50Us: number;
  callbackP99Us: number;
  /** Guest errors by protocol error code (docs/protocol.md §5). */
  errors: number[];
  /** The pixel backend, and its GPU (vulkan only). */
  backend: EngineBackend;
  gpu?: VulkanDeviceInfo;
  /** Drawing commands and encodes refused because the backend's device failed (each also a HostRefused guest error), and why the first did. */
  deviceFaults: number;
  storeFault: StoreFault;
}

/** What the engine is doing now (vm.pause() waits until nothing: docs/lifecycle.md). */
export interface EngineActivity {
  /** Inbound records the MMIO dispatcher has finished (compare with the mailbox's enqueued count). */
  recordsHandled: number;
  /** A ring-executor pass (commands, a control, encodes, task lanes and their callbacks) is scheduled or running. */
  executorBusy: boolean;
  /** Display-queue jobs queued or running. */
  displayJobs: number;
}

export interface NativeEngine {
  stop(): void;
  stats(): EngineStats;
  activity(): EngineActivity;
  /**
   * The display's cursor position as the ring executor last stored it. x and y are two separate
   * loads, so a read racing a move can pair the old x with the new y. Tests use it; embedders get
   * the position with each frame (Vm.frame()), carried by the cursorMove event.
   */
  cursorPosition(display: number): { x: number; y: number };
  threadCount(): number;
  /**
   * The engine's state at a quiescent point (registers, ring, contexts, tasks and their mappings,
   * display modes, frames, damage, cursors, IOSurface maps: docs/snapshots.md). Only while the
   * engine is idle (a paused VM).
   */
  saveState(): Uint8Array;
  /**
   * Loads a saved state into an engine at power-on (new, or after a power-on record), before any
   * record reaches it and without host callbacks (the device actor restores its side itself).
   * null when loaded; otherwise why it was refused, the engine left at power-on.
   */
  loadState(bytes: Uint8Array): EngineStateRefusal | null;
}

/** Why NativeEngine.loadState refused a state: the part (header, registers, ring, contexts, tasks, display N, iosfc, end, engine) and the reason. */
export interface EngineStateRefusal {
  part: string;
  reason: string;
}

/** What checkEngineState needs of the engine that would load a state: its guest memory and limits (as EngineOptions gives them). */
export interface EngineStateCheckOptions {
  memory: Int32Array;
  regions: EngineOptions['regions'];
  displays: { modes: { width: number; height: number; refresh: number }[] }[];
  iosfc: boolean;
  maxContextBytes: number;
}

/** What an engine state that passed says of guest memory: the running ring's task, the contexts' tasks, each task's size and mappings. */
export interface EngineStateSummary {
  ring: { running: boolean; task: number };
  contexts: { number: number; task: number; size: number }[];
  tasks: { id: number; size: number; mappings: { va: number; gpa: number; length: number; readOnly: boolean }[] }[];
}

export interface NativeAddon {
  Engine: new (options: EngineOptions) => NativeEngine;
  /** Whether the vulkan backend can run here (opens and closes the device it would use). */
  vulkanProbe(): VulkanProbe;
  /**
   * A saved engine state checked with no engine running: the checks NativeEngine.loadState makes
   * first (decodeEngineState), against an engine of `options`. Its summary, or why it is refused.
   */
  checkEngineState(bytes: Uint8Array, options: EngineStateCheckOptions): EngineStateSummary | EngineStateRefusal;
  futexWait(words: Int32Array, index: number, expected: number, timeoutMs?: number): FutexWaitResult;
  /** Sleeps while both words hold their expected values; a wake on either ends it (futex_waitv). */
  futexWaitEither(a: Int32Array, indexA: number, expectedA: number, b: Int32Array, indexB: number, expectedB: number, timeoutMs?: number): FutexWaitResult;
  futexWake(words: Int32Array, index: number, count?: number): number;
  /**
   * Makes this worker's event loop the consumer's doorbell of a mailbox in park mode EventLoop
   * (its words): an eventfd published in its header and polled here; each ring by any thread
   * calls onRing() on this loop (once per poll, however many rings came).
   */
  EventLoopDoorbell: new (mailboxWords: Int32Array, onRing: () => void) => { close(): void };
  /** Rings a park-mode-EventLoop mailbox's event-loop consumer, or futex-wakes up to count sleepers on its doorbell word if it has none. */
  ringEventLoop(mailboxWords: Int32Array, count?: number): number;
  /**
   * Copies a rectangle of pixels from src to dst, both frames `stride` pixels wide from pixel
   * (0, 0), with memcpy (TypedArray.set over shared memory copies word by word): false, copying
   * nothing, when the rectangle runs past its row or either array.
   */
  copyPixelRect(src: Uint32Array, dst: Uint32Array, stride: number, x: number, y: number, width: number, height: number): boolean;
  monotonicMicros(): number;
  /** Whether /dev/kvm (or `path`) can run our vCPUs here, and why not when it cannot. */
  kvmProbe(path?: string): { ok: boolean; reason: string };
  /** The host address of the array's first byte modulo 4096 (to page-align guest RAM for KVM). */
  pageOffsetOf(bytes: Uint8Array): number;
  /** A KVM VM over guest RAM (a Uint8Array over its SAB); returns its id in a process-wide table. */
  kvmCreateVm(bytes: Uint8Array, regions: { gpa: number; offset: number; size: number; readOnly: boolean }[], path?: string): number;
  /** Drops every memory slot now and forgets the VM (false if the id is unknown). */
  kvmDestroyVm(id: number): boolean;
  /** vCPU `index` of VM `vm`, bound to the calling thread; exit details land in `exitInfo` (EXIT_INFO_LENGTH doubles, slots ExitInfo: abi/schema/kvm-exits.ts). */
  kvmCreateVcpu(vm: number, index: number, irqWords: Int32Array, exitInfo: Float64Array, slicePeriodMs: number): NativeHandle;
  kvmEnterLongMode(vcpu: NativeHandle, entry: { rip: number; rsp: number; rdi: number; gsBase: number; cr3: number; gdtBase: number; gdtLimit: number; tssBase?: number }): void;
  /** One KVM_RUN; returns the exit kind (abi/schema/kvm-exits.ts), also in the exit info's Kind slot. */
  kvmRun(vcpu: NativeHandle): (typeof ExitKind)[keyof typeof ExitKind];
  kvmCompleteRead(vcpu: NativeHandle, lo: number, hi: number): void;
  kvmRegisters(vcpu: NativeHandle): { rip: number; rsp: number; rflags: number; cr0: number; cr3: number; cr4: number; efer: number };
  /** The vCPU's state at an exit boundary, for a snapshot (the last exit's I/O completed first). */
  kvmSaveState(vcpu: NativeHandle): KvmCpuState;
  /** Loads a snapshot's state, checked first (actors/vcpu/kvm/vcpu-state-check.ts), in place of an entry. */
  kvmLoadState(vcpu: NativeHandle, state: KvmCpuState): void;
  kvmCloseVcpu(vcpu: NativeHandle): void;
  /** Kicks thread `tid` of this process out of KVM_RUN (false if it no longer exists). */
  kickThread(tid: number): boolean;
  threadCpuMicros(): number;
  currentThreadId(): number;
  /** Names the calling thread (15 bytes kept), as /proc/<pid>/task/<tid>/comm shows it. */
  setThreadName(name: string): void;
}
