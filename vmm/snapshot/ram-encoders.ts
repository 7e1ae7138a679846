// The pool of threads a save encodes guest RAM on (ram-encode-task.ts), one chunk per task: the
// zero-page scan, the deflate and the checksum of each chunk run on as many threads as the
// machine gives, up to a bound. Only guest memory in a SharedArrayBuffer can be shared with them;
// a save of other memory encodes on libuv's pool (ram-stream.ts).
import { availableParallelism } from 'node:os';

import { Piscina } from 'piscina';

import { compiledModuleUrl } from '../../shared/package-root.js';
import type { RamCompression } from './ram.js';
import type { EncodeChunkTask, EncodedChunk } from './ram-encode-task.js';

/** More threads than this gain little: the disk, not the encode, bounds a save past it. */
const MAX_ENCODERS = 8;

/** How many encoder threads a save starts: one per core, up to MAX_ENCODERS. */
export function defaultRamEncoders(): number {
  return Math.min(MAX_ENCODERS, availableParallelism());
}

export class RamEncoders {
  private readonly pool: Piscina;

  /** `threads` threads, started now (their start-up overlaps the file's head being written). */
  constructor(
    readonly threads: number,
    private readonly ram: Uint8Array & { buffer: SharedArrayBuffer },
    private readonly compression: RamCompression,
  ) {
    this.pool = new Piscina({ filename: compiledModuleUrl('vmm/snapshot/ram-encode-task').href, minThreads: threads, maxThreads: threads });
  }

  /** True when `ram` lies in memory the threads can share. */
  static canShare(ram: Uint8Array): ram is Uint8Array & { buffer: SharedArrayBuffer } {
    return ram.buffer instanceof SharedArrayBuffer;
  }

  /** Chunk `chunk`'s runs, CRC and counts. */
  encode(chunk: number): Promise<EncodedChunk> {
    const task: EncodeChunkTask = {
      memory: this.ram.buffer,
      byteOffset: this.ram.byteOffset,
      byteLength: this.ram.byteLength,
      chunk,
      compression: this.compression,
    };
    return this.pool.run(task) as Promise<EncodedChunk>;
  }

  /** Ends the threads; a task still queued is rejected (a save that failed midway abandons them). */
  close(): Promise<void> {
    return this.pool.destroy();
  }
}
