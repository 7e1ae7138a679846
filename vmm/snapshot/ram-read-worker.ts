// A RAM reader thread (ram-readers.ts): reads runs of a snapshot's RAM section from the file
// straight into guest memory and answers each run's CRC-32 of the bytes it put there, so the
// reads (with their first-touch page faults) and the checksum run on several threads at once.
// A chunk job (a deflated chunk, or a raw one of many short runs) is read into this thread's
// buffer, checksummed there and decoded into its place (ram.ts decodeChunkInto): the inflates
// run on these threads too.
import { readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { crc32 } from 'node:zlib';

import { SnapshotFormatError } from './errors.js';
import { decodeChunkInto } from './ram.js';
import type { ReaderJob, ReadReply } from './ram-readers.js';

let memory: SharedArrayBuffer | null = null;
let scratch = Buffer.alloc(0);

class Ended extends Error {}

function readFully(fd: number, into: Uint8Array, position: number): void {
  for (let at = 0; at < into.length;) {
    const n = readSync(fd, into, at, into.length - at, position + at);
    if (n === 0) throw new Ended(`ended at ${position + at} bytes while being read`);
    at += n;
  }
}

function run(job: ReaderJob): number {
  if (!memory) throw new Error('no guest memory attached');
  const into = new Uint8Array(memory, job.start, job.length);
  if (!job.chunk) {
    readFully(job.fd, into, job.position);
    // Checksummed from guest memory after the read: exactly the bytes the machine will run on.
    return crc32(into);
  }
  if (scratch.length < job.chunk.stored) scratch = Buffer.allocUnsafe(job.chunk.stored);
  const stored = scratch.subarray(0, job.chunk.stored);
  readFully(job.fd, stored, job.position);
  decodeChunkInto({ ...job.chunk, into }, stored);
  return crc32(stored);
}

parentPort!.on('message', (m: { memory: SharedArrayBuffer } | ReaderJob) => {
  if ('memory' in m) {
    memory = m.memory;
    return;
  }
  let reply: ReadReply;
  try {
    reply = { id: m.id, crc: run(m) };
  } catch (err) {
    const e = err as Error;
    const part = err instanceof Ended ? 'file' : err instanceof SnapshotFormatError ? err.part : null;
    reply = { id: m.id, error: err instanceof SnapshotFormatError ? err.reason : e.message, part };
  }
  parentPort!.postMessage(reply);
});
