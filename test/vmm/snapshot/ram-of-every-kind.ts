// Guest RAM for encoder tests: chunks of every kind the encoder tells apart (zero, text, random,
// random first page then text, sparse), in an order set by the seed.
import { CHUNK_PAGES, PAGE_BYTES } from '../../../vmm/snapshot/ram.js';

export const CHUNK_BYTES = CHUNK_PAGES * PAGE_BYTES;

/** Chunks of every kind the encoder tells apart, in an order set by the seed. */
export function ramOfEveryKind(seed: number, chunks: number): Uint8Array {
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
