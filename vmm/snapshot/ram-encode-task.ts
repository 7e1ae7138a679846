// A piscina task of a pipelined save (ram-encoders.ts): one RAM chunk scanned for zero pages,
// deflated if worth it and checksummed on a pool thread, so a save's encode scales with the
// cores instead of waiting on the main thread and libuv's four. Guest memory is a
// SharedArrayBuffer: a raw chunk's pages go back as views of it (shared, not copied); a deflate's
// bytes are moved, not copied.
import { Piscina } from 'piscina';
import { crc32 } from 'node:zlib';

import { encodeChunk, type RamCompression, type RamEncodeStats } from './ram.js';

export interface EncodeChunkTask {
  memory: SharedArrayBuffer;
  /** Where guest RAM lies in `memory`. */
  byteOffset: number;
  byteLength: number;
  chunk: number;
  compression: RamCompression;
}

export interface EncodedChunk {
  /** The chunk's byte runs in file order (its head, then its pages raw or their deflate). */
  parts: Uint8Array[];
  /** CRC-32 of the runs joined, and their length. */
  crc: number;
  length: number;
  /** This chunk's counts alone. */
  stats: RamEncodeStats;
}

/** The bytes of `b` in an ArrayBuffer of their own (zlib may hand out a view of a shared pool, which must not be moved). */
function owned(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer) ? b : new Uint8Array(b);
}

export default function encodeChunkTask(task: EncodeChunkTask): unknown {
  const ram = new Uint8Array(task.memory, task.byteOffset, task.byteLength);
  const stats: RamEncodeStats = { pages: 0, zeroPages: 0, deflatedChunks: 0, rawChunks: 0 };
  const parts = encodeChunk(ram, task.chunk, task.compression, stats).map((p) => (p.buffer === task.memory ? p : owned(p)));
  const crc = parts.reduce((c, p) => crc32(p, c), 0);
  const length = parts.reduce((n, p) => n + p.length, 0);
  const result: EncodedChunk = { parts, crc, length, stats };
  const moved = parts.filter((p) => p.buffer !== task.memory).map((p) => p.buffer as ArrayBuffer);
  return Piscina.move({ [Piscina.transferableSymbol]: moved, [Piscina.valueSymbol]: result } as never);
}
