// Messages between the compositor and a display's VNC sink worker. The frame's pixels are not in
// them: the worker reads the compositor's frame store (a SAB) directly; these carry what changed.
import type { CursorGlyphImage } from '../../shared/display/cursor-slot.js';
import type { Rect, VncServerStats } from '../vnc/types.js';
import type { InputBinding, InputRouteStats } from './input-route.js';

export interface VncSinkData {
  /** The compositor's frame store for this display's current mode (ARGB words, row-major). */
  frame: SharedArrayBuffer;
  /** Its id: the worker names it when it stops reading it. */
  frameId: number;
  /**
   * The display's frame lock (a BigLock buffer): the compositor holds it while it writes a frame
   * into the store and posts the damage; the worker while it drains those messages and copies an
   * update's pixels out. So every update is one frame the compositor finished, with all its damage.
   */
  frameLock: SharedArrayBuffer;
  width: number;
  height: number;
  /** The display's mode serial (DisplayFrames.modeSerial) for this store and size. */
  mode: number;
  port: number;
  host: string;
  password?: string;
  name: string;
  /** The display's keyboard and tablet (null: it has none, and clients' input goes nowhere). */
  input?: InputBinding | null;
  /** Clients see the display; their keys and pointer go nowhere (default false). */
  viewOnly?: boolean;
}

/** The server's counters and where clients' input went. */
export type VncSinkStats = VncServerStats & { input: InputRouteStats };

export interface SinkCursor {
  glyph: CursorGlyphImage | null;
  visible: boolean;
  x: number;
  y: number;
}

export const STATS_INTERVAL_MS = 100;

/** Compositor → sink worker. */
export type ToSink =
  /**
   * A new mode in another frame store, zero-filled: the worker switches to it at the next
   * 'damage' (the mode's first frame, sent even when it has no rectangles) and then releases the
   * old one, which stays whole until then; a newer 'resize' first releases this one unread.
   * `mode` names the mode: the store may be the same one when the display had no sink.
   */
  | { t: 'resize'; width: number; height: number; frame: SharedArrayBuffer; frameId: number; mode: number }
  | { t: 'damage'; rects: Rect[] }
  | { t: 'cursor'; cursor: SinkCursor; moved: boolean }
  | { t: 'close' };

/** Sink worker → compositor. */
export type FromSink =
  | { t: 'listening'; port: number }
  | { t: 'failed'; message: string }
  /** Sent every STATS_INTERVAL_MS while the counters change, and once more when closing. */
  | { t: 'stats'; stats: VncSinkStats }
  /** The worker no longer reads frame store `frameId` (it switched to a newer one). */
  | { t: 'released'; frameId: number }
  | { t: 'closed' };
