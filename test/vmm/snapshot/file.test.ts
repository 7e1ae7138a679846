// Snapshot files are written whole or not at all (FILE.partial renamed once synced) and read back byte for byte.
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { readSnapshotFile, writeSnapshotFile } from '../../../vmm/snapshot/file.js';

describe('snapshot files', () => {
  it('write many runs (more than one writev takes) and read them back exactly, owner-only', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-snapfile-'));
    const file = path.join(dir, 'vm.snap');
    const parts = Array.from({ length: 2500 }, (_, i) => new Uint8Array(1 + (i % 97)).fill(i & 0xff));
    await writeSnapshotFile(file, parts);
    expect(readdirSync(dir)).toEqual(['vm.snap']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const back = await readSnapshotFile(file);
    expect(Buffer.from(back).equals(Buffer.concat(parts))).toBe(true);
  });

  it('leave no partial file behind when the save fails, and what was there untouched', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-snapfile-'));
    // The target is a directory with something in it: the rename into place fails.
    const target = path.join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(path.join(target, 'keep'), 'old');
    await expect(writeSnapshotFile(target, [new Uint8Array(4)])).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readdirSync(target)).toEqual(['keep']);
    await expect(readSnapshotFile(path.join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});
