// Raw encoding: the pixels in the client's format, row by row.
import type { PixelConverter } from '../pixel-format.js';

export function rawPayload(values: Uint32Array, conv: PixelConverter): Buffer {
  return conv.pack(values);
}
