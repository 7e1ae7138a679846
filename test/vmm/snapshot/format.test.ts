// The snapshot file is hostile input: anything but a whole, unchanged file of this format and
// pvg-vmm version is refused with SnapshotFormatError naming the part, before any RAM is handed out.
import { closeSync, ftruncateSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { encodeContainer } from '../../../vmm/snapshot/container.js';
import { SnapshotFormatError } from '../../../vmm/snapshot/errors.js';
import { FORMAT_VERSION, H_CRC, H_FORMAT_VERSION, SectionKind } from '../../../vmm/snapshot/layout.js';
import { encodeMachineOptions } from '../../../vmm/snapshot/machine-options.js';
import { CHUNK_PAGES, PAGE_BYTES, encodeRam } from '../../../vmm/snapshot/ram.js';
import { loadSnapshotFileSync } from '../../../vmm/snapshot/file-load.js';
import { encodeSnapshot, loadSnapshot, parseSnapshotSections } from '../../../vmm/snapshot/snapshot.js';

const VERSION = '0.1.0-test';
const RAM_MIB = 16;
const RAM_BYTES = RAM_MIB * 1024 * 1024;
const OPTIONS = { ramMiB: RAM_MIB, devices: [{ variant: 'pci' as const }], workload: { name: 'desktop', frames: 10 } };

/** RAM with zero pages, compressible pages and incompressible pages, from a seed. */
function sampleRam(seed: number): Uint8Array {
  const ram = new Uint8Array(RAM_BYTES);
  let s = seed >>> 0 || 1;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
  const pages = RAM_BYTES / PAGE_BYTES;
  for (let p = 0; p < pages; p++) {
    const kind = (next() >>> 16) % 8;
    const page = ram.subarray(p * PAGE_BYTES, (p + 1) * PAGE_BYTES);
    if (kind === 0) for (let i = 0; i < PAGE_BYTES; i++) page[i] = next() >>> 24;
    else if (kind === 1) page.fill(p & 0xff, 0, 64 + (p % 1000));
    // else: zero
  }
  return ram;
}

function file(seed = 1, compression: 'auto' | 'none' = 'auto'): Uint8Array {
  return Buffer.concat(encodeSnapshot({ options: OPTIONS, ram: sampleRam(seed) }, VERSION, compression).parts);
}

const load = (bytes: Uint8Array) => {
  const ram = new Uint8Array(RAM_BYTES);
  const parsed = loadSnapshot(bytes, { vmmVersion: VERSION }, (n) => (n === RAM_BYTES ? ram : new Uint8Array(n)));
  return { parsed, ram };
};

const scratchFile = path.join(mkdtempSync(path.join(tmpdir(), 'pvg-snapformat-')), 'f.snap');

/** Both loaders (in memory, and from a file with the RAM read straight into place) refuse the same way. */
function refused(bytes: Uint8Array, part: string | RegExp, reason?: RegExp): SnapshotFormatError {
  writeFileSync(scratchFile, bytes);
  return refusedBoth(bytes, part, reason);
}

function refusedBoth(bytes: Uint8Array, part: string | RegExp, reason?: RegExp): SnapshotFormatError {
  const errors = [() => load(bytes), () => loadSnapshotFileSync(scratchFile, { vmmVersion: VERSION }, (n) => new Uint8Array(n))].map((f) => {
    try {
      f();
    } catch (err) {
      return err;
    }
    return null;
  });
  for (const caught of errors) {
    expect(caught).toBeInstanceOf(SnapshotFormatError);
    const e = caught as SnapshotFormatError;
    if (typeof part === 'string') expect(e.part).toBe(part);
    else expect(e.part).toMatch(part);
    if (reason) expect(e.reason).toMatch(reason);
  }
  // The two loaders check in the same order as far as the part goes.
  expect((errors[1] as SnapshotFormatError).part).toBe((errors[0] as SnapshotFormatError).part);
  return errors[0] as SnapshotFormatError;
}

/** Runs check with the scratch file holding `good` with the bytes at `at` taken from `edited` (or cut to its length), then puts it back. */
function withEditedFile(good: Uint8Array, edited: Uint8Array, at: readonly number[], check: () => void): void {
  const fd = openSync(scratchFile, 'r+');
  try {
    if (edited.length < good.length) ftruncateSync(fd, edited.length);
    for (const i of at) writeSync(fd, edited, i, 1, i);
    check();
    if (edited.length < good.length) writeSync(fd, good, edited.length, good.length - edited.length, edited.length);
    for (const i of at) writeSync(fd, good, i, 1, i);
  } finally {
    closeSync(fd);
  }
}

/** A container with these sections, every checksum right: for errors the checksums cannot catch. */
const craft = (sections: { kind: number; index?: number; bytes: Uint8Array[] }[], version = VERSION) =>
  Buffer.concat(
    encodeContainer(
      sections.map((s) => ({ kind: s.kind, index: s.index ?? 0, parts: s.bytes })),
      version,
    ),
  );
const configBytes = (o: object) => encodeMachineOptions(o);
const ramParts = (bytes = RAM_BYTES) => encodeRam(sampleRam(3).subarray(0, bytes)).parts;

describe('snapshot format', () => {
  it('round-trips the RAM exactly, skipping zero pages and deflating what compresses', () => {
    for (const compression of ['auto', 'none'] as const) {
      const ram = sampleRam(7);
      const enc = encodeSnapshot({ options: OPTIONS, ram }, VERSION, compression);
      const { parsed, ram: back } = load(Buffer.concat(enc.parts));
      expect(Buffer.from(back).equals(Buffer.from(ram))).toBe(true);
      writeFileSync(scratchFile, Buffer.concat(enc.parts));
      const fromFile = new Uint8Array(RAM_BYTES);
      expect(loadSnapshotFileSync(scratchFile, { vmmVersion: VERSION }, () => fromFile).options).toEqual(OPTIONS);
      expect(Buffer.from(fromFile).equals(Buffer.from(ram))).toBe(true);
      expect(parsed.options).toEqual(OPTIONS);
      expect(parsed.config.ramBytes).toBe(RAM_BYTES);
      expect([parsed.formatVersion, parsed.vmmVersion]).toEqual([FORMAT_VERSION, VERSION]);
      // Three in four pages are zero: the file holds about a quarter of the RAM, less when deflated.
      expect(enc.ram.zeroPages).toBeGreaterThan(enc.ram.pages * 0.6);
      expect(enc.bytes).toBeLessThan(RAM_BYTES * 0.4);
      if (compression === 'none') expect(enc.ram.deflatedChunks).toBe(0);
      else expect(enc.ram.deflatedChunks).toBeGreaterThan(0);
    }
  });

  it('stores all-zero RAM in a few bytes per chunk, and incompressible RAM raw', () => {
    const zero = encodeSnapshot({ options: OPTIONS, ram: new Uint8Array(RAM_BYTES) }, VERSION);
    expect(zero.bytes).toBeLessThan((RAM_BYTES / PAGE_BYTES / CHUNK_PAGES) * 64 + 1024);
    const noise = new Uint8Array(RAM_BYTES);
    for (let i = 0; i < noise.length; i += 65536) crypto.getRandomValues(noise.subarray(i, i + 65536));
    const enc = encodeSnapshot({ options: OPTIONS, ram: noise }, VERSION);
    expect(enc.ram.deflatedChunks).toBe(0);
    const { ram } = load(Buffer.concat(enc.parts));
    expect(Buffer.from(ram).equals(Buffer.from(noise))).toBe(true);
  });

  it('decodes into memory that is not zero, clearing the zero pages', async () => {
    const { decodeRam } = await import('../../../vmm/snapshot/ram.js');
    const ram = sampleRam(9);
    const parsed = parseSnapshotSections(file(9), { vmmVersion: VERSION });
    const dirty = new Uint8Array(RAM_BYTES).fill(0xa5);
    decodeRam(parsed.ramSection, dirty, false);
    expect(Buffer.from(dirty).equals(Buffer.from(ram))).toBe(true);
  });

  it('refuses any single flipped bit, wherever it is', { timeout: 120_000 }, () => {
    const good = file(2);
    writeFileSync(scratchFile, good);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length * 8 - 1 }), (bit) => {
        const bad = Uint8Array.from(good);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        withEditedFile(good, bad, [bit >> 3], () => refusedBoth(bad, /.+/));
      }),
      { numRuns: 150 },
    );
  });

  it('refuses a few corrupted bytes anywhere', { timeout: 120_000 }, () => {
    const good = file(4);
    writeFileSync(scratchFile, good);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }),
        (edits) => {
          const bad = Uint8Array.from(good);
          for (const [at, x] of edits) bad[at]! ^= x;
          if (Buffer.from(bad).equals(Buffer.from(good))) return; // edits that cancel out
          refused(bad, /.+/);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a file cut short at any length, or with bytes appended', { timeout: 120_000 }, () => {
    const good = file(5);
    writeFileSync(scratchFile, good);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), (length) => {
        withEditedFile(good, good.subarray(0, length), [], () => refusedBoth(good.subarray(0, length), /.+/));
      }),
      { numRuns: 150 },
    );
    for (const length of [0, 10, 63, 64, 100]) refused(good.subarray(0, length), length < 64 ? 'header' : 'section table');
    refused(Buffer.concat([good, Buffer.from([0])]), 'file', /1 bytes after the last section/);
  });

  it('refuses another format version and another pvg-vmm version by name', () => {
    const good = file(1);
    const other = Uint8Array.from(good);
    const v = new DataView(other.buffer);
    v.setUint32(H_FORMAT_VERSION, FORMAT_VERSION + 1, true);
    v.setUint32(H_CRC, crc32(other.subarray(0, H_CRC)), true);
    refused(other, 'header', /format version 3, this loader reads only 1 and 2/);
    expect(() => loadSnapshot(good, { vmmVersion: '0.2.0' }, (n) => new Uint8Array(n))).toThrow(/written by pvg-vmm "0.1.0-test", this is 0.2.0/);
    refused(Buffer.from('not a snapshot at all, but long enough to have a header. ........'), 'header', /bad magic/);
  });

  it('refuses missing, duplicate, unknown and misplaced sections', () => {
    const config = configBytes(OPTIONS);
    refused(craft([{ kind: SectionKind.Config, bytes: [config] }]), 'section table', /no ram section/);
    refused(craft([{ kind: SectionKind.Ram, bytes: ramParts() }]), 'section table', /no config section/);
    refused(
      craft([
        { kind: SectionKind.Config, bytes: [config] },
        { kind: SectionKind.Config, bytes: [config] },
        { kind: SectionKind.Ram, bytes: ramParts() },
      ]),
      'section table',
      /section config appears twice/,
    );
    refused(craft([{ kind: 99, bytes: [config] }]), 'section table', /unknown section kind 99/);
    refused(
      craft([
        { kind: SectionKind.Config, bytes: [config], index: 3 },
        { kind: SectionKind.Ram, bytes: ramParts() },
      ]),
      'section table',
      /index 0 only/,
    );
    // A section whose offset or length points elsewhere (the table's checksum made right again).
    const good = craft([
      { kind: SectionKind.Config, bytes: [config] },
      { kind: SectionKind.Ram, bytes: ramParts() },
    ]);
    const moved = (entry: number, field: number, value: bigint) => {
      const bad = Uint8Array.from(good);
      const v = new DataView(bad.buffer);
      v.setBigUint64(64 + entry * 32 + field, value, true);
      v.setUint32(64 + 2 * 32, crc32(bad.subarray(64, 64 + 2 * 32)), true);
      return bad;
    };
    refused(moved(0, 8, 1n << 40n), 'section config', /expected 132/);
    refused(moved(1, 16, 1n << 40n), 'section ram', /past the end of the file/);
    refused(moved(1, 16, 10n), /section ram|file/);
  });

  it('refuses options a caller could not give, and RAM that does not match them', () => {
    refused(
      craft([
        { kind: SectionKind.Config, bytes: [Buffer.from('{"ramMiB": 1')] },
        { kind: SectionKind.Ram, bytes: ramParts() },
      ]),
      'section config',
      /not UTF-8 JSON/,
    );
    refused(
      craft([
        { kind: SectionKind.Config, bytes: [configBytes({ ramMiB: 1 })] },
        { kind: SectionKind.Ram, bytes: ramParts() },
      ]),
      'section config',
      /ramMiB/,
    );
    refused(
      craft([
        { kind: SectionKind.Config, bytes: [configBytes({ ...OPTIONS, outputs: {} })] },
        { kind: SectionKind.Ram, bytes: ramParts() },
      ]),
      'section config',
      /outputs/,
    );
    refused(
      craft([
        { kind: SectionKind.Config, bytes: [configBytes({ ...OPTIONS, ramMiB: 32 })] },
        { kind: SectionKind.Ram, bytes: ramParts() },
      ]),
      'section ram',
      /config says 33554432/,
    );
    expect(() => parseSnapshotSections(file(1), { vmmVersion: VERSION, maxRamBytes: 1 << 20 })).toThrow(SnapshotFormatError);
  });

  it('refuses malformed RAM chunks: bad bitmaps, short or long data, deflate bombs', () => {
    const config = configBytes(OPTIONS);
    const chunks = RAM_BYTES / PAGE_BYTES / CHUNK_PAGES;
    const head = new Uint8Array(24);
    const hv = new DataView(head.buffer);
    hv.setUint32(0, PAGE_BYTES, true);
    hv.setUint32(4, CHUNK_PAGES, true);
    hv.setBigUint64(8, BigInt(RAM_BYTES), true);
    hv.setUint32(16, chunks, true);
    const chunk = (encoding: number, stored: Uint8Array, pages: number[]) => {
      const c = new Uint8Array(8 + CHUNK_PAGES / 8);
      c[0] = encoding;
      new DataView(c.buffer).setUint32(4, stored.length, true);
      for (const p of pages) c[8 + (p >> 3)]! |= 1 << (p & 7);
      return [c, stored];
    };
    const zeroChunks = (n: number) => Array.from({ length: n }, () => chunk(0, new Uint8Array(0), [])).flat();
    const withFirst = (first: Uint8Array[], rest = chunks - 1) =>
      craft([
        { kind: SectionKind.Config, bytes: [config] },
        { kind: SectionKind.Ram, bytes: [head, ...first, ...zeroChunks(rest)] },
      ]);

    expect(() => load(withFirst(chunk(0, new Uint8Array(PAGE_BYTES).fill(1), [0])))).not.toThrow();
    refused(withFirst(chunk(0, new Uint8Array(PAGE_BYTES), [0, 1])), 'section ram', /4096 stored bytes for 2 pages/);
    refused(withFirst(chunk(2, new Uint8Array(0), [])), 'section ram', /unknown encoding 2/);
    const bomb = deflateRawSync(new Uint8Array(64 * PAGE_BYTES));
    refused(withFirst(chunk(1, bomb, [0])), 'section ram', /bad deflate stream|inflates to/);
    refused(withFirst(chunk(1, Buffer.from('not deflate'), [0])), 'section ram', /bad deflate stream/);
    refused(withFirst(chunk(1, deflateRawSync(new Uint8Array(10)), [0])), 'section ram', /inflates to 10 bytes/);
    const page = new Uint8Array(PAGE_BYTES).fill(5);
    expect(() => load(withFirst(chunk(1, deflateRawSync(page), [0])))).not.toThrow();
    const trailing = Buffer.concat([deflateRawSync(page), Buffer.from([1, 2, 3])]);
    refused(withFirst(chunk(1, trailing, [0])), 'section ram', /3 stored bytes after the end of its deflate stream/);
    refused(withFirst(chunk(0, new Uint8Array(1 << 20), [])), 'section ram', /stored bytes for 0 pages/);
    refused(withFirst([], chunks - 1), 'section ram', /truncated head/);
    refused(withFirst([...chunk(0, new Uint8Array(0), []), new Uint8Array(3)]), 'section ram', /after the last chunk|stored bytes|encoding/);
    // Bitmap bits past the end of a short last chunk: a RAM that ends mid-chunk.
    const shortHead = Uint8Array.from(head);
    const sv = new DataView(shortHead.buffer);
    sv.setBigUint64(8, BigInt(RAM_BYTES - 2 * PAGE_BYTES), true);
    const shortRam = craft([
      { kind: SectionKind.Config, bytes: [config] },
      { kind: SectionKind.Ram, bytes: [shortHead, ...zeroChunks(chunks - 1), ...chunk(0, new Uint8Array(PAGE_BYTES), [CHUNK_PAGES - 1])] },
    ]);
    refused(shortRam, 'section ram', /config says|past the end of RAM/);
  });
});
