// Threads that read a snapshot's RAM section into guest memory (a SharedArrayBuffer) and
// checksum what they read (ram-read-worker.ts). Started before the file's head is read, so
// their start-up overlaps it; each job is one run of pages at its place in guest memory, or one
// chunk to decode (inflate) into its place.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

import { compiledModuleUrl } from '../../shared/package-root.js';
import { SnapshotFormatError } from './errors.js';
import type { ChunkJob } from './ram.js';

export interface ReadJob {
  id: number;
  /** The snapshot file's descriptor (descriptors are the process's: every thread reads the same open file). */
  fd: number;
  /** Where in the file. */
  position: number;
  /** Where in guest memory's SharedArrayBuffer. */
  start: number;
  length: number;
}

/** A read job, or a chunk's stored bytes (`chunk.stored` of them at `position`) decoded into the `length` bytes at `start`. */
export interface ReaderJob extends ReadJob {
  chunk?: Omit<ChunkJob, 'into'>;
}

/** A job's CRC-32 of the file bytes it read, or why it failed (`part`: a SnapshotFormatError's; null: not the file's fault). */
export type ReadReply = { id: number; crc: number } | { id: number; error: string; part: string | null };

/** How many reader threads a restore starts: the page faults and the CRC scale with cores, up to what the disk cache gives. */
export function defaultRamReaders(): number {
  return Math.min(4, availableParallelism());
}

export class RamReaders {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { worker: number; resolve: (crc: number) => void; reject: (err: Error) => void }>();
  /** Jobs sent to each thread and not answered yet. */
  private readonly queued: number[];
  private nextId = 0;
  private failure: Error | null = null;

  constructor(count: number) {
    const url = compiledModuleUrl('vmm/snapshot/ram-read-worker');
    this.workers = Array.from({ length: count }, () => {
      const w = new Worker(url);
      // A thread that dies fails every job still waiting (none is silently lost).
      w.on('error', (err) => this.fail(err));
      w.on('exit', (code) => this.fail(new Error(`a RAM reader thread exited (code ${code})`)));
      w.on('message', (r: ReadReply) => this.settle(r));
      return w;
    });
    this.queued = this.workers.map(() => 0);
  }

  /** Guest memory the jobs read into. */
  attach(memory: SharedArrayBuffer): void {
    for (const w of this.workers) w.postMessage({ memory });
  }

  /** Reads `length` bytes at `position` into memory at `start`; resolves to their CRC-32. */
  read(fd: number, position: number, start: number, length: number): Promise<number> {
    return this.send({ id: 0, fd, position, start, length });
  }

  /**
   * Reads the chunk's stored bytes at `position` and decodes them into memory at `start` (the
   * chunk's `length` bytes); resolves to the stored bytes' CRC-32, rejects with a
   * SnapshotFormatError naming the chunk for a bad stream.
   */
  decode(fd: number, position: number, start: number, length: number, chunk: Omit<ChunkJob, 'into'>): Promise<number> {
    return this.send({ id: 0, fd, position, start, length, chunk });
  }

  private send(job: ReaderJob): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    // To the thread with the fewest jobs waiting: a chunk to inflate costs several reads' time.
    const worker = this.queued.indexOf(Math.min(...this.queued));
    this.queued[worker]!++;
    const done = new Promise<number>((resolve, reject) => this.waiting.set(id, { worker, resolve, reject }));
    this.workers[worker]!.postMessage({ ...job, id } satisfies ReaderJob);
    return done;
  }

  private settle(r: ReadReply): void {
    const w = this.waiting.get(r.id);
    if (!w) return;
    this.waiting.delete(r.id);
    this.queued[w.worker]!--;
    if ('crc' in r) w.resolve(r.crc);
    else w.reject(r.part !== null ? new SnapshotFormatError(r.part, r.error) : new Error(`reading the snapshot's RAM: ${r.error}`));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }

  /** Ends the threads (after every job settled: none reads into memory or the file after this). */
  async close(): Promise<void> {
    this.failure ??= new Error('the RAM readers are closed');
    await Promise.all(this.workers.map((w) => w.removeAllListeners('exit').terminate()));
  }
}
