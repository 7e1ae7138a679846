// The save path deflates RAM chunks on libuv's thread pool (encodeRamParallel); the file must be
// byte for byte what the one-thread encoder writes, whatever order the deflates finish in.
import { describe, expect, it } from 'vitest';

import { PAGE_BYTES, encodeRam, encodeRamParallel } from '../../../vmm/snapshot/ram.js';
import { CHUNK_BYTES, ramOfEveryKind } from './ram-of-every-kind.js';

const joined = (parts: Uint8Array[]) => Buffer.concat(parts);

describe('encodeRamParallel', () => {
  it.each([1, 2, 3, 4])('gives the bytes and counts encodeRam gives (seed %i, 40 chunks of every kind)', async (seed) => {
    const ram = ramOfEveryKind(seed, 40);
    for (const compression of ['auto', 'none'] as const) {
      const one = encodeRam(ram, compression);
      const many = await encodeRamParallel(ram, compression);
      expect(joined(many.parts).equals(joined(one.parts))).toBe(true);
      expect(many.stats).toEqual(one.stats);
      // The comparison means something only if chunks were deflated (auto) and some stayed raw.
      if (compression === 'auto') expect(one.stats.deflatedChunks).toBeGreaterThan(0);
      expect(one.stats.rawChunks).toBeGreaterThan(0);
    }
  });

  it('handles RAM with no chunk to deflate, and a partial last chunk', async () => {
    const zero = new Uint8Array(3 * CHUNK_BYTES);
    expect(joined((await encodeRamParallel(zero)).parts).equals(joined(encodeRam(zero).parts))).toBe(true);
    const partial = ramOfEveryKind(9, 3).subarray(0, 2 * CHUNK_BYTES + 5 * PAGE_BYTES);
    expect(joined((await encodeRamParallel(partial)).parts).equals(joined(encodeRam(partial).parts))).toBe(true);
  });

  it('refuses RAM that is not a whole number of pages, as encodeRam does', async () => {
    await expect(encodeRamParallel(new Uint8Array(PAGE_BYTES + 1))).rejects.toThrow(RangeError);
  });
});
