// Which charts each suite's result gets, and what they show, from synthetic results.
import { describe, expect, it } from 'vitest';

import { framesChart, framesLatencyChart, latencyChart, scalingChart, suiteCharts } from '../../bench/report/charts.js';
import { engineResult, framesResult, mailboxResult, MACHINE, scalingResult } from './fixtures.js';
import { texts, xmlProblems } from './xml-check.js';

const MACHINE_LINE = '16 × Intel(R) Xeon(R) Processor, 126 GiB, Node v20.20.2, linux 6.18';

describe('latency chart', () => {
  it('shows p50, p99 and p99.9 for every path, with the machine under the title', () => {
    const [chart, ...more] = suiteCharts('mailbox', mailboxResult());
    expect(more).toEqual([]);
    expect(chart!.file).toBe('mailbox-latency.svg');
    expect(xmlProblems(chart!.svg)).toEqual([]);
    const t = texts(chart!.svg);
    expect(t).toEqual(expect.arrayContaining(['mailbox: round-trip latency by path', MACHINE_LINE, 'p50', 'p99', 'p99.9', 'spin', 'mailbox_hot', 'comlink']));
    expect(t).toEqual(expect.arrayContaining(['0.27', '0.77', '1.66', '6.33', '19.3', '75.3', '743', 'latency, µs (log scale)']));
  });

  it('leaves out a percentile no path has (the engine records p50 and p99)', () => {
    const spec = latencyChart('engine', engineResult())!;
    expect(spec.series.map((s) => s.name)).toEqual(['p50', 'p99']);
    expect(spec.categories).toEqual(['callback_read_mem', 'callback_read_mem_actor_host']);
    expect(spec.series[0]!.values).toEqual([1015.8, 1.34]);
  });

  it('is not drawn for empty paths, paths without latencies, or no paths', () => {
    expect(latencyChart('x', { ...mailboxResult(), paths: {} })).toBeNull();
    expect(latencyChart('x', { paths: { a: { writes_per_s: 3 } } })).toBeNull();
    expect(latencyChart('x', framesResult())).toBeNull();
    expect(suiteCharts('x', { machine: MACHINE, paths: {} })).toEqual([]);
    expect(suiteCharts('x', null)).toEqual([]);
  });

  it('takes the machine from the run when the result has none', () => {
    const { machine: _, ...bare } = mailboxResult();
    expect(latencyChart('mailbox', bare)!.subtitle).toBeUndefined();
    expect(latencyChart('mailbox', bare, MACHINE)!.subtitle).toBe(MACHINE_LINE);
  });
});

describe('frames present-latency chart', () => {
  it('shows present → kept and present → VNC client p50/p99 for the runs that measured both, and nothing without them', () => {
    expect(framesLatencyChart(framesResult())).toBeNull();
    const vnc = (sink: string, width: number, height: number, vncP50: number) => ({
      width,
      height,
      sink,
      fps: 100,
      latency_p50_us: 800,
      latency_p99_us: 20_000,
      vnc_latency_p50_us: vncP50,
      vnc_latency_p99_us: vncP50 * 10,
      vnc_latency_samples: 50,
      vnc_latency_ambiguous: 2,
    });
    const r = {
      ...framesResult(),
      runs: { ...framesResult().runs, '1080p_vnc_zrle_1': vnc('vnc-zrle', 1920, 1080, 3000), pvg_1080p_vnc_raw_1: vnc('vnc-raw', 1920, 1080, 9000) },
    };
    const spec = framesLatencyChart(r)!;
    expect(spec.categories).toEqual(['native 1920x1080 zrle', 'pvg 1920x1080 raw']);
    expect(spec.series.map((x) => [x.name, x.values])).toEqual([
      ['present → kept p50', [0.8, 0.8]],
      ['present → kept p99', [20, 20]],
      ['present → VNC client p50', [3, 9]],
      ['present → VNC client p99', [30, 90]],
    ]);
    expect(suiteCharts('frames', r).map((c) => c.file)).toEqual(['frames-fps.svg', 'frames-present-latency.svg']);
  });
});

describe('frames chart', () => {
  it('shows memcpy, present, band 100% and band 1% frames/s at 1080p and 2160p on a log axis', () => {
    const spec = framesChart(framesResult())!;
    expect(spec.categories).toEqual(['1080p (1920x1080)', '2160p (3840x2160)']);
    expect(spec.series.map((s) => [s.name, s.values])).toEqual([
      ['memcpy reference', [2026.7, 518.6]],
      ['present pipeline', [1372.7, 395.1]],
      ['band, 100% redrawn', [710, 173.2]],
      ['band, 1% redrawn', [47003, 11250]],
    ]);
    const chart = suiteCharts('frames', framesResult());
    expect(chart.map((c) => c.file)).toEqual(['frames-fps.svg']);
    expect(xmlProblems(chart[0]!.svg)).toEqual([]);
    expect(texts(chart[0]!.svg)).toEqual(expect.arrayContaining(['frames/s (log scale)', '2027', '1373', '47003', '173', MACHINE_LINE]));
  });

  it('marks missing runs n/a instead of failing', () => {
    const r = { ...framesResult(), runs: { '1080p_present_null': { fps: 1000 } } };
    const svg = suiteCharts('frames', r)[0]!.svg;
    expect(xmlProblems(svg)).toEqual([]);
    expect(texts(svg).filter((t) => t === 'n/a')).toHaveLength(5);
    expect(texts(svg)).toContain('1080p');
  });
});

describe('scaling chart', () => {
  it('shows actor and qemu frames/s by device count with the ratios', () => {
    const [chart, ...more] = suiteCharts('scaling', scalingResult([8, 1, 4, 2]));
    expect(more).toEqual([]);
    expect(chart!.file).toBe('scaling-devices.svg');
    expect(xmlProblems(chart!.svg)).toEqual([]);
    const t = texts(chart!.svg);
    // Sorted by device count whatever the order in the result.
    const labels = t.filter((x) => /^\d+ devices? \(/.test(x));
    expect(labels).toEqual(['1 device (actor/qemu 1.20)', '2 devices (actor/qemu 1.70)', '4 devices (actor/qemu 2.40)', '8 devices (actor/qemu 3.39)']);
    expect(t).toEqual(
      expect.arrayContaining(['actors', 'QEMU big lock (qemu)', '600', '4800', '500', 'frames/s', 'actor/qemu at 8 devices: 3.39×', MACHINE_LINE]),
    );
  });

  it('handles a single point, no points and NaN values', () => {
    for (const r of [
      scalingResult([1]),
      scalingResult([]),
      { ...scalingResult([2]), points: [{ devices: 2, actor_fps: NaN, qemu_fps: 0, ratio: NaN }], ratio_actor_vs_qemu_8: NaN },
    ]) {
      const svg = suiteCharts('scaling', r)[0]!.svg;
      expect(xmlProblems(svg)).toEqual([]);
      expect(svg).not.toMatch(/NaN|Infinity/);
    }
  });

  it('draws efficiency against the ideal when the result has it, and takes repeated figures by their median', () => {
    const base = scalingResult([1, 8]);
    const r = {
      ...base,
      points: [
        { devices: 8, actor_fps: { median: 4000, min: 3900, max: 4100 }, qemu_fps: 1000, ratio: 4, efficiency: 0.5 },
        { devices: 1, actor_fps: { median: 1000, min: 950, max: 1050 }, qemu_fps: 800, ratio: 1.25, efficiency: 1 },
      ],
    };
    const charts = suiteCharts('scaling', r);
    expect(charts.map((c) => c.file)).toEqual(['scaling-devices.svg', 'scaling-efficiency.svg']);
    for (const c of charts) expect(xmlProblems(c.svg)).toEqual([]);
    expect(texts(charts[0]!.svg)).toEqual(expect.arrayContaining(['1000', '4000']));
    const t = texts(charts[1]!.svg);
    expect(t.filter((x) => /^\d+ devices?$/.test(x))).toEqual(['1 device', '8 devices']);
    expect(t).toEqual(expect.arrayContaining(['ideal', '0.50']));
  });

  it('draws the machine’s own efficiency beside the measured one when every point has it', () => {
    const base = scalingResult([1, 8]);
    const point = (devices: number, efficiency: number, copy: number) => ({
      devices,
      actor_fps: 1000 * devices * efficiency,
      qemu_fps: 800,
      ratio: 1,
      efficiency,
      machine_efficiency: { alu: 1, copy },
    });
    const withMachine = suiteCharts('scaling', { ...base, points: [point(1, 1, 1), point(8, 0.5, 0.62)] }).find((c) => c.file === 'scaling-efficiency.svg')!;
    expect(xmlProblems(withMachine.svg)).toEqual([]);
    expect(texts(withMachine.svg)).toEqual(expect.arrayContaining(['machine: N threads of a frame copy', '0.62', '0.50', 'ideal']));
    // One point without it (an older result's): no machine series rather than a gap.
    const mixed = suiteCharts('scaling', { ...base, points: [point(1, 1, 1), { devices: 8, actor_fps: 4000, qemu_fps: 800, ratio: 1, efficiency: 0.5 }] }).find(
      (c) => c.file === 'scaling-efficiency.svg',
    )!;
    expect(texts(mixed.svg)).not.toContain('machine: N threads of a frame copy');
  });

  it('draws p99 frame latency for both models in ms when the result has it', () => {
    const base = scalingResult([1, 8]);
    const r = {
      ...base,
      points: [
        { devices: 1, actor_fps: 1000, qemu_fps: 800, ratio: 1.25, actor_latency_p99_us: { median: 1500, min: 1400, max: 1600 }, qemu_latency_p99_us: 31_000 },
        { devices: 8, actor_fps: 4000, qemu_fps: 1000, ratio: 4, actor_latency_p99_us: 2500, qemu_latency_p99_us: 45_000 },
      ],
    };
    const chart = suiteCharts('scaling', r).find((c) => c.file === 'scaling-frame-latency.svg')!;
    expect(xmlProblems(chart.svg)).toEqual([]);
    const t = texts(chart.svg);
    expect(t).toEqual(expect.arrayContaining(['actors', 'QEMU big lock (qemu)', 'ms', '1.50', '31.0', '45.0']));
  });

  it('is only drawn for a scaling result', () => {
    expect(scalingChart(mailboxResult())).toBeNull();
    expect(scalingChart({ suite: 'scaling' })).toBeNull();
  });
});
