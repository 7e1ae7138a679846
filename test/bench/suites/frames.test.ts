// bench frames --engine vulkan, run tiny through the CLI (native profile, --scale 0.01, with
// --expose-gc as `npm run bench` runs it): every case on both backends in the one run, each with
// its soft figure and a finite ratio_vulkan_vs_soft_<case>, in the JSON and the table; and
// --engine soft keeps the result's shape of before the comparison. No figure is judged here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { framesTables, type FramesBenchResult } from '../../../bench/suites/frames.js';
import { native } from '../../../shared/native/addon.js';
import { packageRoot } from '../../../shared/package-root.js';

const CLI = path.join(packageRoot, 'dist', 'bench', 'cli.js');
const TINY = ['--profile', 'native', '--scale', '0.01', '--repeat', '1'];
const bench = (...args: string[]) => spawnSync(process.execPath, ['--expose-gc', CLI, 'frames', ...TINY, ...args], { encoding: 'utf8', timeout: 170_000 });
const probe = native.vulkanProbe();

describe.skipIf(!probe.available)(`bench frames --engine vulkan, tiny${probe.available ? '' : ` (skipped: vulkan ${probe.reason}: ${probe.detail})`}`, () => {
  it('runs every case on vulkan and on soft, with the ratio per case in the JSON and the table', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'pvg-bench-frames-')), 'frames.json');
    const r = bench('--engine', 'vulkan', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as FramesBenchResult;
    expect(result.engine).toBe('vulkan');
    const cases = Object.keys(result.runs);
    expect(cases).toContain('1080p_null_100');
    expect(Object.keys(result.soft_runs ?? {}).sort()).toEqual([...cases].sort());
    // The memcpy reference stays.
    expect(Object.keys(result.memcpy_fps)).toEqual(['1080p', '2160p']);
    for (const name of cases) {
      const soft = result.soft_runs![name]!;
      const ratio = result[`ratio_vulkan_vs_soft_${name}`] ?? Number.NaN;
      expect(Number.isFinite(ratio) && ratio > 0, `${name}: ${ratio}`).toBe(true);
      expect(ratio).toBeCloseTo(result.runs[name]!.fps / soft.fps, 10);
      // The table's row: the vulkan figure, then soft's, then the ratio.
      const row = r.stdout.split('\n').find((l) => l.startsWith(`| ${name} `));
      expect(row, name).toBeDefined();
      expect(row).toMatch(new RegExp(`\\| ${result.runs[name]!.fps.toFixed(1)} +\\| ${soft.fps.toFixed(1)} +\\| ${ratio.toFixed(2)} +\\|`));
    }
    expect(r.stdout).toMatch(/\| soft fps \(kept\) \| vulkan ÷ soft \|/);
  }, 180_000);
});

describe('bench frames --engine soft, tiny', () => {
  it('has the shape of a run without --engine: no soft_runs, no ratio_vulkan_vs_soft_*, no extra columns', () => {
    const r = bench('--engine', 'soft', '--json');
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as FramesBenchResult;
    expect(Object.keys(result)).toEqual([
      'suite',
      'machine',
      'memcpy_fps',
      'profiles',
      'engine',
      'runs',
      'ratio_fps_vs_memcpy_1080p',
      'ratio_fps_vs_memcpy_2160p',
      'ratio_band_fps_vs_memcpy_1080p',
      'ratio_fps_damage_1_vs_100',
      'ratio_vnc_fps_vs_null_1080p',
      'ratio_vnc_latency_vs_kept_p50_1080p',
      'targets',
    ]);
    expect(result.engine).toBe('soft');
    expect(framesTables(result)).not.toMatch(/soft fps|vulkan ÷ soft|Engine backend/);
    expect(Object.keys(result.runs)).toEqual([
      '1080p_present_null',
      '1080p_null_100',
      '1080p_null_1',
      '1080p_vnc_zrle_100',
      '1080p_vnc_zrle_1',
      '2160p_present_null',
      '2160p_null_100',
      '2160p_null_1',
      '2160p_vnc_zrle_100',
      '2160p_vnc_zrle_1',
    ]);
  }, 180_000);
});
