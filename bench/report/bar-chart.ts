// A grouped horizontal bar chart as a standalone SVG: one group of bars per category (a path, a
// resolution, a device count), one bar per series, the values along the x axis. Horizontal so
// long path names fit as labels. Values that cannot be drawn (NaN, or ≤ 0 on a log axis) get no
// bar and a text label instead, so a partial result still renders.
import { linearScale, logScale, type Scale } from './scale.js';
import { el, escapeXml, textWidth, txt } from '../../shared/svg/xml.js';
import { fmtTick, fmtValue } from './number-format.js';

export interface BarSeries {
  name: string;
  /** One value per category, in the categories' order; missing entries count as NaN. */
  values: number[];
  /** Per category, the min–max of repeated runs (the value being their median), drawn as a whisker. */
  ranges?: ([number, number] | null)[];
}

export interface BarChartSpec {
  title: string;
  /** The line under the title: the machine the numbers come from. */
  subtitle?: string;
  categories: string[];
  series: BarSeries[];
  scale: 'linear' | 'log';
  /** What the x axis measures, with its unit ("round trip, µs"); the scale kind is appended. */
  axisLabel: string;
  /** A line of explanation under the axis. */
  note?: string;
}

// Okabe–Ito: tells series apart for colour-blind readers too.
const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const WIDTH = 820;
const BAR = 13;
const BAR_GAP = 2;
const GROUP_GAP = 12;
const VALUE_ROOM = 64; // right of the plot, for the value at the end of the longest bar

export function renderBarChart(spec: BarChartSpec): string {
  const { categories, series } = spec;
  const values = series.flatMap((s) => categories.map((_, i) => s.values[i] ?? NaN).concat((s.ranges ?? []).flatMap((r) => r ?? [])));
  const scale: Scale = spec.scale === 'log' ? logScale(values) : linearScale(values);

  const labelWidth = Math.min(320, Math.max(60, ...categories.map((c) => textWidth(c, 12))) + 14);
  const left = 16 + labelWidth;
  const right = WIDTH - VALUE_ROOM;
  const x = (v: number) => left + scale.at(v) * (right - left);

  const parts: string[] = [];
  let y = 26;
  parts.push(txt('text', { x: 16, y, 'font-size': 16, 'font-weight': 'bold' }, spec.title));
  if (spec.subtitle) {
    y += 18;
    parts.push(txt('text', { x: 16, y, 'font-size': 11, fill: '#555' }, spec.subtitle));
  }
  y += 22;
  const legend = legendRow(
    series.map((s) => s.name),
    16,
    y,
  );
  parts.push(legend.svg);
  const top = legend.bottom + 14;

  const groupHeight = series.length * (BAR + BAR_GAP) - BAR_GAP + GROUP_GAP;
  const plotHeight = Math.max(1, categories.length) * groupHeight;
  const bottom = top + plotHeight;

  // Grid and ticks first so bars draw over them.
  for (const t of scale.ticks) {
    const tx = x(t);
    parts.push(el('line', { x1: tx, y1: top, x2: tx, y2: bottom, stroke: '#e3e3e3' }));
    parts.push(el('line', { x1: tx, y1: bottom, x2: tx, y2: bottom + 4, stroke: '#333' }));
    parts.push(txt('text', { x: tx, y: bottom + 17, 'text-anchor': 'middle', 'font-size': 11 }, fmtTick(t)));
  }
  parts.push(el('line', { x1: left, y1: bottom, x2: right, y2: bottom, stroke: '#333' }));
  parts.push(el('line', { x1: left, y1: top, x2: left, y2: bottom, stroke: '#333' }));

  if (categories.length === 0 || series.length === 0) {
    parts.push(txt('text', { x: (left + right) / 2, y: top + plotHeight / 2 + 4, 'text-anchor': 'middle', fill: '#777' }, 'no data'));
  }
  categories.forEach((category, ci) => {
    const gy = top + GROUP_GAP / 2 + ci * groupHeight;
    const mid = gy + (groupHeight - GROUP_GAP) / 2;
    parts.push(txt('text', { x: left - 8, y: mid + 4, 'text-anchor': 'end', 'font-size': 12 }, category));
    series.forEach((s, si) => {
      const v = s.values[ci] ?? NaN;
      const by = gy + si * (BAR + BAR_GAP);
      const end = x(v);
      const drawn = Number.isFinite(end) && end > left;
      const hover = `${category}, ${s.name}: ${fmtValue(v)}`;
      if (drawn)
        parts.push(el('rect', { x: left, y: by, width: end - left, height: BAR, fill: COLOURS[si % COLOURS.length] }, `<title>${escapeXml(hover)}</title>`));
      const range = s.ranges?.[ci];
      if (drawn && range) parts.push(whisker(x(range[0]), x(range[1]), by + BAR / 2, left));
      const label = Number.isFinite(v) ? fmtValue(v) : 'n/a';
      parts.push(txt('text', { x: (drawn ? end : left) + 4, y: by + BAR - 2, 'font-size': 10, fill: '#333' }, label));
    });
  });

  let end = bottom + 36;
  const axis = `${spec.axisLabel}${spec.scale === 'log' ? ' (log scale)' : ''}`;
  parts.push(txt('text', { x: (left + right) / 2, y: end, 'text-anchor': 'middle', 'font-size': 12 }, axis));
  if (spec.note) {
    end += 6;
    for (const line of wrapNote(spec.note)) {
      end += 14;
      parts.push(txt('text', { x: 16, y: end, 'font-size': 11, fill: '#555' }, line));
    }
  }
  const height = end + 14;

  return (
    el(
      'svg',
      { xmlns: 'http://www.w3.org/2000/svg', width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', 'font-family': FONT, 'font-size': 12 },
      txt('title', {}, spec.subtitle ? `${spec.title} (${spec.subtitle})` : spec.title),
      // A white ground: the charts stay readable on dark-themed Markdown viewers.
      el('rect', { width: WIDTH, height, fill: '#fff' }),
      ...parts,
    ) + '\n'
  );
}

/** A min–max whisker across a bar: a line with end caps (ends off the axis are left out). */
/** Characters of an 11 px note that fit the chart's width (about 6 px each, with margins). */
export const NOTE_LINE_CHARS = 128;

/** The note in lines of at most NOTE_LINE_CHARS, broken between words (a longer word gets its own line). */
export function wrapNote(note: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of note.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > NOTE_LINE_CHARS) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function whisker(x0: number, x1: number, y: number, left: number): string {
  if (!Number.isFinite(x0) || !Number.isFinite(x1)) return '';
  const a = Math.max(left, x0);
  const caps = [x0, x1].filter((cx) => cx >= left).map((cx) => el('line', { x1: cx, y1: y - 4, x2: cx, y2: y + 4, stroke: '#222' }));
  return el('line', { x1: a, y1: y, x2: x1, y2: y, stroke: '#222' }) + caps.join('');
}

/** Legend swatches in rows that wrap at the chart's width. */
function legendRow(names: string[], x0: number, y0: number): { svg: string; bottom: number } {
  const parts: string[] = [];
  let x = x0;
  let y = y0;
  names.forEach((name, i) => {
    const w = 14 + textWidth(name, 12) + 18;
    if (x + w > WIDTH - 16 && x > x0) {
      x = x0;
      y += 18;
    }
    parts.push(el('rect', { x, y: y - 10, width: 10, height: 10, fill: COLOURS[i % COLOURS.length] }));
    parts.push(txt('text', { x: x + 14, y, 'font-size': 12 }, name));
    x += w;
  });
  return { svg: parts.join(''), bottom: y };
}
