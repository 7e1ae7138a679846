// The save path deflates RAM chunks on libuv's thread pool (encodeRamParallel); the file must be
// byte for byte what the one-thread encoder writes, whatever order the deflates finish in.
import { describe, expect, it } from 'vitest';

import { CHUNK_PAGES, PAGE_BYTES, encodeRam, encodeRamParallel } from '../../../vmm/snapshot/ram.js';

const CHUNK_BYTES = CHUNK_PAGES * PAGE_BYTES;

/** Chunks of every kind the encoder tells apart, in an order set by the seed. */
function ramOfEveryKind(seed: number, chunks: number): Uint8Array {
  const ram = new Uint8Array(chunks * CHUNK_BYTES);
  let s = seed >>> 0 || 1;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
  const text = Buffer.from('the quick brown fox jumps over the lazy dog; pvg-vmm snapshot text page\n');
  for (let c = 0; c < chunks; c++) {
    const chunk = ram.subarray(c * CHUNK_BYTES, (c + 1) * CHUNK_BYTES);
    const kind = (next() >>> 16) % 5;
    for (let p = 0; p < CHUNK_PAGES; p++) {
      const page = chunk.subarray(p * PAGE_BYTES, (p + 1) * PAGE_BYTES);
      if (kind === 0) continue; // all zero
      if (kind === 1 || (kind === 3 && p > 0)) for (let i = 0; i < PAGE_BYTES; i++) page[i] = text[(i + p) % text.length]!; // text; kind 3: first page random
      if (kind === 2 || (kind === 3 && p === 0)) for (let i = 0; i < PAGE_BYTES; i++) page[i] = next() >>> 24; // random
      if (kind === 4 && (next() & 3) === 0) page.fill(p & 0xff, 0, 100 + (next() % 3000)); // sparse: some pages zero
    }
  }
  return ram;
}

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
