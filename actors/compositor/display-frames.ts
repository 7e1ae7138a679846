// One display as the compositor keeps it: the latest frame (in a frame store from the display's
// fixed pool, one no sink still reads, so a sink on another thread still reading the old mode
// never sees the new one's bytes), the cursor, and the encode pacing — at most one encode in
// flight plus one pending; further new frames coalesce into the pending one and are counted. Readback is asynchronous: an
// encode is a request into the engine's mailbox and its answer a later record. Encodes alternate
// between the display's two surfaces, so the next one runs while the last one is copied out.
import { SURFACE_HEADER_BYTES, SURFACES_PER_DISPLAY, SurfaceWord } from '../../shared/display/surface-layout.js';
import { native } from '../../shared/native/addon.js';
import { CursorSlot, type CursorGlyphImage } from '../../shared/display/cursor-slot.js';
import { BigLock, createBigLockBuffer } from '../../shared/lock/big-lock.js';
import { EncodeStatus } from '../device/engine-records.js';
import type { KeptFrame } from '../device/messages.js';
import { FrameLatency } from './frame-latency.js';
import { FrameStorePool, type FrameStore } from './frame-store-pool.js';
import type { CompositorDisplayConfig, CompositorDisplayStats } from './messages.js';
import type { SinkCursor } from '../../outputs/vnc-sink/protocol.js';
import type { CursorImage, FramebufferSource, Rect } from '../../outputs/vnc/types.js';
import type { CompositorDisplayState } from './display-snapshot.js';

/** Whoever shows this display (a VNC server; the null sink is the absence of one). */
export interface DisplaySink {
  /**
   * A new mode in another frame store, zero-filled; damage() follows with the mode's first frame
   * (even with no rectangles). The sink calls DisplayFrames.released once it stopped reading the
   * old store.
   */
  resize(): void;
  damage(rects: readonly Rect[]): void;
  cursorChanged(): void;
  cursorMoved(): void;
}

/** Posts an encode request for the whole frame into a surface; false when the engine's mailbox is full. */
export type RequestEncode = (generation: number, width: number, height: number, surface: number) => boolean;

export class DisplayFrames implements FramebufferSource {
  /** The kept frame's mode: what the sinks and snapshots see. */
  private widthNow = 0;
  private heightNow = 0;
  private keptGeneration = 0;
  /** The newest mode's generation: encodes are asked and kept for it only. */
  private generation = 0;
  /** A newer mode than the kept one, waiting for a frame store no sink reads. */
  private waiting: { width: number; height: number } | null = null;
  /** The kept frame: its frame store (id 0 before the first mode), and a view of it. */
  private store: FrameStore = { id: 0, buffer: new SharedArrayBuffer(0) };
  private kept: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  private readonly pool: FrameStorePool;
  /** The surface the next encode goes to (never the one being copied out). */
  private nextSurface = 0;
  private inFlight = false;
  /** A frame of the kept mode has been copied into the store (since the last mode change). */
  private framed = false;
  /** Modes kept so far: names a mode to the sinks, whose store may be reused when none is attached. */
  private modes = 0;
  private pending = false;
  /** An encode the engine's mailbox could not take yet. */
  private unsent = false;
  private readonly surfaceBytes: number;
  private readonly surfaceHeaders: Uint32Array[] = [];
  private readonly surfacePixels: Uint32Array[] = [];
  private readonly cursorSlot: CursorSlot;
  private glyph: CursorGlyphImage | null = null;
  private pointer = { visible: false, x: 0, y: 0 };
  private readonly sinks = new Set<DisplaySink>();
  /**
   * Held while a frame's damage is copied into the kept store and posted to the sinks; sink
   * workers hold it while they copy an update out (vnc-sink/worker.ts snapshot()). Not taken
   * for the store a mode change fills: no sink reads that one before its resize message.
   */
  readonly frameLock = new BigLock(createBigLockBuffer());
  /** Told the number of frames wanted from the engine (in flight + pending) when it changes: a trace counter. */
  onPendingChange: ((pending: number) => void) | null = null;
  private lastPending = 0;
  private readonly counts = {
    frames: 0,
    encodes: 0,
    coalesced: 0,
    staleEncodes: 0,
    encodeRetries: 0,
    damageRects: 0,
    pixelsCopied: 0,
    lastFrameSeq: 0,
    announcedFrameSeq: 0,
    glyphs: 0,
    tornGlyphReads: 0,
    maxEncodeMs: 0,
    modeWaits: 0,
    modesSkipped: 0,
  };
  private sentAt = 0;
  private readonly latency = new FrameLatency();
  private updates = 0;
  /** Refresh-timed display (the qemu model): rectangles copied into the frame store, not shown to the sinks yet. */
  private unshown: Rect[] | null = null;
  /** A refresh tick shows at most this many rectangles; more become one covering the frame. */
  private static readonly MAX_UNSHOWN_RECTS = 64;

  constructor(
    readonly config: CompositorDisplayConfig,
    private readonly requestEncode: RequestEncode,
    /** Show frames on refresh() ticks (QEMU's console refresh timer) rather than as soon as they are copied. */
    private readonly refreshTimed = false,
  ) {
    this.surfaceBytes = config.surfaces.byteLength / SURFACES_PER_DISPLAY;
    // Each surface's header and pixels, made once: a frame's copy allocates no view.
    const pixelWords = (this.surfaceBytes - SURFACE_HEADER_BYTES) / 4;
    for (let k = 0; k < SURFACES_PER_DISPLAY; k++) {
      const base = k * this.surfaceBytes;
      this.surfaceHeaders.push(new Uint32Array(config.surfaces, base, SURFACE_HEADER_BYTES / 4));
      this.surfacePixels.push(new Uint32Array(config.surfaces, base + SURFACE_HEADER_BYTES, pixelWords));
    }
    this.cursorSlot = new CursorSlot(config.cursor);
    this.pool = new FrameStorePool(this.surfaceBytes - SURFACE_HEADER_BYTES);
  }

  addSink(sink: DisplaySink): void {
    this.sinks.add(sink);
  }

  /**
   * Adds a sink that was started from this display's state as it was when its store was
   * mode `knownMode` (modeSerial; a sink worker starts asynchronously): it is told of a mode change it missed,
   * and of the frame already kept in it, or it would wait for a frame a finished guest never sends.
   */
  addStartedSink(sink: DisplaySink, knownMode: number): void {
    this.sinks.add(sink);
    if (this.modes === knownMode) return;
    sink.resize();
    if (this.framed) sink.damage([]);
  }

  removeSink(sink: DisplaySink): void {
    this.sinks.delete(sink);
    if (this.pool.forget(sink)) this.switchMode();
  }

  /** `sink` no longer reads the frame store `id` (frameStoreId): once no sink does, it is reused. */
  released(sink: DisplaySink, id: number): void {
    if (this.pool.release(sink, id)) this.switchMode();
  }

  // ------------------------------------------------------------ events from the device actor

  onModeChange(width: number, height: number, generation: number): void {
    this.generation = generation;
    if (this.waiting) this.counts.modesSkipped++; // replaced before it had a store: never kept, never shown
    this.waiting = { width, height };
    this.switchMode();
  }

  /**
   * Moves the kept frame to the waiting mode, if there is one and a store for it. Stores come
   * from the display's fixed pool and are sized for the largest mode, so any one fits any mode.
   * With sinks, the new mode needs a store no sink reads (one may be encoding from the old store
   * right now); the old one is held until every sink released it. When every store is still
   * held the mode waits: no encode is asked for it (there is nowhere to keep one), newer modes
   * replace it (counted), and the first release carries it out. So a guest changing modes in a
   * loop against a lagging sink changes modes more slowly; it never makes the host allocate.
   * With no sink the one store is reused at once.
   */
  private switchMode(askForFrame = true): void {
    const mode = this.waiting;
    if (!mode) return;
    if (this.sinks.size > 0 || this.store.id === 0) {
      const next = this.pool.take();
      if (!next) {
        // Only a mode change gets here: a release that calls this has just freed a store.
        this.counts.modeWaits++;
        return;
      }
      if (this.store.id !== 0) this.pool.hold(this.store, this.sinks);
      this.store = next;
    }
    this.waiting = null;
    this.modes++;
    this.widthNow = mode.width;
    this.heightNow = mode.height;
    this.keptGeneration = this.generation;
    this.kept = new Uint32Array(this.store.buffer, 0, mode.width * mode.height);
    this.kept.fill(0);
    this.unshown = null; // the old mode's rectangles: the resize has the sinks redraw everything
    this.framed = false;
    for (const s of this.sinks) s.resize();
    if (askForFrame) this.want();
  }

  /**
   * A system reset (vm.reset(), docs/lifecycle.md), with the VM paused and the engine powered on
   * (its generations and frame numbers start again at 0, and it answered every encode it held).
   * The display goes black at its size, as a monitor does when the machine resets: the sinks
   * get a mode change to a zero-filled store; nothing is asked of the engine until the guest
   * sets a mode again (a new generation, another mode change).
   */
  powerOn(): void {
    this.generation = 0;
    this.inFlight = this.pending = this.unsent = false;
    this.nextSurface = 0;
    this.counts.lastFrameSeq = this.counts.announcedFrameSeq = 0;
    this.glyph = null;
    this.pointer = { visible: false, x: 0, y: 0 };
    this.pendingChanged();
    if (this.widthNow === 0) return; // never had a mode: already as a new display
    this.waiting = { width: this.widthNow, height: this.heightNow };
    this.switchMode(false);
    for (const s of this.sinks) s.cursorChanged();
  }

  /**
   * The display as a snapshot keeps it (display-snapshot.ts), with the VM paused: the kept frame,
   * generations, whether a frame is wanted from the engine (an encode in flight or pending: the
   * engine's held requests are not saved, so the restored display asks again) and the cursor.
   */
  saveState(): CompositorDisplayState {
    const g = this.glyph;
    const mode = this.waiting ?? (this.widthNow === 0 ? null : { width: this.widthNow, height: this.heightNow });
    // A mode still waiting for a store is saved as kept and black: its first frame is still to come.
    const kept = this.waiting === null;
    return {
      mode,
      generation: this.generation,
      keptGeneration: kept ? this.keptGeneration : this.generation,
      frameSeq: kept ? this.counts.lastFrameSeq : 0,
      frameWanted: mode !== null && (this.inFlight || this.pending || this.unsent || !kept),
      pixels: kept ? this.kept.slice() : new Uint32Array(mode ? mode.width * mode.height : 0),
      cursor: { ...this.pointer, glyph: g ? { width: g.width, height: g.height, hotX: g.hotX, hotY: g.hotY, argb: g.argb.slice() } : null },
    };
  }

  /**
   * Takes a saved state into a display that has had no event yet (a restore; the state checked
   * by decodeCompositorDisplay against the display's modes). Sinks see the mode and its frame;
   * an encode is asked when the saved display wanted one (the engine must be loaded by then).
   */
  loadState(s: CompositorDisplayState): void {
    if (this.modes !== 0 || this.generation !== 0) throw new Error('DisplayFrames.loadState: the display has already had events');
    this.glyph = s.cursor.glyph && { ...s.cursor.glyph, argb: s.cursor.glyph.argb.slice() };
    this.pointer = { visible: s.cursor.visible, x: s.cursor.x, y: s.cursor.y };
    if (!s.mode) return;
    this.generation = s.keptGeneration;
    this.waiting = { ...s.mode };
    this.switchMode(false);
    this.kept.set(s.pixels);
    this.generation = s.generation;
    this.counts.lastFrameSeq = this.counts.announcedFrameSeq = s.frameSeq;
    this.show([{ x: 0, y: 0, width: s.mode.width, height: s.mode.height }]);
    for (const sink of this.sinks) sink.cursorChanged();
    if (s.frameWanted) this.want();
  }

  /** An encode is still sent or waiting to be sent: not idle for vm.pause() (the engine may hold a sent one). */
  get unsentEncode(): boolean {
    return this.unsent;
  }

  /** `stamp`: when the device actor took the event from the engine (frame-latency.ts). */
  onNewFrame(frameSeq: number, stamp: number): void {
    this.latency.arrived(stamp);
    this.counts.frames++;
    this.counts.announcedFrameSeq = frameSeq;
    this.want();
  }

  /** Returns whether the answer was kept (a frame of the current mode). */
  onEncodeDone(generation: number, status: number, frameSeq: number, surface: number): boolean {
    this.inFlight = false;
    this.pendingChanged();
    this.counts.maxEncodeMs = Math.max(this.counts.maxEncodeMs, performance.now() - this.sentAt);
    const current = status === EncodeStatus.Ok && generation === this.generation;
    // Start the next encode first (into the other surface): it runs while this one is copied out.
    if (this.pending) {
      this.pending = false;
      this.send();
    }
    if (current && surface < SURFACES_PER_DISPLAY) {
      this.counts.encodes++;
      this.counts.lastFrameSeq = frameSeq;
      this.applyDamage(surface);
      return true;
    }
    this.counts.staleEncodes++; // encoded for an old mode: dropped, never shown at the wrong size
    return false;
  }

  onCursorGlyph(sequence: number): void {
    const glyph = this.cursorSlot.read(sequence);
    if (!glyph) {
      this.counts.tornGlyphReads++; // a newer glyph overtook this one; its own message follows
      return;
    }
    this.glyph = glyph;
    this.counts.glyphs++;
    for (const s of this.sinks) s.cursorChanged();
  }

  onCursorShow(visible: boolean): void {
    this.pointer.visible = visible;
    for (const s of this.sinks) s.cursorChanged();
  }

  onCursorMove(x: number, y: number): void {
    this.pointer.x = x;
    this.pointer.y = y;
    for (const s of this.sinks) s.cursorMoved();
  }

  /**
   * A refresh tick (refresh-timed displays): shows the sinks what was copied since the last
   * tick, as QEMU's gfx_update does with dpy_gfx_update_full. Returns whether it showed anything.
   */
  refresh(): boolean {
    const rects = this.unshown;
    if (!rects) return false;
    this.unshown = null;
    this.frameLock.lock();
    try {
      this.show(rects);
    } finally {
      this.frameLock.unlock();
    }
    return true;
  }

  /** Retries an encode the engine's mailbox could not take; true while it is still unsent. */
  flush(): boolean {
    if (this.unsent) this.send();
    return this.unsent;
  }

  // ------------------------------------------------------------ FramebufferSource (sinks read)

  /** The kept frame's store (ARGB words at the kept width). */
  get frameStore(): SharedArrayBuffer {
    return this.store.buffer;
  }

  /** The kept frame store's id, for DisplayFrames.released. */
  get modeSerial(): number {
    return this.modes;
  }

  get frameStoreId(): number {
    return this.store.id;
  }

  width(): number {
    return this.widthNow;
  }

  height(): number {
    return this.heightNow;
  }

  pixels(): Uint32Array {
    return this.kept;
  }

  cursorState(): SinkCursor {
    return { glyph: this.glyph, ...this.pointer };
  }

  cursor(): CursorImage | null {
    const g = this.glyph;
    if (!g) return null;
    return { ...g, ...this.pointer };
  }

  // ------------------------------------------------------------ reports

  frame(): KeptFrame | null {
    if (this.widthNow === 0) return null;
    const g = this.glyph;
    return {
      width: this.widthNow,
      height: this.heightNow,
      generation: this.keptGeneration,
      frameSeq: this.counts.lastFrameSeq,
      pixels: this.kept.slice(),
      cursor: { ...this.pointer, glyph: g ? { width: g.width, height: g.height, hotX: g.hotX, hotY: g.hotY, argb: g.argb } : null },
    };
  }

  stats(): Omit<CompositorDisplayStats, 'vnc'> {
    const c = this.counts;
    return {
      device: this.config.device,
      display: this.config.display,
      serial: this.config.serial,
      mode: this.widthNow === 0 ? null : { width: this.widthNow, height: this.heightNow },
      generation: this.generation,
      frames: c.frames,
      encodes: c.encodes,
      coalesced: c.coalesced,
      staleEncodes: c.staleEncodes,
      encodeRetries: c.encodeRetries,
      frameStores: this.pool.allocated,
      heldStores: this.pool.heldCount,
      modeWaits: c.modeWaits,
      modesSkipped: c.modesSkipped,
      damageRects: c.damageRects,
      pixelsCopied: c.pixelsCopied,
      lastFrameSeq: c.lastFrameSeq,
      announcedFrameSeq: c.announcedFrameSeq,
      maxEncodeMs: c.maxEncodeMs,
      frameLock: this.frameLock.stats(),
      busy: this.inFlight || this.pending || this.unsent || this.waiting !== null || this.unshown !== null,
      frameLatency: this.latency.stats(),
      updates: this.updates,
      cursor: { ...this.pointer, glyphs: c.glyphs, tornGlyphReads: c.tornGlyphReads },
    };
  }

  // ------------------------------------------------------------ pacing

  private want(): void {
    if (this.inFlight || this.unsent) {
      if (this.pending) this.counts.coalesced++;
      this.pending = true;
      this.pendingChanged();
      return;
    }
    this.send();
  }

  private pendingChanged(): void {
    const now = (this.inFlight || this.unsent ? 1 : 0) + (this.pending ? 1 : 0);
    if (now === this.lastPending) return;
    this.lastPending = now;
    this.onPendingChange?.(now);
  }

  private send(): void {
    if (this.widthNow === 0) return;
    if (this.waiting) {
      // The newest mode has no store yet: its frames wait as one pending encode, sent by switchMode.
      this.pending = true;
      this.pendingChanged();
      return;
    }
    const sent = this.requestEncode(this.generation, this.widthNow, this.heightNow, this.nextSurface);
    if (sent) {
      this.sentAt = performance.now();
      this.nextSurface = (this.nextSurface + 1) % SURFACES_PER_DISPLAY;
    } else {
      this.counts.encodeRetries++;
    }
    this.unsent = !sent;
    this.inFlight = sent;
    if (sent) this.pending = false;
    this.pendingChanged();
  }

  /**
   * Copies the rectangles the engine wrote into its surface into the kept frame, then tells the
   * sinks, under the frame lock: a sink that copies from the store under it sees this frame whole
   * and has its damage message already (the port is drained under the lock).
   */
  private applyDamage(surface: number): void {
    this.frameLock.lock();
    try {
      this.copyDamage(surface);
    } finally {
      this.frameLock.unlock();
    }
  }

  private copyDamage(surface: number): void {
    const header = this.surfaceHeaders[surface]!;
    const w = this.widthNow;
    if (header[SurfaceWord.Width] !== w || header[SurfaceWord.Height] !== this.heightNow) return;
    const src = this.surfacePixels[surface]!;
    const rects: Rect[] = [];
    const n = header[SurfaceWord.DamageCount]!;
    for (let i = 0; i < n; i++) {
      const at0 = SurfaceWord.Damage + i * 4;
      const r = { x: header[at0]!, y: header[at0 + 1]!, width: header[at0 + 2]!, height: header[at0 + 3]! };
      if (r.x + r.width > w || r.y + r.height > this.heightNow) continue; // never trust a rectangle blindly
      // memcpy: TypedArray.set over shared memory copies word by word (docs/scaling.md).
      if (!native.copyPixelRect(src, this.kept, w, r.x, r.y, r.width, r.height)) continue;
      this.counts.pixelsCopied += r.width * r.height;
      rects.push(r);
    }
    this.counts.damageRects += rects.length;
    if (!this.refreshTimed) return this.show(rects);
    const waiting = (this.unshown ??= []);
    if (waiting.length + rects.length > DisplayFrames.MAX_UNSHOWN_RECTS) waiting.splice(0, waiting.length, { x: 0, y: 0, width: w, height: this.heightNow });
    else waiting.push(...rects);
  }

  /**
   * The display shows what the frame store holds: the sinks are told, the frames' latency ends.
   * Called with the frame lock held, so a sink that takes it finds the store and its damage
   * messages in step (a frame's pixels are never announced apart from its rectangles).
   */
  private show(rects: Rect[]): void {
    this.updates++;
    this.latency.shown();
    // The mode's first frame goes to the sinks even without rectangles: it is what they wait
    // for before showing the mode (vnc-sink/worker.ts), rather than the zero-filled store.
    if (rects.length > 0 || !this.framed) for (const s of this.sinks) s.damage(rects);
    this.framed = true;
  }
}
