// `bench kvm`: the suite's pure parts on fixtures (percentiles, the mmioread mark arithmetic, the
// ratios, the bus histogram, the tables and the report's chart), and one tiny real run where
// KVM can be used (skipped, with the reason printed, elsewhere).
import { spawnSync } from 'node:child_process';
import nodePath from 'node:path';

import { describe, expect, it } from 'vitest';

import { kvmUnavailableReason } from '../../actors/vcpu/kvm/availability.js';
import { READ_LATENCY_BUCKETS, latencyBucket } from '../../actors/vcpu/read-latency.js';
import { suiteCharts } from '../../bench/report/charts.js';
import {
  kvmFailures,
  busReadPath,
  kvmRatios,
  kvmTables,
  perReadFromMarks,
  runKvmBench,
  summarize,
  KVM_TARGETS,
  type KvmBenchResult,
  type SampleSummary,
} from '../../bench/suites/kvm.js';
import { packageRoot } from '../../shared/package-root.js';
import { MACHINE } from './fixtures.js';
import { texts, xmlProblems } from './xml-check.js';

const path = (mean: number, p50: number, p99: number, n = 1000): SampleSummary => ({
  description: 'a path',
  iterations: n,
  mean_us: mean,
  p50_us: p50,
  p99_us: p99,
  p999_us: p99 * 2,
  max_us: p99 * 3,
});

function fixture(over: Partial<KvmBenchResult> = {}): KvmBenchResult {
  const mmio = {
    description: 'mmioread',
    reads: 10_000,
    device_read_us: 30,
    unassigned_read_us: 25,
    device_phase_ms: 300,
    unassigned_phase_ms: 250,
    bus_read: path(4, 3.5, 9, 10_010),
    mmio_read_exits: 20_050,
    bus_reads: 10_040,
    bus_unassigned_reads: 10_000,
  };
  return {
    suite: 'kvm',
    machine: MACHINE,
    paths: { raw_exit: path(20, 10, 40, 100_000), inject: { ...path(70, 60, 200, 5000), parked: 4000, kicked: 3 }, bus_read_device: mmio.bus_read },
    mmio,
    fps: {
      '480p_kvm': { description: 'kvm', cpu: 'kvm', width: 640, height: 480, frames: 600, seconds: 5, kept_seconds: 5, fps: 120, guest_fps: 121, coalesced: 0 },
      '480p_ts': { description: 'ts', cpu: 'ts', width: 640, height: 480, frames: 600, seconds: 6, kept_seconds: 6, fps: 100, guest_fps: 101, coalesced: 1 },
    },
    ratio_kvm_mmio_vs_raw_exit: 1.5,
    ratio_unassigned_vs_raw_exit: 1.25,
    ratio_inject_vs_raw_exit: 6,
    ratio_fps_kvm_vs_ts_480p: 1.2,
    targets: { ...KVM_TARGETS, ratio_fps_kvm_vs_ts_480p: 'report' },
    notes: ['a note'],
    failures: [],
    ...over,
  };
}

describe('summarize', () => {
  it('gives the mean and nearest-rank percentiles, whatever the order of the samples', () => {
    expect(summarize([5, 1, 3, 2, 4], 'five')).toEqual({ description: 'five', iterations: 5, mean_us: 3, p50_us: 3, p99_us: 5, p999_us: 5, max_us: 5 });
    const hundred = Float64Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
    const s = summarize(hundred, 'hundred');
    expect([s.p50_us, s.p99_us, s.p999_us, s.max_us, s.mean_us]).toEqual([50, 99, 100, 100, 50.5]);
    expect(summarize([7], 'one')).toMatchObject({ p50_us: 7, p99_us: 7, mean_us: 7 });
  });

  it('refuses an empty or non-finite set', () => {
    expect(() => summarize([], 'none')).toThrow(/none: no samples/);
    expect(() => summarize([1, NaN], 'bad')).toThrow(/not a finite number/);
  });
});

describe('perReadFromMarks', () => {
  it('divides the time between marks by the read count', () => {
    const t = perReadFromMarks(
      [
        { value: 1, atMs: 1000 },
        { value: 2, atMs: 1300 },
        { value: 3, atMs: 1350 },
      ],
      10_000,
    );
    expect(t.device_read_us).toBeCloseTo(30, 9); // 300 ms / 10 000 reads
    expect(t.unassigned_read_us).toBeCloseTo(5, 9); // 50 ms / 10 000 reads
    expect(t.device_phase_ms).toBe(300);
    expect(t.unassigned_phase_ms).toBe(50);
  });

  it('takes the first mark of each value, in any order in the list', () => {
    const t = perReadFromMarks(
      [
        { value: 2, atMs: 20 },
        { value: 1, atMs: 10 },
        { value: 3, atMs: 40 },
        { value: 2, atMs: 35 },
      ],
      1000,
    );
    expect(t.device_read_us).toBeCloseTo(10, 9);
    expect(t.unassigned_read_us).toBeCloseTo(20, 9);
  });

  it('refuses a missing mark, marks out of order and a bad read count', () => {
    expect(() =>
      perReadFromMarks(
        [
          { value: 1, atMs: 1 },
          { value: 2, atMs: 2 },
        ],
        10,
      ),
    ).toThrow(/MARK 3 missing \(marks seen: 1, 2\)/);
    expect(() => perReadFromMarks([], 10)).toThrow(/MARK 1 missing \(marks seen: none\)/);
    expect(() =>
      perReadFromMarks(
        [
          { value: 1, atMs: 5 },
          { value: 2, atMs: 3 },
          { value: 3, atMs: 9 },
        ],
        10,
      ),
    ).toThrow(/out of order/);
    expect(() =>
      perReadFromMarks(
        [
          { value: 1, atMs: 1 },
          { value: 2, atMs: 2 },
          { value: 3, atMs: 3 },
        ],
        0,
      ),
    ).toThrow(/positive integer/);
  });
});

describe('kvmRatios', () => {
  const fps = { '480p_kvm': { cpu: 'kvm' as const, fps: 120 }, '480p_ts': { cpu: 'ts' as const, fps: 100 } };
  const mmio = { device_read_us: 30, unassigned_read_us: 25, device_phase_ms: 0, unassigned_phase_ms: 0 };

  it('puts the device and unassigned per-read means over the raw exit mean, inject p50 over raw p50, kvm fps over ts', () => {
    const r = kvmRatios({ raw: { mean_us: 20, p50_us: 10 }, inject: { p50_us: 60 }, mmio, fps, resolutions: ['480p'] });
    expect(r).toEqual({ ratio_kvm_mmio_vs_raw_exit: 1.5, ratio_unassigned_vs_raw_exit: 1.25, ratio_inject_vs_raw_exit: 6, ratio_fps_kvm_vs_ts_480p: 1.2 });
  });

  it('is null, not NaN or Infinity, where a side was not measured or failed', () => {
    expect(
      kvmRatios({
        raw: { mean_us: 1, p50_us: 1 },
        inject: null,
        mmio: null,
        fps: { '480p_kvm': { error: 'x' }, '480p_ts': fps['480p_ts'] },
        resolutions: ['480p'],
      }).ratio_fps_kvm_vs_ts_480p,
    ).toBeNull();
    const r = kvmRatios({ raw: { mean_us: 0, p50_us: 10 }, inject: null, mmio: null, fps: { '480p_kvm': fps['480p_kvm'] }, resolutions: ['480p', '1080p'] });
    expect(r).toEqual({
      ratio_kvm_mmio_vs_raw_exit: null,
      ratio_unassigned_vs_raw_exit: null,
      ratio_inject_vs_raw_exit: null,
      ratio_fps_kvm_vs_ts_480p: null,
      ratio_fps_kvm_vs_ts_1080p: null,
    });
    expect(kvmRatios({ raw: { mean_us: 0, p50_us: 1 }, inject: null, mmio, fps: {}, resolutions: [] }).ratio_kvm_mmio_vs_raw_exit).toBeNull();
  });
});

describe('busReadPath', () => {
  it('reads the percentiles from the histogram and the mean from its totals', () => {
    const buckets = new Array<number>(READ_LATENCY_BUCKETS).fill(0);
    const values = [...new Array<number>(90).fill(10), ...new Array<number>(10).fill(100)];
    for (const v of values) buckets[latencyBucket(v)]!++;
    const p = busReadPath({ count: 100, totalUs: values.reduce((a, b) => a + b, 0), buckets }, 'bus')!;
    expect(p.iterations).toBe(100);
    expect(p.mean_us).toBeCloseTo(19, 9);
    expect(p.p50_us / 10).toBeGreaterThan(0.85); // a bucket's middle is within ~11% of what it holds
    expect(p.p50_us / 10).toBeLessThan(1.15);
    expect(p.p99_us / 100).toBeGreaterThan(0.85);
    expect(p.p99_us / 100).toBeLessThan(1.15);
  });

  it('is null when the bus timed nothing', () => {
    expect(busReadPath({ count: 0, totalUs: 0, buckets: [] }, 'bus')).toBeNull();
  });
});

describe('kvmTables', () => {
  it('shows every path, the per-read times against the raw exit, frames/s and the ratios with their targets', () => {
    const t = kvmTables(fixture());
    for (const line of t
      .split('\n\n')
      .slice(0, 4)
      .flatMap((table) => table.split('\n')))
      expect(line).toMatch(/^\|.*\|$/);
    expect(t).toMatch(/\| raw_exit +\| 20\.0 +\| 10\.0 +\| 40\.0 +\|/);
    expect(t).toContain('(parked on 4000, kicked on 3)');
    expect(t).toMatch(/\| kvm_mmio_read +\| 30\.0 +\| 1\.50 +\| 10000 +\|/);
    expect(t).toMatch(/\| kvm_unassigned_read +\| 25\.0 +\| 1\.25 +\|/);
    expect(t).toMatch(/\| 480p_kvm +\| kvm +\| 640x480 +\| 600 +\| 120 +\|/);
    expect(t).toMatch(/\| ratio_kvm_mmio_vs_raw_exit +\| 1\.50 +\| ≤ 1\.5 +\|/);
    expect(t).toMatch(/\| ratio_fps_kvm_vs_ts_480p +\| 1\.20 +\| report +\|/);
    expect(t).toContain('- a note');
  });

  it('says why the MMIO path or a frames/s run was not measured, and which ratios are missing', () => {
    const base = fixture();
    const t = kvmTables(
      fixture({
        mmio: { error: 'the mmioread guest did not finish' },
        fps: { ...base.fps, '480p_kvm': { cpu: 'kvm', width: 640, height: 480, error: 'triple fault' } },
        ratio_kvm_mmio_vs_raw_exit: null,
        ratio_unassigned_vs_raw_exit: null,
        ratio_fps_kvm_vs_ts_480p: null,
      }),
    );
    expect(t).toContain('kvm_mmio_read: not measured: the mmioread guest did not finish');
    expect(t).toMatch(/\| 480p_kvm +\| kvm +\| 640x480 +\| +\| — +\| — +\| +\| failed: triple fault +\|/);
    expect(t).toMatch(/\| ratio_fps_kvm_vs_ts_480p +\| not measured +\|/);
    expect(t).toMatch(/\| ratio_kvm_mmio_vs_raw_exit +\| not measured +\|/);
    expect(t).not.toMatch(/NaN|null|undefined/);
  });

  it('gives the report a latency chart per path that survives the histogram path’s missing max', () => {
    const [chart] = suiteCharts('kvm', JSON.parse(JSON.stringify(fixture())), MACHINE);
    expect(chart!.file).toBe('kvm-latency.svg');
    expect(xmlProblems(chart!.svg)).toEqual([]);
    expect(chart!.svg).not.toMatch(/NaN|Infinity/);
    expect(texts(chart!.svg)).toEqual(expect.arrayContaining(['raw_exit', 'inject', 'bus_read_device']));
  });
});

describe('bench kvm where KVM cannot be used', () => {
  it('says why and exits 1 before measuring anything (runs the compiled CLI: npm run build first)', () => {
    const cli = nodePath.join(packageRoot, 'dist', 'bench', 'cli.js');
    const r = spawnSync(process.execPath, [cli, 'kvm', '--json'], {
      encoding: 'utf8',
      timeout: 15_000,
      env: { ...process.env, PVG_KVM_DEVICE: '/nonexistent/kvm' },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/bench: cannot run kvm: (\/nonexistent\/kvm does not exist|KVM guests need Linux on x86-64)/);
  });
});

const unavailable = kvmUnavailableReason();
if (unavailable) console.warn(`test/bench/kvm.test.ts: the real run is skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)('bench kvm, a tiny real run', () => {
  it('measures every path at a very small scale and reports finite, positive numbers', async () => {
    const steps: string[] = [];
    const r = await runKvmBench({ scale: 0.002, progress: (s) => steps.push(s), resolutions: [{ name: '240p', width: 320, height: 240, frames: 2000 }] });
    expect(steps).toHaveLength(5);
    expect(r.paths.raw_exit!.iterations).toBe(1000);
    expect(r.paths.inject!.iterations).toBe(100);
    for (const p of Object.values(r.paths)) expect(p.p50_us).toBeGreaterThan(0);
    expect(r.ratio_inject_vs_raw_exit).toBeGreaterThan(0);
    for (const key of ['240p_kvm', '240p_ts']) {
      const run = r.fps[key]!;
      expect('error' in run ? run.error : null).toBeNull();
      if (!('error' in run)) expect(run.fps).toBeGreaterThan(0);
    }
    expect(r.ratio_fps_kvm_vs_ts_240p).toBeGreaterThan(0);
    // The mmioread program: measured, or the reason it could not be.
    if ('error' in r.mmio) {
      console.warn(`bench kvm: the MMIO read path was not measured: ${r.mmio.error}`);
      expect(r.ratio_kvm_mmio_vs_raw_exit).toBeNull();
    } else {
      expect(r.mmio.reads).toBe(500);
      expect(r.mmio.bus_unassigned_reads).toBeGreaterThanOrEqual(500);
      expect(r.mmio.bus_reads).toBeGreaterThanOrEqual(500);
      expect(r.mmio.device_read_us).toBeGreaterThan(0);
      expect(r.ratio_kvm_mmio_vs_raw_exit).toBeCloseTo(r.mmio.device_read_us / r.paths.raw_exit!.mean_us, 9);
    }
    expect(kvmTables(r)).toContain('ratio_kvm_mmio_vs_raw_exit');
  }, 30_000);
});

describe('bench kvm failures', () => {
  it('names every path that could not be measured (the CLI then exits 1), and none when all were', () => {
    const ok = fixture();
    expect(kvmFailures(ok.mmio, ok.fps)).toEqual([]);
    const fps = { ...ok.fps, '1080p_kvm': { cpu: 'kvm' as const, width: 1920, height: 1080, error: 'guest faulted' } };
    expect(kvmFailures({ error: 'no guest image' }, fps)).toEqual(['mmioread: no guest image', '1080p_kvm: guest faulted']);
  });
});
