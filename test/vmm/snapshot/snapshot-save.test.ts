// The pipelined save (snapshot-save.ts) writes while it encodes: its file must be byte for byte
// what encodeSnapshot gives, and a save that fails leaves nothing under the final name.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { type MachineState } from '../../../vmm/snapshot/machine-state.js';
import { PAGE_BYTES } from '../../../vmm/snapshot/ram.js';
import { saveSnapshotFile } from '../../../vmm/snapshot/snapshot-save.js';
import { encodeSnapshot } from '../../../vmm/snapshot/snapshot.js';
import { CHUNK_BYTES, ramOfEveryKind } from './ram-of-every-kind.js';

const VERSION = '0.1.0-test';
const OPTIONS = { ramMiB: 48, devices: [{ variant: 'pci' as const }], workload: { name: 'desktop', frames: 10 } };
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
/** Component sections of made-up bytes: the encoder only places and checksums them. */
const STATE: MachineState = {
  devices: [{ engine: bytes(300, 1), taskSpace: bytes(77, 2), pci: bytes(256, 3) }],
  interruptTable: bytes(40, 4),
  vcpus: [
    { program: bytes(123, 5), kvm: null, pending: bytes(8, 6) },
    { program: null, kvm: bytes(999, 7), pending: bytes(8, 8) },
  ],
  displays: [[bytes(64, 9)]],
  inputDevices: [bytes(50, 10)],
};

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'pvg-snapsave-'));
/** The same bytes in a SharedArrayBuffer, as guest memory is: what the encoder threads can share. */
function shared(ram: Uint8Array): Uint8Array {
  const copy = new Uint8Array(new SharedArrayBuffer(ram.length));
  copy.set(ram);
  return copy;
}
/** Each way a save encodes: RAM it cannot share (on libuv's pool), shared RAM on 3 encoder threads, and shared RAM with none. */
const ENCODINGS = [
  { name: 'unshared', of: (ram: Uint8Array) => ram, threads: 3 },
  { name: 'shared, 3 encoder threads', of: shared, threads: 3 },
  { name: 'shared, no encoder thread', of: shared, threads: 0 },
];

describe('saveSnapshotFile', () => {
  it.each([1, 2])('writes the bytes encodeSnapshot gives (seed %i, 48 chunks of every kind, more than the write-ahead window)', async (seed) => {
    const dir = tempDir();
    try {
      const plain = ramOfEveryKind(seed, 48);
      for (const encoding of ENCODINGS) {
        const ram = encoding.of(plain);
        for (const compression of ['auto', 'none'] as const) {
          for (const state of [null, STATE]) {
            const file = path.join(dir, `vm-${compression}-${state ? 'state' : 'bare'}.snap`);
            const expected = encodeSnapshot({ options: OPTIONS, ram, state }, VERSION, compression);
            const saved = await saveSnapshotFile(file, { options: OPTIONS, ram, state }, VERSION, compression, encoding.threads);
            const written = readFileSync(file);
            expect(written.equals(Buffer.concat(expected.parts)), encoding.name).toBe(true);
            expect(saved.bytes).toBe(written.length);
            expect(saved.ram).toEqual(expected.ram);
            if (compression === 'auto') expect(saved.ram.deflatedChunks).toBeGreaterThan(0);
            expect(saved.ram.rawChunks).toBeGreaterThan(0);
            expect(saved.ram.zeroPages).toBeGreaterThan(0);
          }
        }
      }
      expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('handles a partial last chunk and RAM with nothing to deflate', async () => {
    const dir = tempDir();
    try {
      for (const plain of [ramOfEveryKind(9, 3).subarray(0, 2 * CHUNK_BYTES + 5 * PAGE_BYTES), new Uint8Array(3 * CHUNK_BYTES)]) {
        for (const encoding of ENCODINGS) {
          const ram = encoding.of(plain);
          const file = path.join(dir, 'vm.snap');
          await saveSnapshotFile(file, { options: OPTIONS, ram }, VERSION, 'auto', encoding.threads);
          expect(readFileSync(file).equals(Buffer.concat(encodeSnapshot({ options: OPTIONS, ram }, VERSION).parts)), encoding.name).toBe(true);
        }
      }
      // RAM at an offset into its SharedArrayBuffer (guest memory after other regions): the threads read the right bytes.
      const backing = new Uint8Array(new SharedArrayBuffer(3 * CHUNK_BYTES + 2 * PAGE_BYTES));
      backing.fill(0xee);
      const ram = backing.subarray(PAGE_BYTES, PAGE_BYTES + 3 * CHUNK_BYTES);
      ram.set(ramOfEveryKind(5, 3));
      const file = path.join(dir, 'vm.snap');
      await saveSnapshotFile(file, { options: OPTIONS, ram }, VERSION, 'auto', 2);
      expect(readFileSync(file).equals(Buffer.concat(encodeSnapshot({ options: OPTIONS, ram }, VERSION).parts))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves nothing under the final name, and what was there untouched, when a write fails (ENOSPC)', async () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'vm.snap');
      writeFileSync(file, 'the previous snapshot');
      for (const encoding of ENCODINGS) {
        // FILE.partial is opened with 'w', which follows the link: every write to /dev/full fails with ENOSPC.
        symlinkSync('/dev/full', `${file}.partial`);
        const ram = encoding.of(ramOfEveryKind(3, 48));
        await expect(saveSnapshotFile(file, { options: OPTIONS, ram }, VERSION, 'auto', encoding.threads), encoding.name).rejects.toThrow(/ENOSPC/);
        expect(readFileSync(file, 'utf8')).toBe('the previous snapshot');
        expect(readdirSync(dir)).toEqual(['vm.snap']);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates nothing when the directory is gone, and refuses bad contents before opening a file', async () => {
    const dir = tempDir();
    rmSync(dir, { recursive: true });
    const ram = ramOfEveryKind(4, 2);
    await expect(saveSnapshotFile(path.join(dir, 'vm.snap'), { options: OPTIONS, ram }, VERSION)).rejects.toThrow(/ENOENT/);
    expect(existsSync(dir)).toBe(false);

    const here = tempDir();
    try {
      const file = path.join(here, 'vm.snap');
      await expect(saveSnapshotFile(file, { options: OPTIONS, ram: new Uint8Array(PAGE_BYTES + 1) }, VERSION)).rejects.toThrow(RangeError);
      await expect(saveSnapshotFile(file, { options: OPTIONS, ram }, 'a version far too long for the header')).rejects.toThrow(RangeError);
      expect(readdirSync(here)).toEqual([]);
    } finally {
      rmSync(here, { recursive: true, force: true });
    }
  });
});
