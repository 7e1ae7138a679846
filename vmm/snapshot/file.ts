// Snapshot files on disk. Writing goes to FILE.partial and is renamed into place once synced,
// so a crash mid-save never leaves a file that looks whole; the runs are written with writev,
// guest RAM straight from the SharedArrayBuffer (file-writer.ts).
import { constants as bufferConstants } from 'node:buffer';
import { open } from 'node:fs/promises';

import { SnapshotFormatError } from './errors.js';
import { SnapshotFileWriter } from './file-writer.js';

/** Writes the runs to `file` whole or not at all (file-writer.ts). */
export async function writeSnapshotFile(file: string, parts: readonly Uint8Array[]): Promise<void> {
  const writer = await SnapshotFileWriter.open(file);
  try {
    await writer.append(parts);
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
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
