// `pvg-vmm run --save F` (before the first frame, or --save-at N mid-run) then `pvg-vmm restore F`
// ends on exactly the frame of a plain run, in new processes, and its summary tells frames since
// boot from frames since the restore; restore --engine is run's flag; bad --save-at values and
// bad files are refused with one line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../shared/package-root.js';

const BIN = path.join(packageRoot, 'bin', 'pvg-vmm.js');
const pvg = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 90_000 });
const MACHINE = ['--workload', 'desktop', '--frames', '24', '--seed', '4', '--variant', 'pci', '--modes', '320x200@60', '--quiet'];

describe('pvg-vmm run --save and restore', () => {
  it('restore ends on exactly the frame a plain run ends on', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-cli-restore-'));
    const [snap, a, b, c] = ['vm.snap', 'a.png', 'b.png', 'c.png'].map((f) => path.join(dir, f)) as [string, string, string, string];
    const plain = pvg('run', ...MACHINE, '--exit', '--snapshot', a);
    expect(plain.status, plain.stderr).toBe(0);
    const saved = pvg('run', ...MACHINE, '--save', snap, '--save-at', '0', '--exit', '--snapshot', c);
    expect(saved.status, saved.stderr).toBe(0);
    expect(saved.stderr).toMatch(/saved \d+ bytes to .*vm\.snap/);
    const restored = pvg('restore', snap, '--exit', '--snapshot', b, '--quiet');
    expect(restored.status, restored.stderr).toBe(0);
    // Saved before the first frame: all 24 drawn by the restored run, and the summary says so.
    expect(restored.stdout).toMatch(/^frames: 24 since boot, 24 since the restore in [\d.]+ s \([\d.]+ fps\)$/m);
    expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
    // The run that saved ran on to the same frame too.
    expect(readFileSync(c).equals(readFileSync(a))).toBe(true);
  }, 180_000);

  it('run --frames 120 --save-at 60 then restore ends on exactly the PNG of a plain 120-frame run', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-cli-restore-'));
    const [snap, a, b, c] = ['vm.snap', 'a.png', 'b.png', 'c.png'].map((f) => path.join(dir, f)) as [string, string, string, string];
    const machine = ['--workload', 'desktop', '--frames', '120', '--seed', '6', '--modes', '320x200@60', '--quiet'];
    const plain = pvg('run', ...machine, '--exit', '--snapshot', a);
    expect(plain.status, plain.stderr).toBe(0);
    const saved = pvg('run', ...machine, '--save', snap, '--save-at', '60', '--exit', '--snapshot', c);
    expect(saved.status, saved.stderr).toBe(0);
    const restored = pvg('restore', snap, '--exit', '--snapshot', b, '--quiet', '--json');
    expect(restored.status, restored.stderr).toBe(0);
    // The restored run drew the 60 frames left, not 120 again (the engine's presents since restore).
    const report = JSON.parse(restored.stdout) as {
      summary: { frames: number; framesAtRestore: number | null; seconds: number; fps: number };
      stats: { devices: { engine: { presents: number } }[] };
    };
    const presents = report.stats.devices[0]!.engine.presents;
    expect(presents).toBeGreaterThan(0);
    expect(presents).toBeLessThan(120);
    // The guest's own count goes on from the save; the rate counts only the frames this run drew.
    expect(report.summary).toMatchObject({ frames: 120, framesAtRestore: 60 });
    expect(report.summary.fps).toBeCloseTo(60 / report.summary.seconds, 6);
    expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
    expect(readFileSync(c).equals(readFileSync(a))).toBe(true);
  }, 180_000);

  it('--engine as run has it: soft restores, a bad name is refused with the valid ones, vulkan without a driver with the reason', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-cli-restore-'));
    const snap = path.join(dir, 'vm.snap');
    const machine = ['--workload', 'desktop', '--frames', '6', '--modes', '320x200@60', '--quiet'];
    const saved = pvg('run', ...machine, '--save', snap, '--exit');
    expect(saved.status, saved.stderr).toBe(0);
    const soft = pvg('restore', snap, '--engine', 'soft', '--exit', '--quiet');
    expect(soft.status, soft.stderr).toBe(0);
    expect(soft.stdout).toMatch(/frames: 6 /);
    expect(soft.stdout).not.toContain('engine: vulkan');

    const bad = pvg('restore', snap, '--engine', 'metal', '--exit');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('pvg-vmm: --engine must be soft, vulkan, auto, got "metal" ("pvg-vmm restore --help" lists the options)');
    // The loader's own variables point it at no driver: what a machine without a Vulkan driver sees.
    const noDriver = { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' };
    const withoutDriver = (engine: string) =>
      spawnSync(process.execPath, [BIN, 'restore', snap, '--engine', engine, '--exit', '--quiet'], { encoding: 'utf8', timeout: 90_000, env: noDriver });
    const refused = withoutDriver('vulkan');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^pvg-vmm: engine: vulkan: (no-instance|no-device|no-loader|not-built) \(.*\) \("pvg-vmm restore --help"/);
    const auto = withoutDriver('auto');
    expect(auto.status, auto.stderr).toBe(0);
    expect(auto.stderr).toMatch(/--engine auto: drawing with the soft backend \(vulkan: /);
    expect(pvg('restore', '--help').stdout).toContain('--engine E          soft | vulkan | auto');
  }, 180_000);

  it('refuses bad --save-at values and files that are not snapshots, with one line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-cli-restore-'));
    const refusedAt = (args: string[], message: RegExp) => {
      const r = pvg('run', ...MACHINE, '--save', path.join(dir, 'x.snap'), ...args, '--exit');
      expect([r.status, r.stderr]).toEqual([2, expect.stringMatching(message)]);
    };
    refusedAt(['--save-at', '60'], /--save-at 60 is past the workload's 24 frames/);
    refusedAt(['--save-at', '-1'], /--save-at/);
    refusedAt(['--save-at', 'ten'], /--save-at/);
    expect(existsSync(path.join(dir, 'x.snap'))).toBe(false);
    expect(pvg('run', '--save-at', '0', '--exit').stderr).toMatch(/--save-at needs --save FILE/);
    const bogus = path.join(dir, 'bogus.snap');
    writeFileSync(bogus, 'not a snapshot, but long enough to be read as a header of one ......');
    const bad = pvg('restore', bogus, '--exit');
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^pvg-vmm: cannot restore .*bogus\.snap: snapshot refused: header: not a pvg-vmm snapshot \(bad magic\)$/);
    // The machine comes from the file: run's machine flags are refused, not ignored.
    for (const flag of ['--input', '--input-transport=pci', '--workload']) {
      const named = pvg('restore', bogus, flag, ...(flag === '--workload' ? ['paint'] : []));
      expect([named.status, named.stderr]).toEqual([
        2,
        expect.stringMatching(new RegExp(`${flag.split('=')[0]} shapes the machine, which comes from the snapshot file`)),
      ]);
    }
    const missing = pvg('restore', path.join(dir, 'missing.snap'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/ENOENT/);
    expect(pvg('restore').status).toBe(2);
    expect(pvg('restore', '--help').stdout).toMatch(/usage: pvg-vmm restore FILE/);
  }, 120_000);
});
