// Display surfaces in a SAB: where the engine's encodeCurrentFrame writes and the compositor
// reads. The header's words are generated from abi/schema (abi/generated/surface-layout.ts),
// shared with native/src/abi/surface_layout.h: a 512-byte header, then ARGB8888 pixels
// (`stride` bytes per row); a pool holds `count` surfaces of equal size.
import { SURFACE_HEADER_BYTES } from '../../abi/generated/surface-layout.js';

export * from '../../abi/generated/surface-layout.js';
/**
 * Surfaces per display: two, so the engine can encode the next frame into one while the
 * compositor copies the last one out of the other.
 */
export const SURFACES_PER_DISPLAY = 2;

export function surfaceBytes(maxWidth: number, maxHeight: number): number {
  return SURFACE_HEADER_BYTES + maxWidth * maxHeight * 4;
}

export function createSurfacePool(maxWidth: number, maxHeight: number, count: number): SharedArrayBuffer {
  return new SharedArrayBuffer(surfaceBytes(maxWidth, maxHeight) * count);
}
