// Vm.restore reads the RAM section with reader threads (ram-readers.ts): each long run of pages
// read into guest memory and checksummed on a thread, the section's CRC combined in file order.
// The threads must put every byte where the single-thread loader does, in any number and with
// loads running side by side, and a damaged or vanishing byte must still be refused.
import { ftruncateSync, mkdtempSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseLayout } from '../../../vmm/snapshot/container.js';
import { SnapshotFormatError } from '../../../vmm/snapshot/errors.js';
import { loadSnapshotFile, loadSnapshotFileSync } from '../../../vmm/snapshot/file-load.js';
import { SectionKind } from '../../../vmm/snapshot/layout.js';
import { PAGE_BYTES } from '../../../vmm/snapshot/ram.js';
import { encodeSnapshot } from '../../../vmm/snapshot/snapshot.js';

const VERSION = '0.1.0-test';
const RAM_MIB = 16;
const RAM_BYTES = RAM_MIB * 1024 * 1024;
const OPTIONS = { ramMiB: RAM_MIB, devices: [{ variant: 'pci' as const }], workload: { name: 'desktop', frames: 10 } };
const dir = mkdtempSync(path.join(tmpdir(), 'pvg-snapthreads-'));

/** Long runs of random pages (the readers' part), zero stretches, text, and lone pages (this thread's), from a seed. */
function ram(seed: number): Uint8Array {
  const out = new Uint8Array(RAM_BYTES);
  let s = seed >>> 0 || 1;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
  for (let p = 0; p < RAM_BYTES / PAGE_BYTES; p++) {
    const page = out.subarray(p * PAGE_BYTES, (p + 1) * PAGE_BYTES);
    const region = ((p >> 9) + 1) % 4; // 2 MiB regions: zero, text, every third page random, random (the last)
    if (region === 0 || (region === 3 && p % 3 === 0)) for (let i = 0; i < PAGE_BYTES; i++) page[i] = next() >>> 24;
    else if (region === 2) page.fill(p & 0xff, 0, 100 + (p % 3000));
  }
  return out;
}

function snapshotFile(name: string, seed: number, compression: 'auto' | 'none'): { file: string; bytes: Uint8Array; ram: Uint8Array } {
  const content = ram(seed);
  const bytes = Buffer.concat(encodeSnapshot({ options: OPTIONS, ram: content }, VERSION, compression).parts);
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return { file, bytes, ram: content };
}

const shared = (n: number) => new Uint8Array(new SharedArrayBuffer(n));

async function refusal(p: Promise<unknown>): Promise<SnapshotFormatError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SnapshotFormatError);
  return err as SnapshotFormatError;
}

describe('the RAM section read by reader threads', () => {
  it('puts every byte where the single-thread loader does, with 1 to 3 threads and loads side by side', async () => {
    const files = [snapshotFile('a.snap', 1, 'none'), snapshotFile('b.snap', 2, 'auto')];
    const loads = files.flatMap((f) =>
      [1, 2, 3].map(async (threads) => {
        // Guest memory the shape Vm.restore gives: a view at an offset into a larger SharedArrayBuffer.
        const memory = new SharedArrayBuffer(RAM_BYTES + 2 * PAGE_BYTES);
        const into = new Uint8Array(memory, PAGE_BYTES, RAM_BYTES);
        const loaded = await loadSnapshotFile(f.file, { vmmVersion: VERSION }, () => into, threads);
        expect(loaded.options).toEqual(OPTIONS);
        expect(Buffer.from(into).equals(Buffer.from(f.ram))).toBe(true);
        // Nothing written outside the view.
        expect(new Uint8Array(memory, 0, PAGE_BYTES).every((b) => b === 0)).toBe(true);
        expect(new Uint8Array(memory, PAGE_BYTES + RAM_BYTES).every((b) => b === 0)).toBe(true);
      }),
    );
    await Promise.all(loads);
    const single = new Uint8Array(RAM_BYTES);
    loadSnapshotFileSync(files[0]!.file, { vmmVersion: VERSION }, () => single);
    expect(Buffer.from(single).equals(Buffer.from(files[0]!.ram))).toBe(true);
  }, 120_000);

  it('refuses a damaged byte anywhere in the RAM section, read by a thread or not', async () => {
    const { file, bytes } = snapshotFile('c.snap', 3, 'none');
    const entry = parseLayout(bytes, bytes.length, { vmmVersion: VERSION }).entries.find((e) => e.kind === SectionKind.Ram)!;
    // The section's first byte, a chunk head, inside the last random run (a reader's), its last byte, and a spread between.
    const at = [0, 24 + 2, entry.length - 5000, entry.length - 1];
    for (let i = 1; i <= 6; i++) at.push(Math.floor((entry.length * i) / 7) + i * 13);
    for (const offset of at) {
      const damaged = Uint8Array.from(bytes);
      damaged[entry.offset + offset]! ^= 0x10;
      writeFileSync(file, damaged);
      const err = await refusal(loadSnapshotFile(file, { vmmVersion: VERSION }, shared, 2));
      expect(err.part, `byte ${offset} of the section`).toBe('section ram');
    }
    // A byte of page data only the checksum can catch: the mismatch, not a decoder error.
    const damaged = Uint8Array.from(bytes);
    damaged[entry.offset + entry.length - 5000]! ^= 0x01;
    writeFileSync(file, damaged);
    expect((await refusal(loadSnapshotFile(file, { vmmVersion: VERSION }, shared, 2))).reason).toBe('checksum mismatch');
  }, 120_000);

  it('refuses a file cut short while its RAM is read (a reader finds its end)', async () => {
    const { file, bytes } = snapshotFile('d.snap', 4, 'none');
    const entry = parseLayout(bytes, bytes.length, { vmmVersion: VERSION }).entries.find((e) => e.kind === SectionKind.Ram)!;
    // The file shrinks after its layout was checked, as the RAM is asked for: inside the last
    // chunk's run of random pages, past every chunk head this thread reads.
    const cut = (n: number) => {
      const fd = openSync(file, 'r+');
      ftruncateSync(fd, entry.offset + entry.length - 1000);
      closeSync(fd);
      return shared(n);
    };
    const err = await refusal(loadSnapshotFile(file, { vmmVersion: VERSION }, cut, 2));
    expect(err.part).toBe('file');
    expect(err.reason).toMatch(/ended at \d+ bytes while being read/);
  }, 120_000);
});
