// Loading a snapshot from its file without holding the file in memory: the header and table,
// then the config section, then the RAM section read straight into guest memory (one pass over
// each RAM byte, as a plain read of the file makes), with its CRC-32 taken as it is read and
// compared at the end. The long runs of RAM go to reader threads (ram-readers.ts), which read and
// checksum them in parallel, and decode (inflate) the chunks that need it; the parts' CRCs are
// combined in file order (crc-combine.ts). A check that fails throws SnapshotFormatError; the guest memory, which
// nothing runs on yet, is then dropped by the caller.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';

import { MAX_LAYOUT_BYTES, parseLayout, sectionName, type SectionEntry } from './container.js';
import { crc32Combine } from './crc-combine.js';
import { SnapshotFormatError } from './errors.js';
import { RamReaders } from './ram-readers.js';
import { SectionKind } from './layout.js';
import { MAX_CONFIG_BYTES, decodeMachineOptions } from './machine-options.js';
import { RAM_HEAD_BYTES, decodeRamFrom, ramSectionBytes, type ChunkJob, type RamSource } from './ram.js';
import { checkRamSize, requiredSections, type LoadedSnapshot, type ParseSnapshotOptions } from './snapshot.js';
import { collectMachineState, isComponentKind } from './machine-state.js';
import type { ResolvedConfig } from '../config.js';

/** A component section's bytes at most: an engine's frames (16 displays of 8192 × 8192 would be more; real modes are far less). */
export const MAX_STATE_BYTES = 512 * 1024 * 1024;

/** Reads exactly dst.length bytes at position (a file that shrinks under us is a truncated snapshot). */
function readFully(fd: number, dst: Uint8Array, position: number): void {
  for (let at = 0; at < dst.length;) {
    const n = readSync(fd, dst, at, Math.min(dst.length - at, 1 << 30), position + at);
    if (n === 0) throw new SnapshotFormatError('file', `ended at ${position + at} bytes while being read`);
    at += n;
  }
}

/** Runs into guest memory at least this long go to a reader thread; shorter ones are read here. */
const MIN_JOB_BYTES = 64 * 1024;

/**
 * A RAM section's bytes from the file, each checksummed: runs into guest memory and chunks to
 * inflate by the reader threads (in parallel, while this thread walks on), the rest (heads, short
 * runs) here. The section's CRC is the parts' CRCs combined in file order.
 */
class FileSource implements RamSource {
  private readonly parts: { crc: number | Promise<number>; length: number }[] = [];
  private at: number;
  private scratch = Buffer.alloc(0);

  constructor(
    private readonly fd: number,
    private readonly entry: SectionEntry,
    private readonly readers: { pool: RamReaders; memory: SharedArrayBuffer } | null,
  ) {
    this.at = entry.offset;
  }

  get remaining(): number {
    return this.entry.offset + this.entry.length - this.at;
  }

  take(n: number): Uint8Array {
    if (this.scratch.length < n) this.scratch = Buffer.allocUnsafe(Math.max(n, 64 * 1024));
    const out = this.scratch.subarray(0, n);
    readFully(this.fd, out, this.at);
    this.checked(out);
    this.at += n;
    return out;
  }

  takeInto(dst: Uint8Array): void {
    if (this.readers && dst.buffer === this.readers.memory && dst.length >= MIN_JOB_BYTES) {
      this.parts.push({ crc: this.readers.pool.read(this.fd, this.at, dst.byteOffset, dst.length), length: dst.length });
    } else {
      readFully(this.fd, dst, this.at);
      this.checked(dst);
    }
    this.at += dst.length;
  }

  takeChunk(job: ChunkJob): boolean {
    if (!this.readers || job.into.buffer !== this.readers.memory) return false;
    const { into, ...chunk } = job;
    this.parts.push({ crc: this.readers.pool.decode(this.fd, this.at, into.byteOffset, into.length, chunk), length: job.stored });
    this.at += job.stored;
    return true;
  }

  /** Bytes read on this thread: their CRC runs on from the last part's when that one was read here too. */
  private checked(bytes: Uint8Array): void {
    const last = this.parts.at(-1);
    if (last && typeof last.crc === 'number') {
      last.crc = crc32(bytes, last.crc);
      last.length += bytes.length;
    } else this.parts.push({ crc: crc32(bytes), length: bytes.length });
  }

  /**
   * The section's CRC-32, once every reader's part has settled. A part that failed throws, the
   * first in file order (the one the single-thread loader meets first), whatever order they failed in.
   */
  async crc(): Promise<number> {
    const settled = await Promise.allSettled(this.parts.map(async (p) => p.crc));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.reduce((c, s, i) => crc32Combine(c, (s as PromiseFulfilledResult<number>).value, this.parts[i]!.length), 0);
  }

  /** The section's CRC-32 when no reader took part. */
  crcNow(): number {
    return this.parts.reduce((c, p) => crc32Combine(c, p.crc as number, p.length), 0);
  }
}

type MakeRam = (bytes: number, config: ResolvedConfig) => Uint8Array;

/**
 * Everything but the RAM section's CRC, in file order; the RAM is decoded into ram(bytes, config),
 * asked for once the config, the RAM section's head and the component sections are checked (it
 * may refuse the machine on this host: no RAM is made then). The caller compares source.crc().
 */
function loadFrom(
  fd: number,
  options: ParseSnapshotOptions,
  ram: MakeRam,
  pool: RamReaders | null,
  started: (s: FileSource) => void,
): { loaded: LoadedSnapshot; crc: number } {
  const size = fstatSync(fd).size;
  const head = new Uint8Array(Math.min(size, MAX_LAYOUT_BYTES));
  readFully(fd, head, 0);
  const layout = parseLayout(head, size, { vmmVersion: options.vmmVersion });
  const byKind = requiredSections(layout.entries);
  const read = (e: SectionEntry, max: number) => {
    if (e.length > max) throw new SnapshotFormatError(sectionName(e.kind, e.index), `${e.length} bytes, more than ${max}`);
    const bytes = new Uint8Array(e.length);
    readFully(fd, bytes, e.offset);
    if (crc32(bytes) !== e.crc) throw new SnapshotFormatError(sectionName(e.kind, e.index), 'checksum mismatch');
    return bytes;
  };
  const { options: machine, config } = decodeMachineOptions(read(byKind.get(SectionKind.Config)!, MAX_CONFIG_BYTES));
  const ramEntry = byKind.get(SectionKind.Ram)!;
  // The head is checked before any RAM is made for it (its CRC is checked with the rest).
  if (ramEntry.length < RAM_HEAD_BYTES) throw new SnapshotFormatError('section ram', `${ramEntry.length} bytes, fewer than its ${RAM_HEAD_BYTES}-byte head`);
  const ramHead = new Uint8Array(RAM_HEAD_BYTES);
  readFully(fd, ramHead, ramEntry.offset);
  checkRamSize(ramSectionBytes(ramHead), config, options);
  // Component sections (small but for the frames) are read and checksummed before the RAM.
  const components = layout.entries.filter((e) => isComponentKind(e.kind)).map((e) => ({ kind: e.kind, index: e.index, bytes: read(e, MAX_STATE_BYTES) }));
  const state = collectMachineState(components, config);
  const into = ram(config.ramBytes, config);
  // Reader threads only for guest memory they can reach (a SharedArrayBuffer).
  const shared = pool && into.buffer instanceof SharedArrayBuffer ? { pool, memory: into.buffer } : null;
  if (shared) pool!.attach(shared.memory);
  const source = new FileSource(fd, ramEntry, shared);
  started(source);
  decodeRamFrom(source, into, true);
  return { loaded: { formatVersion: layout.formatVersion, vmmVersion: layout.vmmVersion, options: machine, config, state }, crc: ramEntry.crc };
}

/** loadSnapshot from a file, on this thread alone: the same checks, in file order. */
export function loadSnapshotFileSync(file: string, options: ParseSnapshotOptions, ram: MakeRam): LoadedSnapshot {
  const fd = openSync(file, 'r');
  try {
    let source: FileSource | null = null;
    const { loaded, crc } = loadFrom(fd, options, ram, null, (s) => (source = s));
    if (source!.crcNow() !== crc) throw new SnapshotFormatError('section ram', 'checksum mismatch');
    return loaded;
  } finally {
    closeSync(fd);
  }
}

/**
 * loadSnapshotFileSync with the long runs of RAM read and checksummed, and the chunks to inflate
 * decoded, by `readerThreads` threads (none: this thread does all). Resolves once every part's
 * CRC is in and the section's matches; no thread reads the file or writes the memory after it
 * settles, resolved or not. Of several faults, the one first in the file is thrown, as the
 * single-thread loader throws it.
 */
export async function loadSnapshotFile(file: string, options: ParseSnapshotOptions, ram: MakeRam, readerThreads = 0): Promise<LoadedSnapshot> {
  const fd = openSync(file, 'r');
  // Started first: their start-up overlaps the checks of the file's head and small sections.
  const pool = readerThreads > 0 ? new RamReaders(readerThreads) : null;
  let source: FileSource | null = null;
  try {
    let walked: { loaded: LoadedSnapshot; crc: number } | null = null;
    let walkError: unknown = null;
    try {
      walked = loadFrom(fd, options, ram, pool, (s) => (source = s));
    } catch (err) {
      walkError = err;
    }
    // Every part settles here, before anything is thrown; a reader's fault lies before where the walk stopped.
    const crc = source ? await (source as FileSource).crc() : null;
    if (!walked) throw walkError;
    if (crc !== walked.crc) throw new SnapshotFormatError('section ram', 'checksum mismatch');
    return walked.loaded;
  } finally {
    // The threads ended before the descriptor goes (another open could reuse its number).
    await pool?.close();
    closeSync(fd);
  }
}
