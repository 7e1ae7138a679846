// Loading a snapshot from its file without holding the file in memory: the header and table,
// then the config section, then the RAM section read straight into guest memory (one pass over
// each RAM byte, as a plain read of the file makes), with its CRC-32 taken as it is read and
// compared at the end. A check that fails throws SnapshotFormatError; the guest memory, which
// nothing runs on yet, is then dropped by the caller.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';

import { MAX_LAYOUT_BYTES, parseLayout, sectionName, type SectionEntry } from './container.js';
import { SnapshotFormatError } from './errors.js';
import { SectionKind } from './layout.js';
import { MAX_CONFIG_BYTES, decodeMachineOptions } from './machine-options.js';
import { RAM_HEAD_BYTES, decodeRamFrom, ramSectionBytes, type RamSource } from './ram.js';
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

/** A RAM section's bytes from the file, checksummed as they are taken. */
class FileSource implements RamSource {
  crc = 0;
  private at: number;
  private scratch = Buffer.alloc(0);

  constructor(
    private readonly fd: number,
    private readonly entry: SectionEntry,
  ) {
    this.at = entry.offset;
  }

  get remaining(): number {
    return this.entry.offset + this.entry.length - this.at;
  }

  take(n: number): Uint8Array {
    if (this.scratch.length < n) this.scratch = Buffer.allocUnsafe(Math.max(n, 64 * 1024));
    const out = this.scratch.subarray(0, n);
    this.takeInto(out);
    return out;
  }

  takeInto(dst: Uint8Array): void {
    readFully(this.fd, dst, this.at);
    this.crc = crc32(dst, this.crc);
    this.at += dst.length;
  }
}

/**
 * loadSnapshot from a file: the same checks, in file order; the RAM goes into ram(bytes, config),
 * asked for once the config, the RAM section's head and the component sections are checked (it
 * may refuse the machine on this host: no RAM is made then).
 */
export function loadSnapshotFile(file: string, options: ParseSnapshotOptions, ram: (bytes: number, config: ResolvedConfig) => Uint8Array): LoadedSnapshot {
  const fd = openSync(file, 'r');
  try {
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
    const source = new FileSource(fd, ramEntry);
    decodeRamFrom(source, ram(config.ramBytes, config), true);
    if (source.crc !== ramEntry.crc) throw new SnapshotFormatError('section ram', 'checksum mismatch');
    return { formatVersion: layout.formatVersion, vmmVersion: layout.vmmVersion, options: machine, config, state };
  } finally {
    closeSync(fd);
  }
}
