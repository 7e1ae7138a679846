// Snapshot files on disk. Writing goes to FILE.partial and is renamed into place once synced,
// so a crash mid-save never leaves a file that looks whole; the runs are written with writev,
// guest RAM straight from the SharedArrayBuffer.
import { constants as bufferConstants } from 'node:buffer';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';

import { SnapshotFormatError } from './errors.js';

/** IOV_MAX on Linux: writev takes at most this many runs at once. */
const IOV_MAX = 1024;

export async function writeSnapshotFile(file: string, parts: readonly Uint8Array[]): Promise<void> {
  const partial = `${file}.partial`;
  const fh = await open(partial, 'w', 0o600);
  try {
    try {
      await writeRuns(fh, parts);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(partial, file);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

async function writeRuns(fh: FileHandle, parts: readonly Uint8Array[]): Promise<void> {
  for (let i = 0; i < parts.length; i += IOV_MAX) {
    const batch = parts.slice(i, i + IOV_MAX);
    const want = batch.reduce((n, p) => n + p.length, 0);
    let { bytesWritten } = await fh.writev(batch);
    // A short write: finish the rest of the batch run by run.
    if (bytesWritten < want) {
      for (const p of batch) {
        if (bytesWritten >= p.length) {
          bytesWritten -= p.length;
          continue;
        }
        let at = bytesWritten;
        bytesWritten = 0;
        while (at < p.length) at += (await fh.write(p, at)).bytesWritten;
      }
    }
  }
}

/** Reads larger than this are split (a single read() takes at most 2 GiB - 1). */
const READ_PIECE = 1 << 30;

/** The whole file in one buffer (readFile stops at 2 GiB; a 4 GiB machine's snapshot can be larger). */
export async function readSnapshotFile(file: string): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (size > bufferConstants.MAX_LENGTH) throw new SnapshotFormatError('file', `${size} bytes, more than one buffer holds (${bufferConstants.MAX_LENGTH})`);
    const bytes = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fh.read(bytes, at, Math.min(READ_PIECE, size - at), at);
      if (bytesRead === 0) throw new SnapshotFormatError('file', `ended at ${at} bytes while being read (it had ${size})`);
      at += bytesRead;
    }
    return bytes;
  } finally {
    await fh.close();
  }
}
