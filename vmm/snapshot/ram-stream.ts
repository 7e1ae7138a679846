// The RAM section's chunks one by one in file order, for a save that writes while it encodes
// (snapshot-save.ts): a few chunks are encoded ahead, on the save's encoder threads
// (ram-encoders.ts) or else with their deflates on libuv's thread pool, while earlier chunks are
// already on their way to the disk. The bytes are exactly encodeRam's.
import { crc32 } from 'node:zlib';

import { DEFLATES_IN_FLIGHT, deflateRawAsync, finishChunk, pagesOf, planChunk, type RamCompression, type RamEncodeStats } from './ram.js';
import type { EncodedChunk } from './ram-encode-task.js';
import type { RamEncoders } from './ram-encoders.js';

/** Chunks encoded ahead of the one handed out, per encoder thread: room to overlap without holding much. */
const CHUNKS_AHEAD_PER_THREAD = 4;
/** Without encoder threads: chunks planned ahead while their deflates run on libuv's pool. */
const CHUNKS_AHEAD = 16;

const addStats = (into: RamEncodeStats, s: RamEncodeStats) => {
  into.zeroPages += s.zeroPages;
  into.deflatedChunks += s.deflatedChunks;
  into.rawChunks += s.rawChunks;
};

/**
 * Each of the `count` chunks (after the section's head, planRamHead) in order, with its CRC,
 * counted into `stats`. `ram` must not change until the last is written (a save holds the machine).
 */
export async function* encodeRamChunks(
  ram: Uint8Array,
  count: number,
  compression: RamCompression,
  stats: RamEncodeStats,
  encoders: RamEncoders | null = null,
): AsyncGenerator<Omit<EncodedChunk, 'stats'>> {
  const ahead: Promise<EncodedChunk>[] = [];
  let next = 0;
  let deflating = 0;
  const onThisThread = (): Promise<EncodedChunk> => {
    const chunkStats: RamEncodeStats = { pages: 0, zeroPages: 0, deflatedChunks: 0, rawChunks: 0 };
    const chunk = planChunk(ram, next++, compression, chunkStats);
    const finish = (deflated: Buffer | null): EncodedChunk => {
      const parts = finishChunk(chunk, deflated, chunkStats);
      return { parts, crc: parts.reduce((c, p) => crc32(p, c), 0), length: parts.reduce((n, p) => n + p.length, 0), stats: chunkStats };
    };
    if (!chunk.tryDeflate) return Promise.resolve(finish(null));
    deflating++;
    return deflateRawAsync(pagesOf(chunk))
      .finally(() => deflating--)
      .then(finish);
  };
  const room = () => (encoders ? ahead.length < encoders.threads * CHUNKS_AHEAD_PER_THREAD : ahead.length < CHUNKS_AHEAD && deflating < DEFLATES_IN_FLIGHT);
  try {
    while (next < count || ahead.length > 0) {
      while (next < count && room()) {
        const done = encoders ? encoders.encode(next++) : onThisThread();
        done.catch(() => undefined); // a stream abandoned mid-save leaves encodes behind: none may go unhandled
        ahead.push(done);
      }
      const { parts, crc, length, stats: chunkStats } = await ahead.shift()!;
      addStats(stats, chunkStats);
      yield { parts, crc, length };
    }
  } finally {
    // A save abandoned midway (a failed write) lets the encodes it started finish before the
    // caller ends the encoder threads, so no thread is terminated in the middle of a deflate.
    await Promise.allSettled(ahead);
  }
}
