// A RAM reader thread (ram-readers.ts): reads runs of a snapshot's RAM section from the file
// straight into guest memory and answers each run's CRC-32 of the bytes it put there, so the
// reads (with their first-touch page faults) and the checksum run on several threads at once.
import { readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { crc32 } from 'node:zlib';

import type { ReadJob, ReadReply } from './ram-readers.js';

let memory: SharedArrayBuffer | null = null;

function read(job: ReadJob): ReadReply {
  if (!memory) return { id: job.id, error: 'no guest memory attached', ended: false };
  const into = new Uint8Array(memory, job.start, job.length);
  for (let at = 0; at < job.length;) {
    const n = readSync(job.fd, into, at, job.length - at, job.position + at);
    if (n === 0) return { id: job.id, error: `ended at ${job.position + at} bytes while being read`, ended: true };
    at += n;
  }
  // Checksummed from guest memory after the read: exactly the bytes the machine will run on.
  return { id: job.id, crc: crc32(into) };
}

parentPort!.on('message', (m: { memory: SharedArrayBuffer } | ReadJob) => {
  if ('memory' in m) {
    memory = m.memory;
    return;
  }
  let reply: ReadReply;
  try {
    reply = read(m);
  } catch (err) {
    reply = { id: m.id, error: (err as Error).message, ended: false };
  }
  parentPort!.postMessage(reply);
});
