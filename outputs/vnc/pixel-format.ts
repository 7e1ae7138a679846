// RFB pixel formats: the 16-byte wire form, the checks a client's SetPixelFormat must pass, and
// conversion from the compositor's ARGB words to a client's true-colour pixel values and bytes.
// Colour-map (non-true-colour) formats are refused: the server would have to send and keep a
// palette per client for a display that is true colour anyway (docs/vnc.md).
import { endianness } from 'node:os';

export interface PixelFormat {
  bitsPerPixel: number;
  depth: number;
  bigEndian: boolean;
  trueColour: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/** The server's natural format: ARGB words as they lie in memory on a little-endian host, no alpha. */
export const SERVER_PIXEL_FORMAT: Readonly<PixelFormat> = Object.freeze({
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: false,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 16,
  greenShift: 8,
  blueShift: 0,
});

export const PIXEL_FORMAT_BYTES = 16;

export function encodePixelFormat(pf: PixelFormat): Buffer {
  const b = Buffer.alloc(PIXEL_FORMAT_BYTES);
  b[0] = pf.bitsPerPixel;
  b[1] = pf.depth;
  b[2] = pf.bigEndian ? 1 : 0;
  b[3] = pf.trueColour ? 1 : 0;
  b.writeUInt16BE(pf.redMax, 4);
  b.writeUInt16BE(pf.greenMax, 6);
  b.writeUInt16BE(pf.blueMax, 8);
  b[10] = pf.redShift;
  b[11] = pf.greenShift;
  b[12] = pf.blueShift;
  return b;
}

/** Reads the 16 bytes at `offset` as they are; validity is pixelFormatProblem's job. */
export function decodePixelFormat(b: Uint8Array, offset = 0): PixelFormat {
  const u16 = (o: number) => (b[offset + o]! << 8) | b[offset + o + 1]!;
  return {
    bitsPerPixel: b[offset]!,
    depth: b[offset + 1]!,
    bigEndian: b[offset + 2] !== 0,
    trueColour: b[offset + 3] !== 0,
    redMax: u16(4),
    greenMax: u16(6),
    blueMax: u16(8),
    redShift: b[offset + 10]!,
    greenShift: b[offset + 11]!,
    blueShift: b[offset + 12]!,
  };
}

function bitsOf(max: number): number {
  return 32 - Math.clz32(max);
}

/** Why a client's pixel format cannot be served, or null when it can. */
export function pixelFormatProblem(pf: PixelFormat): string | null {
  if (!pf.trueColour) return 'colour-map pixel formats are not supported';
  if (pf.bitsPerPixel !== 8 && pf.bitsPerPixel !== 16 && pf.bitsPerPixel !== 32) {
    return `bits-per-pixel ${pf.bitsPerPixel} (must be 8, 16 or 32)`;
  }
  if (pf.depth < 1 || pf.depth > pf.bitsPerPixel) return `depth ${pf.depth} with ${pf.bitsPerPixel} bits per pixel`;
  let used = 0;
  for (const [name, max, shift] of [
    ['red', pf.redMax, pf.redShift],
    ['green', pf.greenMax, pf.greenShift],
    ['blue', pf.blueMax, pf.blueShift],
  ] as const) {
    // A max is 2^n - 1: anything else has no sensible scaling.
    if (max < 1 || (max & (max + 1)) !== 0) return `${name}-max ${max} is not 2^n-1`;
    const bits = bitsOf(max);
    if (shift + bits > pf.bitsPerPixel) return `${name} (max ${max}, shift ${shift}) does not fit in ${pf.bitsPerPixel} bits`;
    const mask = (max << shift) >>> 0;
    if ((used & mask) !== 0) return `${name} overlaps another channel`;
    used = (used | mask) >>> 0;
  }
  return null;
}

export function samePixelFormat(a: PixelFormat, b: PixelFormat): boolean {
  return (
    a.bitsPerPixel === b.bitsPerPixel &&
    a.depth === b.depth &&
    (a.bigEndian === b.bigEndian || a.bitsPerPixel === 8) &&
    a.trueColour === b.trueColour &&
    a.redMax === b.redMax &&
    a.greenMax === b.greenMax &&
    a.blueMax === b.blueMax &&
    a.redShift === b.redShift &&
    a.greenShift === b.greenShift &&
    a.blueShift === b.blueShift
  );
}

const HOST_LITTLE = endianness() === 'LE';

/** Scales 8-bit channels into one true-colour format (rounded: 255 -> max) and packs the bytes. */
export class PixelConverter {
  readonly bytesPerPixel: number;
  private readonly r = new Uint32Array(256);
  private readonly g = new Uint32Array(256);
  private readonly b = new Uint32Array(256);
  /** The format is the server's own on this host: values are the ARGB words with alpha cleared. */
  private readonly native: boolean;

  constructor(readonly format: Readonly<PixelFormat>) {
    const problem = pixelFormatProblem(format);
    if (problem) throw new RangeError(`unusable pixel format: ${problem}`);
    this.bytesPerPixel = format.bitsPerPixel / 8;
    for (let c = 0; c < 256; c++) {
      this.r[c] = (Math.floor((c * format.redMax + 127) / 255) << format.redShift) >>> 0;
      this.g[c] = (Math.floor((c * format.greenMax + 127) / 255) << format.greenShift) >>> 0;
      this.b[c] = (Math.floor((c * format.blueMax + 127) / 255) << format.blueShift) >>> 0;
    }
    this.native =
      format.bitsPerPixel === 32 &&
      format.redMax === 255 &&
      format.greenMax === 255 &&
      format.blueMax === 255 &&
      format.redShift === 16 &&
      format.greenShift === 8 &&
      format.blueShift === 0;
  }

  value(argb: number): number {
    return (this.r[(argb >>> 16) & 0xff]! | this.g[(argb >>> 8) & 0xff]! | this.b[argb & 0xff]!) >>> 0;
  }

  /** Pixel values (one u32 each) for ARGB words. */
  values(argb: Uint32Array): Uint32Array {
    const out = new Uint32Array(argb.length);
    if (this.native) {
      for (let i = 0; i < argb.length; i++) out[i] = argb[i]! & 0xffffff;
      return out;
    }
    const { r, g, b } = this;
    for (let i = 0; i < argb.length; i++) {
      const p = argb[i]!;
      out[i] = (r[(p >>> 16) & 0xff]! | g[(p >>> 8) & 0xff]! | b[p & 0xff]!) >>> 0;
    }
    return out;
  }

  /** The wire bytes of pixel values, in the format's byte order. */
  pack(values: Uint32Array): Buffer {
    const n = values.length;
    if (this.bytesPerPixel === 1) {
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) out[i] = values[i]!;
      return out;
    }
    const swap = this.format.bigEndian === HOST_LITTLE;
    if (this.bytesPerPixel === 2) {
      const w = new Uint16Array(n);
      for (let i = 0; i < n; i++) w[i] = values[i]!;
      const out = Buffer.from(w.buffer, 0, n * 2);
      return swap ? out.swap16() : out;
    }
    const out = Buffer.from(values.buffer.slice(values.byteOffset, values.byteOffset + n * 4));
    return swap ? out.swap32() : out;
  }

  /** Writes one pixel value's wire bytes at `offset`. */
  write(out: Uint8Array, offset: number, value: number): void {
    const n = this.bytesPerPixel;
    if (this.format.bigEndian) {
      for (let i = 0; i < n; i++) out[offset + i] = (value >>> (8 * (n - 1 - i))) & 0xff;
    } else {
      for (let i = 0; i < n; i++) out[offset + i] = (value >>> (8 * i)) & 0xff;
    }
  }
}
