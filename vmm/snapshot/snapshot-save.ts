// A snapshot saved as a pipeline: the file's bytes go to the disk in order as soon as they are
// encoded, while later RAM chunks are still being scanned and deflated, so a save takes about
// the longer of encoding and writing rather than their sum; guest memory in a SharedArrayBuffer
// is encoded on a pool of threads (ram-encoders.ts). The file is byte for byte what
// encodeSnapshot gives: the section table (whose RAM length and CRC are known only at the end) is
// written as zeros first and filled in before the file is synced and renamed into place.
import { crc32 } from 'node:zlib';

import { encodeHeader, encodeTable, tableBytes, type SectionSummary } from './container.js';
import { crc32Combine } from './crc-combine.js';
import { SnapshotFileWriter } from './file-writer.js';
import { HEADER_BYTES, SectionKind } from './layout.js';
import { encodeMachineOptions } from './machine-options.js';
import { machineStateSections } from './machine-state.js';
import { planRamHead, type RamCompression, type RamEncodeStats } from './ram.js';
import { defaultRamEncoders, RamEncoders } from './ram-encoders.js';
import { encodeRamChunks } from './ram-stream.js';
import type { SnapshotContents } from './snapshot.js';

export interface SavedSnapshot {
  /** The file's size. */
  bytes: number;
  ram: RamEncodeStats;
  /** From the start until the last RAM chunk was encoded (its writes overlap this), ms. */
  encodeMs: number;
  /** From then until the file was in place (the writes still waiting, the table, sync, rename), ms. */
  writeMs: number;
}

const crcOf = (parts: readonly Uint8Array[], from = 0) => parts.reduce((c, p) => crc32(p, c), from);
const lengthOf = (parts: readonly Uint8Array[]) => parts.reduce((n, p) => n + p.length, 0);

/**
 * Writes `contents` as a snapshot file at `file`, whole or not at all. `contents.ram` must not
 * change until it settles. RAM in a SharedArrayBuffer is encoded on `encoderThreads` threads (0:
 * on this thread, its deflates on libuv's pool, as for any other RAM).
 */
export async function saveSnapshotFile(
  file: string,
  contents: SnapshotContents,
  vmmVersion: string,
  compression: RamCompression = 'auto',
  encoderThreads = defaultRamEncoders(),
): Promise<SavedSnapshot> {
  const t0 = performance.now();
  // Everything that can refuse the contents does so before a file is opened.
  const ram = planRamHead(contents.ram);
  const config = [encodeMachineOptions(contents.options)];
  const after = contents.state ? machineStateSections(contents.state) : [];
  const count = 2 + after.length;
  const header = encodeHeader(count, vmmVersion);

  const encoders = encoderThreads > 0 && RamEncoders.canShare(contents.ram) ? new RamEncoders(encoderThreads, contents.ram, compression) : null;
  const writer = await SnapshotFileWriter.open(file).catch(async (err: unknown) => {
    await encoders?.close();
    throw err;
  });
  try {
    await writer.append([header, new Uint8Array(tableBytes(count)), ...config]);
    let ramCrc = crc32(ram.head);
    let ramLength = ram.head.length;
    await writer.append([ram.head]);
    for await (const chunk of encodeRamChunks(contents.ram, ram.count, compression, ram.stats, encoders)) {
      ramCrc = crc32Combine(ramCrc, chunk.crc, chunk.length);
      ramLength += chunk.length;
      await writer.append(chunk.parts);
    }
    const t1 = performance.now();
    await writer.append(after.flatMap((s) => s.parts));
    const sections: SectionSummary[] = [
      { kind: SectionKind.Config, index: 0, length: lengthOf(config), crc: crcOf(config) },
      { kind: SectionKind.Ram, index: 0, length: ramLength, crc: ramCrc },
      ...after.map((s) => ({ kind: s.kind, index: s.index, length: lengthOf(s.parts), crc: crcOf(s.parts) })),
    ];
    const table = encodeTable(sections);
    await writer.writeAt(HEADER_BYTES, table);
    await writer.commit();
    const bytes = HEADER_BYTES + table.length + sections.reduce((n, s) => n + s.length, 0);
    return { bytes, ram: ram.stats, encodeMs: t1 - t0, writeMs: performance.now() - t1 };
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    await encoders?.close();
  }
}
