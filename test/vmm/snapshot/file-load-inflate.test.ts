// Vm.restore's reader threads decode the RAM chunks that need it (deflated ones, raw ones of many
// short runs) as well as reading the long runs: many inflates in flight at once. They must put
// every byte where the one-thread decoder does, refuse a bad chunk among them naming it (the
// first in the file when there are several faults), and write nothing into RAM once refused.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deflateRawSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { encodeContainer } from '../../../vmm/snapshot/container.js';
import { SnapshotFormatError } from '../../../vmm/snapshot/errors.js';
import { loadSnapshotFile, loadSnapshotFileSync } from '../../../vmm/snapshot/file-load.js';
import { SectionKind } from '../../../vmm/snapshot/layout.js';
import { encodeMachineOptions } from '../../../vmm/snapshot/machine-options.js';
import { CHUNK_PAGES, PAGE_BYTES, decodeRam, encodeRam } from '../../../vmm/snapshot/ram.js';

const VERSION = '0.1.0-test';
const RAM_MIB = 32;
const RAM_BYTES = RAM_MIB * 1024 * 1024;
const CHUNK_BYTES = CHUNK_PAGES * PAGE_BYTES;
const CHUNKS = RAM_BYTES / CHUNK_BYTES;
const OPTIONS = { ramMiB: RAM_MIB, devices: [{ variant: 'pci' as const }], workload: { name: 'desktop', frames: 10 } };
const dir = mkdtempSync(path.join(tmpdir(), 'pvg-snapinflate-'));

const rng = (seed: number) => {
  let s = seed >>> 0 || 1;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
};
const TEXT = Buffer.from('the quick brown fox jumps over the lazy dog; pvg-vmm snapshot text page\n');
const textPage = (page: Uint8Array, n: number) => {
  for (let i = 0; i < PAGE_BYTES; i++) page[i] = TEXT[(i + n) % TEXT.length]!;
};

/** Chunks of each kind the decoder tells apart, every kind present, in an order set by the seed. */
function ramOfEveryKind(seed: number): Uint8Array {
  const ram = new Uint8Array(RAM_BYTES);
  const next = rng(seed);
  for (let c = 0; c < CHUNKS; c++) {
    const chunk = ram.subarray(c * CHUNK_BYTES, (c + 1) * CHUNK_BYTES);
    // 0 zero; 1 text (deflated whole); 2 random (raw, one run: read straight into place); 3 text
    // with zero pages between (deflated, pages scattered); 4 random and zero pages alternating (raw,
    // many short runs: decoded from one read); 5 three runs of random pages (raw, a few runs).
    const kind = c < 6 ? c : (next() >>> 16) % 6;
    for (let p = 0; p < CHUNK_PAGES; p++) {
      const page = chunk.subarray(p * PAGE_BYTES, (p + 1) * PAGE_BYTES);
      const random = kind === 2 || (kind === 4 && p % 2 === 0) || (kind === 5 && p % 80 < 40);
      if (random) for (let i = 0; i < PAGE_BYTES; i++) page[i] = next() >>> 24;
      else if (kind === 1 || (kind === 3 && (next() & 3) !== 0)) textPage(page, p + c);
    }
  }
  return ram;
}

const craft = (ramParts: Uint8Array[]) =>
  Buffer.concat(
    encodeContainer(
      [
        { kind: SectionKind.Config, index: 0, parts: [encodeMachineOptions(OPTIONS)] },
        { kind: SectionKind.Ram, index: 0, parts: ramParts },
      ],
      VERSION,
    ),
  );

/** Guest memory as Vm.restore makes it: a view at an offset into a larger SharedArrayBuffer. */
function guestMemory(): { memory: SharedArrayBuffer; into: Uint8Array } {
  const memory = new SharedArrayBuffer(RAM_BYTES + 2 * PAGE_BYTES);
  return { memory, into: new Uint8Array(memory, PAGE_BYTES, RAM_BYTES) };
}

describe('RAM chunks decoded by the reader threads', () => {
  it('puts every byte where the one-thread decoder does, over chunks of every kind, with 1 to 4 threads side by side', async () => {
    for (const seed of [1, 2]) {
      const ram = ramOfEveryKind(seed);
      const encoded = encodeRam(ram);
      // The comparison means something only with deflated chunks and raw ones in the file.
      expect(encoded.stats.deflatedChunks).toBeGreaterThan(0);
      expect(encoded.stats.rawChunks).toBeGreaterThan(0);
      const file = path.join(dir, `every-kind-${seed}.snap`);
      writeFileSync(file, craft(encoded.parts));
      const oneThread = new Uint8Array(RAM_BYTES);
      decodeRam(Buffer.concat(encoded.parts), oneThread, true);
      expect(Buffer.from(oneThread).equals(Buffer.from(ram))).toBe(true);
      const fromFile = new Uint8Array(RAM_BYTES);
      loadSnapshotFileSync(file, { vmmVersion: VERSION }, () => fromFile);
      expect(Buffer.from(fromFile).equals(Buffer.from(ram))).toBe(true);
      await Promise.all(
        [1, 2, 3, 4].map(async (threads) => {
          const { memory, into } = guestMemory();
          await loadSnapshotFile(file, { vmmVersion: VERSION }, () => into, threads);
          expect(Buffer.from(into).equals(Buffer.from(oneThread)), `${threads} threads, seed ${seed}`).toBe(true);
          expect(new Uint8Array(memory, 0, PAGE_BYTES).every((b) => b === 0)).toBe(true);
          expect(new Uint8Array(memory, PAGE_BYTES + RAM_BYTES).every((b) => b === 0)).toBe(true);
        }),
      );
    }
  }, 180_000);

  // Every checksum right (crafted): only the decoders can refuse these.
  const ALL = Array.from({ length: CHUNK_PAGES }, (_, p) => p);
  const chunk = (encoding: number, stored: Uint8Array, pages: readonly number[] = ALL): Uint8Array[] => {
    const head = new Uint8Array(8 + CHUNK_PAGES / 8);
    head[0] = encoding;
    new DataView(head.buffer).setUint32(4, stored.length, true);
    for (const p of pages) head[8 + (p >> 3)]! |= 1 << (p & 7);
    return [head, stored];
  };
  const ramHead = (() => {
    const head = new Uint8Array(24);
    const v = new DataView(head.buffer);
    v.setUint32(0, PAGE_BYTES, true);
    v.setUint32(4, CHUNK_PAGES, true);
    v.setBigUint64(8, BigInt(RAM_BYTES), true);
    v.setUint32(16, CHUNKS, true);
    return head;
  })();
  /** Each chunk's text pages, deflated: the streams a good file has (made once: deflate is the slow part). */
  const goodStreams = Array.from({ length: CHUNKS }, (_, c) => {
    const pages = new Uint8Array(CHUNK_BYTES);
    for (let p = 0; p < CHUNK_PAGES; p++) textPage(pages.subarray(p * PAGE_BYTES, (p + 1) * PAGE_BYTES), p * 7 + c);
    return deflateRawSync(pages, { level: 1 });
  });
  const FAULTS = {
    'a malformed stream': { chunk: () => chunk(1, Buffer.from('not a deflate stream at all')), reason: /bad deflate stream/ },
    'a stream a page short': {
      chunk: () => chunk(1, deflateRawSync(new Uint8Array(CHUNK_BYTES - PAGE_BYTES).fill(7))),
      reason: /inflates to 1044480 bytes, 256 pages need 1048576/,
    },
    'a stream a page long': {
      chunk: () => chunk(1, deflateRawSync(new Uint8Array(CHUNK_BYTES + PAGE_BYTES).fill(7))),
      reason: /bad deflate stream|inflates to/,
    },
    'bytes after the end of the stream': {
      chunk: () => chunk(1, Buffer.concat([deflateRawSync(new Uint8Array(CHUNK_BYTES).fill(7)), Buffer.from([0, 0])])),
      reason: /2 stored bytes after the end of its deflate stream/,
    },
    'raw bytes for fewer pages than the bitmap names': { chunk: () => chunk(0, new Uint8Array(PAGE_BYTES), [0, 2]), reason: /4096 stored bytes for 2 pages/ },
    'an unknown encoding': { chunk: () => chunk(9, new Uint8Array(0), []), reason: /unknown encoding 9/ },
  } as const;
  type Fault = keyof typeof FAULTS;

  it('refuses a bad chunk among many inflates in flight, naming the first fault in the file, and writes nothing into RAM after', async () => {
    const next = rng(Date.now());
    const streamFaults: Fault[] = ['a malformed stream', 'a stream a page short', 'a stream a page long'];
    const allFaults = Object.keys(FAULTS) as Fault[];
    for (let round = 0; round < 10; round++) {
      // A stream fault early in the file (many inflates still queued behind it), sometimes a second
      // fault of any kind later; or the other way round.
      const first = 2 + (next() % 8);
      const second = round % 3 === 0 ? null : first + 1 + (next() % (CHUNKS - first - 2));
      const firstFault = round % 4 === 3 ? allFaults[next() % allFaults.length]! : streamFaults[next() % streamFaults.length]!;
      const secondFault = allFaults[next() % allFaults.length]!;
      const parts: Uint8Array[] = [ramHead];
      for (let c = 0; c < CHUNKS; c++) {
        if (c === first) parts.push(...FAULTS[firstFault].chunk());
        else if (c === second) parts.push(...FAULTS[secondFault].chunk());
        else parts.push(...chunk(1, goodStreams[c]!));
      }
      const file = path.join(dir, 'faulty.snap');
      writeFileSync(file, craft(parts));
      const threads = 1 + (next() % 4);
      const what = `round ${round}: ${firstFault} at chunk ${first}, ${second === null ? 'nothing' : `${secondFault} at chunk ${second}`} after; ${threads} threads`;
      const { into } = guestMemory();
      const err = await loadSnapshotFile(file, { vmmVersion: VERSION }, () => into, threads).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, what).toBeInstanceOf(SnapshotFormatError);
      const e = err as SnapshotFormatError;
      expect(e.part, what).toBe('section ram');
      expect(e.reason, what).toMatch(new RegExp(`^chunk ${first}: `));
      expect(e.reason, what).toMatch(FAULTS[firstFault].reason);
      // The one-thread loader names the same fault.
      expect(() => loadSnapshotFileSync(file, { vmmVersion: VERSION }, (n) => new Uint8Array(n)), what).toThrow(e.message);
      // Once refused, nothing still in flight writes into the memory: it stays as it is.
      const atRefusal = Buffer.from(into);
      await sleep(50 + (next() % 150));
      expect(Buffer.from(into).equals(atRefusal), what).toBe(true);
    }
  }, 300_000);
});
