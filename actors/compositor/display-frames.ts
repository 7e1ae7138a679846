// One display as the compositor keeps it: the latest frame (compositor-owned pixels, one buffer
// per mode generation), the cursor, and the encode pacing — at most one encode in flight plus one
// pending; further new frames coalesce into the pending one and are counted. Readback is
// asynchronous: an encode is a request into the engine's mailbox and its answer a later record.
import { SURFACE_HEADER_BYTES, SurfaceWord } from '../../shared/display/surface-layout.js';
import { CursorSlot, type CursorGlyphImage } from '../../shared/display/cursor-slot.js';
import { EncodeStatus } from '../device/engine-records.js';
import type { KeptFrame } from '../device/messages.js';
import type { CompositorDisplayConfig, CompositorDisplayStats } from './messages.js';
import type { CursorImage, FramebufferSource, Rect } from './vnc/types.js';

/** Whoever shows this display (a VNC server; the null sink is the absence of one). */
export interface DisplaySink {
  resize(): void;
  damage(rects: readonly Rect[]): void;
  cursorChanged(): void;
  cursorMoved(): void;
}

/** Posts an encode request for the whole frame; false when the engine's mailbox is full. */
export type RequestEncode = (generation: number, width: number, height: number) => boolean;

export class DisplayFrames implements FramebufferSource {
  private widthNow = 0;
  private heightNow = 0;
  private generation = 0;
  private kept = new Uint32Array(0);
  private inFlight = false;
  private pending = false;
  /** An encode the engine's mailbox could not take yet. */
  private unsent = false;
  private readonly surfaceHeader: Uint32Array;
  private readonly cursorSlot: CursorSlot;
  private glyph: CursorGlyphImage | null = null;
  private cursorState = { visible: false, x: 0, y: 0 };
  private readonly sinks = new Set<DisplaySink>();
  private readonly counts = {
    frames: 0, encodes: 0, coalesced: 0, staleEncodes: 0, encodeRetries: 0, damageRects: 0, pixelsCopied: 0,
    lastFrameSeq: 0, glyphs: 0, tornGlyphReads: 0,
  };

  constructor(
    readonly config: CompositorDisplayConfig,
    private readonly requestEncode: RequestEncode,
  ) {
    this.surfaceHeader = new Uint32Array(config.surfaces, 0, SURFACE_HEADER_BYTES / 4);
    this.cursorSlot = new CursorSlot(config.cursor);
  }

  addSink(sink: DisplaySink): void {
    this.sinks.add(sink);
  }

  removeSink(sink: DisplaySink): void {
    this.sinks.delete(sink);
  }

  // ------------------------------------------------------------ events from the device actor

  onModeChange(width: number, height: number, generation: number): void {
    this.widthNow = width;
    this.heightNow = height;
    this.generation = generation;
    // A new buffer per generation: an encode still in flight for the old mode is dropped when it
    // answers (its generation is old), so nothing ever lands in a buffer of the wrong size.
    this.kept = new Uint32Array(width * height);
    for (const s of this.sinks) s.resize();
    this.want();
  }

  onNewFrame(): void {
    this.counts.frames++;
    this.want();
  }

  onEncodeDone(generation: number, status: number, frameSeq: number): void {
    this.inFlight = false;
    if (status === EncodeStatus.Ok && generation === this.generation) {
      this.counts.encodes++;
      this.counts.lastFrameSeq = frameSeq;
      this.applyDamage();
    } else {
      this.counts.staleEncodes++; // encoded for an old mode: dropped, never shown at the wrong size
    }
    if (this.pending) {
      this.pending = false;
      this.send();
    }
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
    this.cursorState.visible = visible;
    for (const s of this.sinks) s.cursorChanged();
  }

  onCursorMove(x: number, y: number): void {
    this.cursorState.x = x;
    this.cursorState.y = y;
    for (const s of this.sinks) s.cursorMoved();
  }

  /** Retries an encode the engine's mailbox could not take; true while it is still unsent. */
  flush(): boolean {
    if (this.unsent) this.send();
    return this.unsent;
  }

  // ------------------------------------------------------------ FramebufferSource (sinks read)

  width(): number {
    return this.widthNow;
  }

  height(): number {
    return this.heightNow;
  }

  pixels(): Uint32Array {
    return this.kept;
  }

  cursor(): CursorImage | null {
    const g = this.glyph;
    if (!g) return null;
    return { ...g, ...this.cursorState };
  }

  // ------------------------------------------------------------ reports

  frame(): KeptFrame | null {
    if (this.widthNow === 0) return null;
    const g = this.glyph;
    return {
      width: this.widthNow, height: this.heightNow, generation: this.generation, frameSeq: this.counts.lastFrameSeq,
      pixels: this.kept.slice(),
      cursor: { ...this.cursorState, glyph: g ? { width: g.width, height: g.height, hotX: g.hotX, hotY: g.hotY, argb: g.argb } : null },
    };
  }

  stats(): Omit<CompositorDisplayStats, 'vnc'> {
    const c = this.counts;
    return {
      device: this.config.device, display: this.config.display, serial: this.config.serial,
      mode: this.widthNow === 0 ? null : { width: this.widthNow, height: this.heightNow },
      generation: this.generation,
      frames: c.frames, encodes: c.encodes, coalesced: c.coalesced, staleEncodes: c.staleEncodes, encodeRetries: c.encodeRetries,
      damageRects: c.damageRects, pixelsCopied: c.pixelsCopied, lastFrameSeq: c.lastFrameSeq,
      busy: this.inFlight || this.pending || this.unsent,
      cursor: { ...this.cursorState, glyphs: c.glyphs, tornGlyphReads: c.tornGlyphReads },
    };
  }

  // ------------------------------------------------------------ pacing

  private want(): void {
    if (this.inFlight || this.unsent) {
      if (this.pending) this.counts.coalesced++;
      this.pending = true;
      return;
    }
    this.send();
  }

  private send(): void {
    if (this.widthNow === 0) return;
    const sent = this.requestEncode(this.generation, this.widthNow, this.heightNow);
    if (!sent) this.counts.encodeRetries++;
    this.unsent = !sent;
    this.inFlight = sent;
    if (sent) this.pending = false;
  }

  /** Copies the rectangles the engine wrote into its surface into the kept frame, then tells the sinks. */
  private applyDamage(): void {
    const header = this.surfaceHeader;
    const w = this.widthNow;
    if (header[SurfaceWord.Width] !== w || header[SurfaceWord.Height] !== this.heightNow) return;
    const src = new Uint32Array(this.config.surfaces, SURFACE_HEADER_BYTES, w * this.heightNow);
    const rects: Rect[] = [];
    const n = header[SurfaceWord.DamageCount]!;
    for (let i = 0; i < n; i++) {
      const at0 = SurfaceWord.Damage + i * 4;
      const r = { x: header[at0]!, y: header[at0 + 1]!, width: header[at0 + 2]!, height: header[at0 + 3]! };
      if (r.x + r.width > w || r.y + r.height > this.heightNow) continue; // never trust a rectangle blindly
      for (let row = r.y; row < r.y + r.height; row++) {
        const at = row * w + r.x;
        this.kept.set(src.subarray(at, at + r.width), at);
      }
      this.counts.pixelsCopied += r.width * r.height;
      rects.push(r);
    }
    this.counts.damageRects += rects.length;
    if (rects.length > 0) for (const s of this.sinks) s.damage(rects);
  }
}
