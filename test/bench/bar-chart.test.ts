// The bar chart renderer: well-formed SVG, its labels and values, and inputs it must survive.
import { describe, expect, it } from 'vitest';

import { NOTE_LINE_CHARS, renderBarChart, wrapNote, type BarChartSpec } from '../../bench/report/bar-chart.js';
import { linearScale, logScale } from '../../bench/report/scale.js';
import { numericAttrs, texts, xmlProblems } from './xml-check.js';

const spec = (over: Partial<BarChartSpec>): BarChartSpec => ({
  title: 'a chart',
  subtitle: '16 × a CPU',
  categories: ['one', 'two'],
  series: [
    { name: 'first', values: [1, 10] },
    { name: 'second', values: [2, 200] },
  ],
  scale: 'log',
  axisLabel: 'latency, µs',
  ...over,
});

/** What every chart must be, whatever it was given. */
function checkSane(svg: string): void {
  expect(xmlProblems(svg)).toEqual([]);
  expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  for (const attr of ['x', 'y', 'width', 'height']) {
    for (const v of numericAttrs(svg, 'rect', attr)) expect(Number.isFinite(v) && v >= 0, `rect ${attr}=${v}`).toBe(true);
  }
}

describe('renderBarChart', () => {
  it('draws a bar per value with its label, the legend, title, machine line and axis', () => {
    const svg = renderBarChart(spec({ note: 'a note' }));
    checkSane(svg);
    const t = texts(svg);
    expect(t).toEqual(
      expect.arrayContaining(['a chart', '16 × a CPU', 'first', 'second', 'one', 'two', '1.00', '10.0', '2.00', '200', 'latency, µs (log scale)', 'a note']),
    );
    // Decade ticks around 1..200.
    expect(t).toEqual(expect.arrayContaining(['1', '10', '100', '1k']));
    // Four bars, each with its value as a tooltip.
    expect(svg.match(/<rect[^>]*><title>/g)).toHaveLength(4);
    expect(svg).toContain('<title>two, second: 200</title>');
  });

  it('breaks a long note into lines that fit the chart, keeping every word in order, and grows the chart for them', () => {
    const note = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const lines = wrapNote(note);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(NOTE_LINE_CHARS);
    expect(lines.join(' ')).toBe(note);
    const one = renderBarChart(spec({ note: 'a note' }));
    const long = renderBarChart(spec({ note }));
    checkSane(long);
    expect(texts(long)).toEqual(expect.arrayContaining(lines));
    const height = (svg: string) => Number(/<svg[^>]* height="(\d+)"/.exec(svg)![1]);
    expect(height(long) - height(one)).toBe(14 * (lines.length - 1));
    // A word longer than a line gets a line of its own rather than being cut.
    expect(wrapNote(`a ${'x'.repeat(NOTE_LINE_CHARS + 5)} b`)).toEqual(['a', 'x'.repeat(NOTE_LINE_CHARS + 5), 'b']);
  });

  it('orders bar lengths by value on both scales', () => {
    for (const scale of ['log', 'linear'] as const) {
      const svg = renderBarChart(
        spec({
          scale,
          categories: ['c'],
          series: [
            { name: 'a', values: [5] },
            { name: 'b', values: [50] },
          ],
        }),
      );
      checkSane(svg);
      const widths = [...svg.matchAll(/<rect[^>]*width="([\d.]+)"[^>]*><title>/g)].map((m) => Number(m[1]));
      expect(widths).toHaveLength(2);
      expect(widths[1]!).toBeGreaterThan(widths[0]!);
    }
  });

  it('says "no data" for no categories or no series', () => {
    for (const s of [spec({ categories: [], series: [] }), spec({ series: [] })]) {
      const svg = renderBarChart(s);
      checkSane(svg);
      expect(texts(svg)).toContain('no data');
    }
  });

  it('draws no bar for NaN, zero or negative values on a log axis, and labels them', () => {
    const svg = renderBarChart(spec({ categories: ['a', 'b', 'c', 'd'], series: [{ name: 's', values: [NaN, 0, -3, 4] }] }));
    checkSane(svg);
    expect(svg.match(/<rect[^>]*><title>/g)).toHaveLength(1);
    expect(texts(svg)).toEqual(expect.arrayContaining(['n/a', '0', '4.00']));
  });

  it('survives a single point, equal values, all zeros, missing values and hostile names', () => {
    const cases: Partial<BarChartSpec>[] = [
      { categories: ['only'], series: [{ name: 'one', values: [3] }] },
      { categories: ['a', 'b'], series: [{ name: 'same', values: [7, 7] }] },
      { scale: 'linear', categories: ['a'], series: [{ name: 'zero', values: [0] }] },
      { scale: 'linear', categories: ['a', 'b'], series: [{ name: 'short', values: [1] }] },
      { categories: ['<b> & "q"'], series: [{ name: "it's", values: [1] }], title: 'x < y', subtitle: 'a & b' },
    ];
    for (const c of cases) checkSane(renderBarChart(spec(c)));
    const hostile = renderBarChart(spec(cases[4]!));
    expect(texts(hostile)).toEqual(expect.arrayContaining(['<b> & "q"', "it's", 'x < y', 'a & b']));
  });
});

describe('scales', () => {
  it('log: whole decades around the values, 2 and 5 between when short', () => {
    expect(logScale([0.27, 1440]).ticks).toEqual([0.1, 1, 10, 100, 1000, 10000]);
    expect(logScale([3, 40]).ticks).toEqual([1, 2, 5, 10, 20, 50, 100]);
    expect(logScale([]).ticks).toEqual([1, 2, 5, 10]);
    const s = logScale([2, 100]);
    expect(s.at(1)).toBe(0);
    expect(s.at(10)).toBe(0.5);
    expect(s.at(100)).toBe(1);
    // A value on a decade still gets a bar: the axis starts a decade below.
    expect(logScale([1, 100]).at(1)).toBeGreaterThan(0);
    expect(s.at(0)).toBeNaN();
  });

  it('linear: from 0 to a round top', () => {
    expect(linearScale([0, 5040]).ticks).toEqual([0, 2000, 4000, 6000]);
    expect(linearScale([0]).ticks.every(Number.isFinite)).toBe(true);
    expect(linearScale([NaN]).at(NaN)).toBeNaN();
  });
});
