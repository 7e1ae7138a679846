// One display's cursor glyph in a SAB, handed from the device actor (which takes it out of the
// engine's reply slot) to the compositor. A seqlock: the writer makes the sequence odd, writes,
// makes it even; a reader that sees it change throws its copy away. Glyphs change rarely and every
// write is followed by a message, so a torn read is simply skipped: the next message re-reads.
import { MAX_CURSOR_SIZE } from '../../abi/generated/protocol.js';

/** The largest glyph side: the engine's limit (docs/protocol.md CURSOR_DEFINE). */
export const CURSOR_MAX_SIZE = MAX_CURSOR_SIZE;
const enum CursorWord {
  Sequence = 0,
  Width = 1,
  Height = 2,
  HotX = 3,
  HotY = 4,
}
const HEADER_WORDS = 8;

export interface CursorGlyphImage {
  width: number;
  height: number;
  hotX: number;
  hotY: number;
  /** width*height words 0xAARRGGBB, straight alpha. */
  argb: Uint32Array;
}

export function createCursorSlot(): SharedArrayBuffer {
  return new SharedArrayBuffer((HEADER_WORDS + CURSOR_MAX_SIZE * CURSOR_MAX_SIZE) * 4);
}

export class CursorSlot {
  private readonly words: Int32Array;
  private readonly pixels: Uint32Array;

  constructor(sab: SharedArrayBuffer) {
    this.words = new Int32Array(sab, 0, HEADER_WORDS);
    this.pixels = new Uint32Array(sab, HEADER_WORDS * 4);
  }

  /** Writes a glyph (bytes: width*height little-endian ARGB words); returns its even sequence. */
  write(width: number, height: number, hotX: number, hotY: number, bytes: Uint8Array): number {
    if (width > CURSOR_MAX_SIZE || height > CURSOR_MAX_SIZE || bytes.length < width * height * 4) {
      throw new RangeError(`cursor glyph ${width}x${height} does not fit the slot`);
    }
    const w = this.words;
    Atomics.add(w, CursorWord.Sequence, 1); // odd: writing
    w[CursorWord.Width] = width;
    w[CursorWord.Height] = height;
    w[CursorWord.HotX] = hotX;
    w[CursorWord.HotY] = hotY;
    new Uint8Array(this.pixels.buffer, this.pixels.byteOffset, width * height * 4).set(bytes.subarray(0, width * height * 4));
    return Atomics.add(w, CursorWord.Sequence, 1) + 1; // even: done
  }

  /** The sequence of the newest write (odd while one is under way). */
  latest(): number {
    return Atomics.load(this.words, CursorWord.Sequence);
  }

  /** The glyph written with `sequence`, or null if a newer write overtook (or tore) it. */
  read(sequence: number): CursorGlyphImage | null {
    const w = this.words;
    if (Atomics.load(w, CursorWord.Sequence) !== sequence || (sequence & 1) !== 0) return null;
    const width = w[CursorWord.Width]!;
    const height = w[CursorWord.Height]!;
    const glyph = {
      width,
      height,
      hotX: w[CursorWord.HotX]!,
      hotY: w[CursorWord.HotY]!,
      argb: this.pixels.slice(0, width * height),
    };
    return Atomics.load(w, CursorWord.Sequence) === sequence ? glyph : null;
  }
}
