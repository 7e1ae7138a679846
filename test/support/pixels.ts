// Frame checksums and PNG files for golden-image tests.
import { writeFileSync } from 'node:fs';

import { PNG } from 'pngjs';

/** FNV-1a, 64-bit, over the pixels' bytes, as 16 hex digits (two 32-bit halves: no BigInt per byte). */
export function fnv1a64(pixels: Uint32Array): string {
  const bytes = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ bytes[i]!) >>> 0;
    // (hi:lo) × (2^40 + 0x1b3) mod 2^64
    const p = lo * 0x1b3; // < 2^41: exact
    hi = (Math.imul(hi, 0x1b3) + Math.floor(p / 0x1_0000_0000) + (lo << 8)) >>> 0;
    lo = p >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** Writes ARGB pixels (0xAARRGGBB words) as an RGBA PNG. */
export function writePng(file: string, width: number, height: number, pixels: Uint32Array): void {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    const p = pixels[i]!;
    png.data[i * 4] = (p >>> 16) & 0xff;
    png.data[i * 4 + 1] = (p >>> 8) & 0xff;
    png.data[i * 4 + 2] = p & 0xff;
    png.data[i * 4 + 3] = (p >>> 24) & 0xff;
  }
  writeFileSync(file, PNG.sync.write(png));
}
