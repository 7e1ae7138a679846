// The RAM section's chunks one by one in file order, for a save that writes while it encodes
// (snapshot-save.ts): a few chunks are planned ahead (zero-page scan, one-page probe) and their
// deflates run on libuv's thread pool, while earlier chunks are already on their way to the disk.
// The bytes are exactly encodeRam's.
import { DEFLATES_IN_FLIGHT, deflateRawAsync, finishChunk, pagesOf, planChunk, type RamCompression, type RamEncodeStats } from './ram.js';

/** Chunks planned ahead of the one handed out: room for the deflates to overlap without holding much. */
const CHUNKS_AHEAD = 16;

/**
 * Each of the `count` chunks' byte runs in order (after the section's head, planRamHead), counted
 * into `stats`. `ram` must not change until the last is written (a save holds the machine).
 */
export async function* encodeRamChunks(ram: Uint8Array, count: number, compression: RamCompression, stats: RamEncodeStats): AsyncGenerator<Uint8Array[]> {
  const ahead: Promise<Uint8Array[]>[] = [];
  let next = 0;
  let deflating = 0;
  const planNext = (): Promise<Uint8Array[]> => {
    const chunk = planChunk(ram, next++, compression, stats);
    if (!chunk.tryDeflate) return Promise.resolve(finishChunk(chunk, null, stats));
    deflating++;
    const done = deflateRawAsync(pagesOf(chunk))
      .finally(() => deflating--)
      .then((deflated) => finishChunk(chunk, deflated, stats));
    done.catch(() => undefined); // a stream abandoned mid-save leaves deflates behind: none may go unhandled
    return done;
  };
  while (next < count || ahead.length > 0) {
    while (next < count && ahead.length < CHUNKS_AHEAD && deflating < DEFLATES_IN_FLIGHT) ahead.push(planNext());
    yield await ahead.shift()!;
  }
}
