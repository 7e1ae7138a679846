// Display surfaces in a SAB: where the engine's encodeCurrentFrame writes and the compositor
// reads. Mirrors native/src/core/surface_layout.h: a 512-byte header, then ARGB8888 pixels
// (`stride` bytes per row); a pool holds `count` surfaces of equal size.
export const SURFACE_HEADER_BYTES = 512;
export const enum SurfaceWord {
  Generation = 0,
  Width = 1,
  Height = 2,
  Stride = 3,
  FrameSeq = 4,
  DamageCount = 5,
  Damage = 8,
}
export const SURFACE_MAX_DAMAGE = 16;
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
