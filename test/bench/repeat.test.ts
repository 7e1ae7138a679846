// --repeat for suites that measure each path once: runs merge into medians with their spreads,
// references that swing more than 2× are warned about, and the charts draw the ranges.
import { describe, expect, it } from 'vitest';

import { latencyChart, suiteCharts } from '../../bench/report/charts.js';
import { headlineSpreads, mergeRuns, referenceWarnings } from '../../bench/repeat.js';
import { mailboxResult } from './fixtures.js';
import { xmlProblems } from './xml-check.js';

const run = (spin: number, hot: number, extra: Record<string, unknown> = {}) => ({
  suite: 'mailbox',
  paths: { spin: { p50_us: spin, description: 'spin' }, mailbox_hot: { p50_us: hot, description: 'hot' } },
  ratio_hot_vs_spin: hot / spin,
  list: [1, spin],
  ...extra,
});

describe('mergeRuns', () => {
  it('takes the median of every number and keeps each one’s min–max, strings from the first run', () => {
    const { merged, spreads } = mergeRuns([run(1, 3), run(2, 3), run(4, 6)]);
    expect(merged.paths.spin).toEqual({ p50_us: 2, description: 'spin' });
    expect(merged.paths.mailbox_hot.p50_us).toBe(3);
    expect(merged.list).toEqual([1, 2]);
    // The ratio is each run's own (3, 1.5, 1.5), not median over median (3 / 2).
    expect(merged.ratio_hot_vs_spin).toBe(1.5);
    expect(spreads['ratio_hot_vs_spin']).toEqual({ median: 1.5, min: 1.5, max: 3, n: 3 });
    expect(spreads['paths.spin.p50_us']).toEqual({ median: 2, min: 1, max: 4, n: 3 });
    expect(spreads['list[1]']).toEqual({ median: 2, min: 1, max: 4, n: 3 });
    expect(Object.keys(spreads)).not.toContain('paths.spin.description');
  });

  it('gives an even count the mean of the middle two', () => {
    expect(mergeRuns([run(1, 2), run(3, 2)]).merged.paths.spin.p50_us).toBe(2);
  });

  it('leaves a number missing or not finite in some run as the first run had it, with no spread', () => {
    const { merged, spreads } = mergeRuns<Record<string, unknown>>([run(1, 2, { fps: 10 }), run(1, 2, { fps: NaN }), run(1, 2)]);
    expect(merged.fps).toBe(10);
    expect(spreads).not.toHaveProperty('fps');
  });

  it('refuses no runs', () => {
    expect(() => mergeRuns([])).toThrow(RangeError);
  });
});

describe('referenceWarnings', () => {
  const { spreads } = mergeRuns([run(1, 3), run(2.5, 3), run(1.2, 6)]);

  it('warns when a reference’s max is over 2× its min, and not for other figures', () => {
    const w = referenceWarnings(spreads, ['paths.spin.p50_us']);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/reference paths\.spin\.p50_us varied 2\.5× within this run/);
    expect(referenceWarnings(spreads, ['paths.mailbox_hot.p50_us'])).toEqual([]);
  });

  it('matches every number under a prefix pattern', () => {
    expect(referenceWarnings(spreads, ['paths.*'])).toHaveLength(1);
    expect(referenceWarnings(spreads, ['paths.spin.p50_us'], 3)).toEqual([]);
  });

  it('picks the ratios and references for the table', () => {
    expect(headlineSpreads(spreads, ['paths.spin.p50_us']).map(([p]) => p)).toEqual(['paths.spin.p50_us', 'ratio_hot_vs_spin']);
  });
});

describe('charts of repeated runs', () => {
  it('draw a min–max whisker over each bar that has a range, and say the bars are medians', () => {
    const a = mailboxResult();
    const b = structuredClone(a);
    b.paths.spin.p50_us *= 3;
    const { merged, spreads } = mergeRuns([a, b, a]);
    const r = { ...merged, repeat: 3, spreads };
    const spec = latencyChart('mailbox', r)!;
    const spinAt = spec.categories.indexOf('spin');
    expect(spec.series[0]!.ranges![spinAt]).toEqual([a.paths.spin.p50_us, b.paths.spin.p50_us]);
    expect(spec.note).toMatch(/Medians of 3 runs, whiskers from min to max/);
    const svg = suiteCharts('mailbox', r)[0]!.svg;
    expect(xmlProblems(svg)).toEqual([]);
    const single = suiteCharts('mailbox', a)[0]!.svg;
    // The whiskers add lines (a bar and its two caps per range) that a single run's chart lacks.
    expect(svg.match(/<line /g)!.length).toBeGreaterThan(single.match(/<line /g)!.length);
  });
});
