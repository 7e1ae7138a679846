// The device actor's records (from vCPUs), configuration and control plane. Engine callback
// records (engine-records.ts) arrive in the same mailbox.
import type { EngineBackend, Pacing, Readback } from '../../abi/generated/binding-strings.js';
import type { MailboxStats } from '../../shared/mailbox/mailbox.js';
import type { MapSemantics, TaskSpaceLimits, TaskSpaceStats } from './task-space.js';

/** From a vCPU's MMIO bus: kinds and windows; the fields are in abi/schema/device-records.ts. */
export { DeviceKind, DeviceWindow } from '../../abi/generated/device-records.js';

export type DeviceVariant = 'apple-gfx-mmio' | 'apple-gfx-pci';

export interface DisplayModeSpec {
  width: number;
  height: number;
  refresh: number;
}

export interface DeviceConfig {
  /** Index among the VM's devices (BAR table entry, interrupt lines). */
  index: number;
  variant: DeviceVariant;
  /** Per display: its modes, the surface pool the engine encodes into, and the cursor glyph slot. */
  displays: {
    serial: number;
    modes: DisplayModeSpec[];
    /** 'refresh': presents wait for the display's refresh ticks (vmm/config.ts VmOptions.pacing). */
    pacing: Pacing;
    /** 'whole-frame': every present damages the whole frame (profile 'pvg'). */
    readback: Readback;
    surfaces: SharedArrayBuffer;
    cursor: SharedArrayBuffer;
  }[];
  /** Display events go to the compositor actor's mailbox. */
  compositorMailbox: SharedArrayBuffer;
  /**
   * The engine posts its display events into the compositor's mailbox itself (the actor model);
   * otherwise they come through this actor (the qemu and record-lock models, whose display
   * handlers run under the lock upstream).
   */
  displayEventsDirect: boolean;
  /**
   * The engine raises its interrupts itself, on its own thread, through the interrupt table (the
   * actor model); otherwise they come through this actor (the qemu and record-lock models, as
   * upstream raises under the BQL).
   */
  interruptsDirect: boolean;
  vcpus: number;
  /** MMIO variant: the interrupt controller lines of the gfx and iosfc interrupts. */
  gfxLine: number;
  iosfcLine: number;
  irqMailbox: SharedArrayBuffer;
  /** The shared interrupt table the device delivers its MSIs and edge pulses through, and every vCPU's interrupt state. */
  irqTable: SharedArrayBuffer;
  irqTargets: SharedArrayBuffer[];
  writeCompletion: SharedArrayBuffer;
  barTable: SharedArrayBuffer;
  engineReplies: SharedArrayBuffer;
  engineInbound: SharedArrayBuffer;
  poolThreads: number;
  /** The engine backend (docs/vulkan.md). */
  backend: EngineBackend;
  /** Checks the engine's MMIO dispatcher makes before it parks (vmm/spin-policy.ts). */
  dispatcherSpin: number;
  limits: Partial<TaskSpaceLimits>;
  /** The host's map/unmap rules, for the task space and the engine's own table alike. */
  mapSemantics: MapSemantics;
  /** The first of poolThreads + 2 trace rings for the engine's threads, + 3 with the vulkan backend (the last: its gpu track); none if absent. */
  engineTraceRing?: number;
  /** Engine watchdog: a callback unanswered this long becomes a device error (none if absent). */
  callbackTimeoutMs?: number;
}

/** A display as the device sees it; frames and cursors are the compositor's (CompositorStats). */
export interface DeviceDisplayStats {
  serial: number;
  mode: { width: number; height: number } | null;
  /** Cursor glyphs handed to the compositor. */
  cursorGlyphs: number;
}

export interface DeviceStats {
  variant: DeviceVariant;
  mmioReads: number;
  mmioWrites: number;
  configReads: number;
  configWrites: number;
  callbacks: Record<string, number>;
  refusals: Record<string, number>;
  /** heldWhileMasked: PCI raises that found their MSI vector masked (sent once it is unmasked). */
  /**
   * raised = delivered + droppedWhileDisabled + heldWhileMasked (+ level pulses waiting for room);
   * direct: of raised, routed by the engine on its own thread (the actor model); deferred: raises
   * the engine handed to this actor instead (a masked MSI vector, a level line).
   */
  interrupts: { raised: number; delivered: number; droppedWhileDisabled: number; heldWhileMasked: number; direct: number; deferred: number };
  tasks: TaskSpaceStats;
  displays: DeviceDisplayStats[];
  /** Display events forwarded to the compositor. backlogged: waited for room in the compositor's mailbox; coalesced: superseded while waiting, dropped (coalescedFrames: new-frame events among them); waiting: in the backlog now. */
  displayEvents: { forwarded: number; backlogged: number; coalesced: number; coalescedFrames: number; waiting: number };
  engine: import('../../shared/native/types.js').EngineStats | null;
  mailbox: MailboxStats;
  /** Under the qemu threading model: bottom halves run (lent: by a vCPU in AIO_WAIT_WHILE) and the task mutex; null otherwise. */
  qemu: { bottomHalves: number; lentBottomHalves: number; taskMutex: import('../../shared/lock/big-lock.js').BigLockStats } | null;
}

/** A cursor image as the engine converted it: ARGB8888 straight alpha, with its hotspot. */
export interface CursorGlyph {
  width: number;
  height: number;
  hotX: number;
  hotY: number;
  argb: Uint32Array;
}

export interface KeptFrame {
  width: number;
  height: number;
  generation: number;
  frameSeq: number;
  /** ARGB words (0xAARRGGBB), as the guest drew them, without the cursor. */
  pixels: Uint32Array;
  cursor: { visible: boolean; x: number; y: number; glyph: CursorGlyph | null };
}

/** What vm.pause() asks each device (actors/device/lifecycle.ts). */
export interface DeviceActivity {
  /** Nothing of this device in flight: no record, callback, encode, interrupt or display event. */
  idle: boolean;
  /** What is still in flight (names, for a pause that times out). */
  busy: string[];
  /** Monotonic counts that move whenever the device does anything. */
  counters: number[];
}

export interface DeviceControl {
  stats(): DeviceStats;
  activity(): DeviceActivity;
  /**
   * A system reset (QEMU's reset hold phase: PGDevice reset): the engine powers on (registers,
   * ring, contexts, IOSurface maps, modes, frames), then this actor's task space, PCI config
   * space and interrupt backlog. Call only while the VM is paused.
   */
  reset(): Promise<void>;
  /**
   * While the VM is paused (nothing in flight): the engine's, the task space's and (PCI) the
   * config space's state as bytes (docs/snapshots.md).
   */
  saveState(): DeviceStateBytes;
  /**
   * Into a device no record has reached yet (a restore, before any vCPU exists): the config
   * space (its BAR0 decode published as a guest write would), the task space, then the engine.
   * Returns the first refusal ({ part, reason }: part names the component) with the device left
   * at power-on as far as the engine goes; null when loaded.
   */
  loadState(state: DeviceStateBytes): { part: string; reason: string } | null;
}

/** A device's state in a snapshot (vmm/snapshot/machine-state.ts DeviceSavedState). */
export interface DeviceStateBytes {
  engine: Uint8Array;
  taskSpace: Uint8Array;
  pci: Uint8Array | null;
}
