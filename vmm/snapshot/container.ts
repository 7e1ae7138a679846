// The container: header, section table and sections (layout.ts), each checked by CRC-32
// (node:zlib's crc32). Writing takes each section as a list of byte runs, so guest RAM can go to
// the file as views of the SharedArrayBuffer, uncopied. Parsing checks everything about the
// container before it hands out a single section.
import { crc32 } from 'node:zlib';

import { SnapshotFormatError } from './errors.js';
import {
  ENTRY_BYTES,
  E_CRC,
  E_INDEX,
  E_KIND,
  E_LENGTH,
  E_OFFSET,
  E_RESERVED,
  FORMAT_VERSION,
  HEADER_BYTES,
  H_CRC,
  H_FLAGS,
  H_FORMAT_VERSION,
  H_HEADER_BYTES,
  H_MAGIC,
  H_SECTION_COUNT,
  H_VMM_VERSION,
  MAGIC,
  MACHINE_WIDE_KINDS,
  MAX_SECTIONS,
  READABLE_FORMAT_VERSIONS,
  SECTION_NAMES,
  SectionKind,
  VMM_VERSION_BYTES,
} from './layout.js';

export interface SectionInput {
  kind: number;
  /** Which one of its kind (a device's number); 0 for the machine-wide ones. */
  index: number;
  /** The section's bytes, in runs written one after another. */
  parts: Uint8Array[];
}

export interface Section {
  kind: number;
  index: number;
  /** A view of the file's bytes (no copy). */
  bytes: Uint8Array;
}

export interface ParsedContainer {
  formatVersion: number;
  vmmVersion: string;
  sections: Section[];
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
export function sectionName(kind: number, index: number): string {
  const what = SECTION_NAMES[kind] ?? `kind ${kind}`;
  if (kind === SectionKind.CompositorDisplay) return `section ${what} ${index >> 8}.${index & 255}`;
  return `section ${what}${index || !MACHINE_WIDE_KINDS.includes(kind) ? ` ${index}` : ''}`;
}

function crcOf(parts: readonly Uint8Array[]): number {
  let c = 0;
  for (const p of parts) c = crc32(p, c);
  return c;
}

/** The header of a file of `sectionCount` sections (it holds no length or checksum of theirs). */
export function encodeHeader(sectionCount: number, vmmVersion: string): Uint8Array {
  const version = new TextEncoder().encode(vmmVersion);
  if (version.length > VMM_VERSION_BYTES || /[^\x20-\x7e]/.test(vmmVersion)) throw new RangeError(`pvg-vmm version "${vmmVersion}" does not fit the header`);
  const header = new Uint8Array(HEADER_BYTES);
  const h = view(header);
  header.set(MAGIC, H_MAGIC);
  h.setUint32(H_FORMAT_VERSION, FORMAT_VERSION, true);
  h.setUint32(H_HEADER_BYTES, HEADER_BYTES, true);
  header.set(version, H_VMM_VERSION);
  h.setUint32(H_SECTION_COUNT, sectionCount, true);
  h.setUint32(H_FLAGS, 0, true);
  h.setUint32(H_CRC, crc32(header.subarray(0, H_CRC)), true);
  return header;
}

/** A section as the table describes it: its length and CRC-32, its bytes elsewhere. */
export interface SectionSummary {
  kind: number;
  index: number;
  length: number;
  crc: number;
}

/** The section table's size for `sectionCount` sections, its CRC included. */
export const tableBytes = (sectionCount: number) => sectionCount * ENTRY_BYTES + 4;

/** The section table and its CRC, the sections placed back to back right after it. */
export function encodeTable(sections: readonly SectionSummary[]): Uint8Array {
  const table = new Uint8Array(tableBytes(sections.length));
  const t = view(table);
  let offset = HEADER_BYTES + table.length;
  sections.forEach((s, i) => {
    const e = i * ENTRY_BYTES;
    t.setUint32(e + E_KIND, s.kind, true);
    t.setUint32(e + E_INDEX, s.index, true);
    t.setBigUint64(e + E_OFFSET, BigInt(offset), true);
    t.setBigUint64(e + E_LENGTH, BigInt(s.length), true);
    t.setUint32(e + E_CRC, s.crc, true);
    offset += s.length;
  });
  t.setUint32(sections.length * ENTRY_BYTES, crc32(table.subarray(0, sections.length * ENTRY_BYTES)), true);
  return table;
}

/** The whole file as byte runs: header, table, table CRC, then each section's runs. */
export function encodeContainer(sections: readonly SectionInput[], vmmVersion: string): Uint8Array[] {
  const header = encodeHeader(sections.length, vmmVersion);
  const table = encodeTable(sections.map((s) => ({ kind: s.kind, index: s.index, length: s.parts.reduce((n, p) => n + p.length, 0), crc: crcOf(s.parts) })));
  return [header, table, ...sections.flatMap((s) => s.parts)];
}

export interface ParseOptions {
  /** The pvg-vmm version the file must have been written by (the running one). */
  vmmVersion: string;
}

/** A section table entry, checked for place (not yet for its checksum). */
export interface SectionEntry {
  kind: number;
  index: number;
  offset: number;
  length: number;
  crc: number;
}

export interface ContainerLayout {
  formatVersion: number;
  vmmVersion: string;
  entries: SectionEntry[];
}

/** How many bytes from the start of a file parseLayout needs at most (header, the longest table, its CRC). */
export const MAX_LAYOUT_BYTES = HEADER_BYTES + MAX_SECTIONS * ENTRY_BYTES + 4;

/**
 * Checks the header and the section table of a file of `fileLength` bytes, given its first
 * bytes (`head`: all of them, or at least MAX_LAYOUT_BYTES): every section in its place, back to
 * back, inside the file, nothing after the last. The sections' checksums are the caller's.
 */
export function parseLayout(head: Uint8Array, fileLength: number, options: ParseOptions): ContainerLayout {
  if (fileLength < HEADER_BYTES) throw new SnapshotFormatError('header', `the file has ${fileLength} bytes, fewer than the ${HEADER_BYTES} of a header`);
  const h = view(head);
  if (!MAGIC.every((b, i) => head[H_MAGIC + i] === b)) throw new SnapshotFormatError('header', 'not a pvg-vmm snapshot (bad magic)');
  if (h.getUint32(H_CRC, true) !== crc32(head.subarray(0, H_CRC))) throw new SnapshotFormatError('header', 'checksum mismatch');
  const formatVersion = h.getUint32(H_FORMAT_VERSION, true);
  if (!READABLE_FORMAT_VERSIONS.includes(formatVersion))
    throw new SnapshotFormatError('header', `format version ${formatVersion}, this loader reads only ${READABLE_FORMAT_VERSIONS.join(' and ')}`);
  if (h.getUint32(H_HEADER_BYTES, true) !== HEADER_BYTES)
    throw new SnapshotFormatError('header', `header size ${h.getUint32(H_HEADER_BYTES, true)}, not ${HEADER_BYTES}`);
  const versionField = head.subarray(H_VMM_VERSION, H_VMM_VERSION + VMM_VERSION_BYTES);
  const end = versionField.indexOf(0);
  const vmmVersion = String.fromCharCode(...versionField.subarray(0, end < 0 ? VMM_VERSION_BYTES : end));
  if (vmmVersion !== options.vmmVersion)
    throw new SnapshotFormatError('header', `written by pvg-vmm ${JSON.stringify(vmmVersion)}, this is ${options.vmmVersion}`);
  if (h.getUint32(H_FLAGS, true) !== 0) throw new SnapshotFormatError('header', `unknown flags 0x${h.getUint32(H_FLAGS, true).toString(16)}`);
  const count = h.getUint32(H_SECTION_COUNT, true);
  if (count > MAX_SECTIONS) throw new SnapshotFormatError('section table', `${count} sections, more than ${MAX_SECTIONS}`);

  const tableEnd = HEADER_BYTES + count * ENTRY_BYTES;
  if (fileLength < tableEnd + 4)
    throw new SnapshotFormatError('section table', `truncated: ${count} entries need ${tableEnd + 4} bytes, the file has ${fileLength}`);
  if (head.length < tableEnd + 4) throw new RangeError(`parseLayout: ${head.length} bytes of head, the table needs ${tableEnd + 4}`);
  if (h.getUint32(tableEnd, true) !== crc32(head.subarray(HEADER_BYTES, tableEnd))) throw new SnapshotFormatError('section table', 'checksum mismatch');

  const entries: SectionEntry[] = [];
  const seen = new Set<string>();
  let expected = tableEnd + 4;
  for (let i = 0; i < count; i++) {
    const e = HEADER_BYTES + i * ENTRY_BYTES;
    const kind = h.getUint32(e + E_KIND, true);
    const index = h.getUint32(e + E_INDEX, true);
    const name = sectionName(kind, index);
    if (SECTION_NAMES[kind] === undefined || (formatVersion === 1 && kind > SectionKind.Ram))
      throw new SnapshotFormatError('section table', `entry ${i}: unknown section kind ${kind}${formatVersion === 1 ? ' in a version-1 file' : ''}`);
    if (h.getUint32(e + E_RESERVED, true) !== 0) throw new SnapshotFormatError('section table', `entry ${i}: reserved bytes not zero`);
    const key = `${kind}:${index}`;
    if (seen.has(key)) throw new SnapshotFormatError('section table', `${name} appears twice`);
    seen.add(key);
    const offset = h.getBigUint64(e + E_OFFSET, true);
    const length = h.getBigUint64(e + E_LENGTH, true);
    // Sections lie back to back in table order: anything else is a gap, an overlap or a lie.
    if (offset !== BigInt(expected)) throw new SnapshotFormatError(name, `starts at ${offset}, expected ${expected} (sections lie back to back)`);
    if (offset + length > BigInt(fileLength))
      throw new SnapshotFormatError(name, `${length} bytes at ${offset} run past the end of the file (${fileLength} bytes): truncated or out of range`);
    entries.push({ kind, index, offset: expected, length: Number(length), crc: h.getUint32(e + E_CRC, true) });
    expected += Number(length);
  }
  if (expected !== fileLength) throw new SnapshotFormatError('file', `${fileLength - expected} bytes after the last section`);
  return { formatVersion, vmmVersion, entries };
}

/** Checks the container whole (header, table, every section's place and CRC) and returns its sections. */
export function parseContainer(file: Uint8Array, options: ParseOptions): ParsedContainer {
  const layout = parseLayout(file, file.length, options);
  const sections = layout.entries.map((e) => {
    const bytes = file.subarray(e.offset, e.offset + e.length);
    if (crc32(bytes) !== e.crc) throw new SnapshotFormatError(sectionName(e.kind, e.index), 'checksum mismatch');
    return { kind: e.kind, index: e.index, bytes };
  });
  return { formatVersion: layout.formatVersion, vmmVersion: layout.vmmVersion, sections };
}
