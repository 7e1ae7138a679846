// Until the display compositor takes over, the device actor keeps each display's latest frame
// itself: on a new frame it asks the engine for an encode (at most one in flight plus one
// pending; further new frames coalesce, counted), and applies the damaged rectangles the engine
// copied into the display's surface to its own copy of the frame.
import { SURFACE_HEADER_BYTES, SurfaceWord } from '../../shared/display/surface-layout.js';
import { EncodeStatus } from './engine-records.js';

interface DisplayFrames {
  width: number;
  height: number;
  generation: number;
  pixels: Uint32Array;
  inFlight: boolean;
  pending: boolean;
  /** An encode that could not be posted yet (the engine's mailbox was full). */
  unsent: boolean;
  frames: number;
  encodes: number;
  coalesced: number;
  staleEncodes: number;
  lastFrameSeq: number;
}

/** Posts an encode request to the engine; false when it must be retried later. */
export type RequestEncode = (display: number, surface: number, generation: number, width: number, height: number) => boolean;

export class FrameKeeper {
  private readonly displays: DisplayFrames[];

  constructor(
    count: number,
    private readonly surfaces: SharedArrayBuffer[],
    private readonly requestEncode: RequestEncode,
  ) {
    this.displays = Array.from({ length: count }, () => ({
      width: 0, height: 0, generation: 0, pixels: new Uint32Array(0),
      inFlight: false, pending: false, unsent: false, frames: 0, encodes: 0, coalesced: 0, staleEncodes: 0, lastFrameSeq: 0,
    }));
  }

  onModeChange(display: number, width: number, height: number, generation: number): void {
    const d = this.displays[display];
    if (!d) return;
    d.width = width;
    d.height = height;
    d.generation = generation;
    d.pixels = new Uint32Array(width * height); // a new generation: never reuse a buffer of the old size
    this.want(display, d);
  }

  onNewFrame(display: number): void {
    const d = this.displays[display];
    if (!d) return;
    d.frames++;
    this.want(display, d);
  }

  onEncodeDone(display: number, generation: number, status: number, frameSeq: number): void {
    const d = this.displays[display];
    if (!d) return;
    d.inFlight = false;
    if (status === EncodeStatus.Ok && generation === d.generation) {
      d.encodes++;
      d.lastFrameSeq = frameSeq;
      this.applyDamage(display, d);
    } else {
      d.staleEncodes++; // encoded for an old mode: dropped, never shown at the wrong size
    }
    if (d.pending) {
      d.pending = false;
      this.send(display, d);
    }
  }

  /** Retries an encode the engine's mailbox could not take; true while one is still unsent. */
  flush(): boolean {
    let left = false;
    this.displays.forEach((d, i) => {
      if (d.unsent) left = !this.send(i, d) || left;
    });
    return left;
  }

  frame(display: number) {
    const d = this.displays[display];
    if (!d || d.width === 0) return null;
    return { width: d.width, height: d.height, generation: d.generation, frameSeq: d.lastFrameSeq, pixels: d.pixels.slice() };
  }

  stats(display: number) {
    const d = this.displays[display]!;
    return {
      generation: d.generation, frames: d.frames, encodes: d.encodes, coalesced: d.coalesced, staleEncodes: d.staleEncodes, lastFrameSeq: d.lastFrameSeq,
      busy: d.inFlight || d.pending || d.unsent,
    };
  }

  private want(display: number, d: DisplayFrames): void {
    if (d.inFlight) {
      if (d.pending) d.coalesced++;
      d.pending = true;
      return;
    }
    this.send(display, d);
  }

  private send(display: number, d: DisplayFrames): boolean {
    if (d.width === 0) return true;
    d.unsent = !this.requestEncode(display, 0, d.generation, d.width, d.height);
    d.inFlight = !d.unsent;
    return !d.unsent;
  }

  private applyDamage(display: number, d: DisplayFrames): void {
    const sab = this.surfaces[display]!;
    const header = new Uint32Array(sab, 0, SURFACE_HEADER_BYTES / 4);
    if (header[SurfaceWord.Width] !== d.width || header[SurfaceWord.Height] !== d.height) return;
    const src = new Uint32Array(sab, SURFACE_HEADER_BYTES, d.width * d.height);
    const n = header[SurfaceWord.DamageCount]!;
    for (let i = 0; i < n; i++) {
      const [x, y, w, h] = header.subarray(SurfaceWord.Damage + i * 4, SurfaceWord.Damage + i * 4 + 4);
      for (let row = y!; row < y! + h!; row++) {
        const at = row * d.width + x!;
        d.pixels.set(src.subarray(at, at + w!), at);
      }
    }
  }
}
