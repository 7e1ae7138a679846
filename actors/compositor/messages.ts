// The compositor actor's records (from the device actors), configuration and control plane.
import type { InputBinding } from '../../outputs/vnc-sink/input-route.js';
import type { VncSinkStats } from '../../outputs/vnc-sink/protocol.js';
import type { MailboxStats } from '../../shared/mailbox/mailbox.js';
import type { KeptFrame } from '../device/messages.js';

/** Device actor → compositor records: kinds and fields in abi/schema/compositor-records.ts. */
export { CompositorKind } from '../../abi/generated/compositor-records.js';

/** One display the compositor serves: where its frames and cursor come from. */
export interface CompositorDisplayConfig {
  device: number;
  display: number;
  serial: number;
  /** The surface pool the engine encodes into (surface-layout.ts). */
  surfaces: SharedArrayBuffer;
  /** The seqlocked cursor glyph slot the device actor fills (cursor-slot.ts). */
  cursor: SharedArrayBuffer;
  /** The device engine's inbound mailbox: encode requests go straight there. */
  engineInbound: SharedArrayBuffer;
  /** The display's virtio-input keyboard and tablet, which VNC and web clients' input goes to (absent: none). */
  input?: InputBinding;
}

export interface CompositorConfig {
  displays: CompositorDisplayConfig[];
  /** Word 0 non-zero: someone listens, so post CompositorEvents to the subscribers. */
  eventsWanted: SharedArrayBuffer;
  /**
   * 0: a frame goes to the sinks as soon as its readback is copied (the actor model). Otherwise
   * the display is updated on a timer of this period, under the BQL, as QEMU's console refresh
   * does (the qemu model: 30 ms, GUI_REFRESH_INTERVAL_DEFAULT).
   */
  refreshMs: number;
}

export interface VncOptions {
  /** The first display's port; display k listens on port + k (0: every display picks a free port). */
  port: number;
  host?: string;
  password?: string;
  /** Clients (and the browser viewer, which is one) see the displays; their keys and pointer go nowhere. */
  viewOnly?: boolean;
}

export interface CompositorDisplayStats {
  /** Per-frame latency: new frame taken by the device actor → shown (frame-latency.ts). */
  frameLatency: import('./frame-latency.js').FrameLatencyStats;
  /** Display updates (sinks told): one per kept encode, or per refresh tick that had one (qemu model). */
  updates: number;
  device: number;
  display: number;
  serial: number;
  /** The kept frame's mode (a newer one may be waiting for a frame store: modeWaits). */
  mode: { width: number; height: number } | null;
  /** The newest mode's generation. */
  generation: number;
  /** New-frame events from the engine. */
  frames: number;
  /** Encodes applied to the kept frame. */
  encodes: number;
  /** New frames folded into an already pending encode. */
  coalesced: number;
  /** Encodes answered for an old mode: dropped, never shown. */
  staleEncodes: number;
  /** Frame stores allocated so far: at most FRAME_STORES_PER_DISPLAY (3), reused once every sink released them. */
  frameStores: number;
  /** Old frame stores a sink has not released yet. */
  heldStores: number;
  /** Mode changes that found every frame store still held by a sink and waited for a release (or for a newer mode: modesSkipped). */
  modeWaits: number;
  /** Modes replaced by a newer one while waiting for a frame store: never kept, never shown to a sink. */
  modesSkipped: number;
  /** Encode requests the engine's mailbox could not take at once (retried). */
  encodeRetries: number;
  /** Damage rectangles handed to the sinks. */
  damageRects: number;
  /** Pixels copied from the engine's surface into the kept frame. */
  pixelsCopied: number;
  /** The engine's frame sequence of the last encode kept. */
  lastFrameSeq: number;
  /** The frame sequence of the newest new-frame event (every present's, even when the device actor coalesced some). */
  announcedFrameSeq: number;
  /** The longest an encode took, request to answer (ms). */
  maxEncodeMs: number;
  /**
   * The frame lock (DisplayFrames.frameLock), the compositor's and the sink workers' takes
   * together: how often one found it held, and the time spent waiting for it (ms).
   */
  frameLock: { acquisitions: number; contended: number; waitMs: number };
  /**
   * An encode is in flight or wanted. The engine holds a request until something new is
   * presented, so one may stay outstanding while the guest draws nothing.
   */
  busy: boolean;
  cursor: { visible: boolean; x: number; y: number; glyphs: number; tornGlyphReads: number };
  vnc: { port: number; stats: VncSinkStats } | null;
}

/** What the compositor tells a subscriber (Vm's 'modeChange' and 'frame' events). */
export type CompositorEvent =
  | { type: 'modeChange'; device: number; display: number; width: number; height: number; generation: number }
  | { type: 'frame'; device: number; display: number; width: number; height: number; frameSeq: number };

export interface CompositorStats {
  displays: CompositorDisplayStats[];
  mailbox: MailboxStats;
  /** Records naming a display the compositor does not serve, or an unknown kind (counted, ignored). */
  unknownRecords: number;
}

export interface CompositorControl {
  stats(): CompositorStats;
  /** The latest frame of a display, without the cursor composited, and its cursor. */
  frame(device: number, display: number): KeptFrame | null;
  /** Starts one VNC server per display (all displays, in configuration order); returns the ports. */
  startVnc(options: VncOptions): Promise<number[]>;
  /** Posts a CompositorEvent on `port` for every mode change and every frame kept, from now on. */
  subscribe(port: import('node:worker_threads').MessagePort): void;
  stopVnc(): Promise<void>;
  /** For vm.pause(): idle once its mailbox is drained and no encode request waits to be sent. */
  activity(): { idle: boolean; busy: string[]; counters: number[] };
  /** A system reset, with the VM paused and the devices powered on: every display as DisplayFrames.powerOn. */
  reset(): void;
  /** While the VM is paused: each display's state as bytes (display-snapshot.ts), in configuration order. */
  saveDisplays(): Uint8Array[];
  /**
   * A restore, with the engines loaded and before any vCPU runs: each display (configuration
   * order) takes its saved state; an encode is asked where one was wanted. Throws StateFormatError's
   * message for bytes its codec refuses (the restore checked them before anything started).
   */
  loadDisplays(states: Uint8Array[]): void;
}
