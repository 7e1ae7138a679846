// Threads that read a snapshot's RAM section into guest memory (a SharedArrayBuffer) and
// checksum what they read (ram-read-worker.ts). Started before the file's head is read, so
// their start-up overlaps it; each job is one run of pages at its place in guest memory.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

import { compiledModuleUrl } from '../../shared/package-root.js';
import { SnapshotFormatError } from './errors.js';

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

export type ReadReply = { id: number; crc: number } | { id: number; error: string; ended: boolean };

/** How many reader threads a restore starts: the page faults and the CRC scale with cores, up to what the disk cache gives. */
export function defaultRamReaders(): number {
  return Math.min(4, availableParallelism());
}

export class RamReaders {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve: (crc: number) => void; reject: (err: Error) => void }>();
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
  }

  /** Guest memory the jobs read into. */
  attach(memory: SharedArrayBuffer): void {
    for (const w of this.workers) w.postMessage({ memory });
  }

  /** Reads `length` bytes at `position` into memory at `start`; resolves to their CRC-32. */
  read(fd: number, position: number, start: number, length: number): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const done = new Promise<number>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    // Round robin: runs are of like size (a chunk at most), so the threads stay evenly loaded.
    this.workers[id % this.workers.length]!.postMessage({ id, fd, position, start, length } satisfies ReadJob);
    return done;
  }

  private settle(r: ReadReply): void {
    const w = this.waiting.get(r.id);
    if (!w) return;
    this.waiting.delete(r.id);
    if ('crc' in r) w.resolve(r.crc);
    else w.reject(r.ended ? new SnapshotFormatError('file', r.error) : new Error(`reading the snapshot's RAM: ${r.error}`));
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
