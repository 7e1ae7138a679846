// bench snapshot, run tiny (16 MiB of RAM, two rounds): every case — dense and mixed RAM on a
// machine no guest ran on, and a machine a guest ran on, held mid-run — gives finite timings,
// ratios against the raw write and read measured in the same round, and a file; the mid-run
// machine's file carries its components' state, so it is more than its RAM's encoding. No figure
// is judged here (timings belong to the bench report).
import { describe, expect, it } from 'vitest';

import { runSnapshotBench, snapshotTables } from '../../../bench/suites/snapshot.js';

describe('bench snapshot, tiny', () => {
  it('measures save and restore of RAM-filled machines and of one a guest ran on, against raw I/O of the same bytes', async () => {
    const r = await runSnapshotBench({ scale: 0.1, ramMiB: 16 });
    expect(r.ram_mib).toBe(16);
    expect(Object.keys(r.contents)).toEqual(['dense', 'mixed', 'ran']);
    for (const c of Object.values(r.contents)) {
      for (const v of [c.write_ms, c.save_ms, c.read_ms, c.restore_ms, c.boot_ms, c.ratio_save_vs_write, c.ratio_restore_vs_read]) {
        expect(Number.isFinite(v) && v > 0).toBe(true);
      }
      expect(c.file_mib).toBeGreaterThan(0);
    }
    // Dense RAM is stored raw: the file is at least the RAM. The guest's machine is mostly zero
    // pages, yet carries its engine's frame and the rest of its state.
    expect(r.contents.dense.file_mib).toBeGreaterThanOrEqual(16);
    expect(r.contents.ran.zero_pages).toBeGreaterThan(0);
    expect(r.contents.ran.file_mib).toBeLessThan(16);
    expect(snapshotTables(r)).toContain('ran.ratio_save_vs_write');
  }, 180_000);
});
