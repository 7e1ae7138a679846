// Draws one window of a trace model as SVG: a row per track, spans as boxes, instants as ticks,
// flows as arrows, counters as step lines, a time axis and a legend.
import type { CounterSeries, Flow, Instant, Span, TraceModel, Track } from './model.js';
import { orderTracks } from './model.js';
import { COUNTER_COLOUR, FAMILIES, FAMILY_ORDER, FLOW_COLOURS, FONT, shortName, type Family, type FlowKind } from './style.js';
import type { TimeWindow } from './window.js';
import { el, escapeXml, num, textWidth } from '../../svg/xml.js';
import { duration, timeMs } from './units.js';

export interface RenderOptions {
  width: number;
  title: string;
  maxElements: number;
  /** The window was picked automatically (said in the subtitle). */
  auto: boolean;
}

const LABEL_W = 214;
const RIGHT = 36;
const TOP = 86;
const LEVEL_H = 16;
const MAX_LEVELS = 3;
const ROW_PAD = 4;
const COUNTER_H = 28;
const MAX_ROWS = 64;
const MAX_COUNTERS = 24;
/** Spans shorter than this many pixels are drawn this wide, so a 0.1 µs handler still shows. */
const MIN_SPAN_PX = 2;

interface Row {
  track: Track;
  top: number;
  height: number;
  levels: number;
}

interface Box {
  tid: number;
  level: number;
  family: Family;
  x1: number;
  x2: number;
  first: Span;
  last: Span;
  count: number;
}

interface Tick {
  tid: number;
  family: Family;
  x: number;
  names: string[];
  first: Instant;
  count: number;
}

function argsText(args: Record<string, number | string> | undefined): string {
  if (!args) return '';
  const parts = Object.entries(args).map(
    ([k, v]) => `${k}=${typeof v === 'number' && Number.isInteger(v) && Math.abs(v) > 9 ? `${v} (0x${v.toString(16)})` : v}`,
  );
  return parts.length > 0 ? `\n${parts.join(', ')}` : '';
}

function niceStep(rangeUs: number, targetTicks: number): number {
  const raw = rangeUs / Math.max(1, targetTicks);
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

export function renderTimeline(model: TraceModel, window: TimeWindow | null, o: RenderOptions): string {
  const width = o.width;
  const x0 = LABEL_W;
  const x1 = width - RIGHT;
  const plotW = x1 - x0;
  const parts: string[] = [];
  const notes: string[] = [];

  if (!window || !model.extent) {
    return frame(width, 150, o.title, [el('text', { x: 16, y: 56, 'font-size': 12, fill: '#555555' }, 'no events in this trace')], 'no events');
  }
  const { fromUs: from, toUs: to } = window;
  const span = to - from;
  const xOf = (ts: number) => x0 + ((ts - from) / span) * plotW;
  const usPerPx = span / plotW;

  // What is in the window.
  const spans = model.spans.filter((s) => s.ts <= to && s.ts + s.dur >= from);
  const instants = model.instants.filter((s) => s.ts >= from && s.ts <= to);
  const inside = (ts: number) => ts >= from && ts <= to;
  const touching = model.flows.filter((f) => f.points.some((p) => inside(p.ts)) || (f.points[0]!.ts < from && f.points[f.points.length - 1]!.ts > to));
  const flows = touching.filter((f) => f.complete && f.points.every((p) => inside(p.ts)));
  if (touching.length > flows.length) notes.push(`${touching.length - flows.length} flow(s) not drawn: they cross the window's edges or are incomplete`);

  const active = new Set<number>([...spans.map((s) => s.tid), ...instants.map((s) => s.tid), ...flows.flatMap((f) => f.points.map((p) => p.tid))]);
  const ordered = orderTracks([...model.tracks.values()]);
  let shown = ordered.filter((t) => active.has(t.tid));
  const idle = ordered.filter((t) => !active.has(t.tid));
  if (shown.length > MAX_ROWS) {
    notes.push(`${shown.length - MAX_ROWS} more track(s) with events not drawn`);
    shown = shown.slice(0, MAX_ROWS);
  }
  const shownTids = new Set(shown.map((t) => t.tid));
  if (idle.length > 0) notes.push(`no events in this window on: ${idle.map((t) => t.name).join(', ')}`);

  const counters = model.counters
    .map((c) => ({ c, before: lastAtOrBefore(c, from), within: c.points.filter((p) => p.ts > from && p.ts <= to) }))
    .filter((x) => x.before !== undefined || x.within.length > 0);
  if (counters.length > MAX_COUNTERS) notes.push(`${counters.length - MAX_COUNTERS} more counter(s) not drawn`);
  const counterRows = counters.slice(0, MAX_COUNTERS);

  if (shown.length === 0 && counterRows.every((x) => x.within.length === 0)) {
    return frame(
      width,
      150,
      o.title,
      [
        subtitle(o, model, window),
        el('text', { x: 16, y: 76, 'font-size': 12, fill: '#555555' }, escapeXml(`no events between ${timeMs(from, 1)} and ${timeMs(to, 1)}`)),
      ],
      'no events in the window',
    );
  }

  // Rows.
  const levelsOf = new Map<number, number>();
  for (const s of spans) levelsOf.set(s.tid, Math.max(levelsOf.get(s.tid) ?? 1, Math.min(s.depth, MAX_LEVELS - 1) + 1));
  const rows: Row[] = [];
  let y = TOP;
  for (const t of shown) {
    const levels = levelsOf.get(t.tid) ?? 1;
    const height = ROW_PAD * 2 + levels * LEVEL_H;
    rows.push({ track: t, top: y, height, levels });
    y += height;
  }
  const rowOf = new Map(rows.map((r) => [r.track.tid, r]));
  const tracksBottom = y;
  const countersTop = tracksBottom + (counterRows.length > 0 ? 18 : 0);
  const countersBottom = countersTop + counterRows.length * COUNTER_H;

  // Group bands and labels.
  let band = -1;
  let lastGroup = '';
  for (const r of rows) {
    if (r.track.group !== lastGroup) {
      band++;
      lastGroup = r.track.group;
    }
    parts.push(el('rect', { x: 0, y: r.top, width, height: r.height, fill: band % 2 === 0 ? '#ffffff' : '#f3f6fa' }));
  }
  for (const r of rows) {
    parts.push(el('line', { x1: 0, y1: r.top + r.height, x2: width, y2: r.top + r.height, stroke: '#e2e6ec', 'stroke-width': 1 }));
    const indent = r.track.nested ? 28 : 12;
    const max = Math.floor((LABEL_W - indent - 10) / (12 * 0.6));
    const name = r.track.name;
    const label = [...name].length > max ? `${[...name].slice(0, max - 1).join('')}…` : name;
    const text = el(
      'text',
      {
        class: 'pvgt-track',
        'data-tid': r.track.tid,
        x: indent,
        y: r.top + ROW_PAD + LEVEL_H / 2 + 4,
        'font-size': 12,
        fill: r.track.nested ? '#3d4654' : '#111111',
        'font-weight': r.track.nested ? undefined : 'bold',
      },
      escapeXml(label) + (label !== name ? el('title', {}, escapeXml(name)) : ''),
    );
    if (r.track.nested)
      parts.push(el('path', { d: `M17 ${num(r.top)}V${num(r.top + ROW_PAD + LEVEL_H / 2)}H24`, fill: 'none', stroke: '#b8c0cc', 'stroke-width': 1 }));
    parts.push(text);
  }
  parts.push(el('line', { x1: x0, y1: TOP - 6, x2: x0, y2: Math.max(tracksBottom, countersBottom), stroke: '#c9ced6', 'stroke-width': 1 }));

  // Time axis and grid.
  const step = niceStep(span, Math.max(3, Math.floor(plotW / 100)));
  const grid: string[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to + step * 1e-9; t += step) {
    const x = xOf(t);
    grid.push(`M${num(x)} ${TOP - 6}V${num(Math.max(tracksBottom, countersBottom))}`);
    parts.push(el('text', { x, y: TOP - 12, 'font-size': 10.5, fill: '#444444', 'text-anchor': 'middle' }, escapeXml(timeMs(t, step))));
  }
  parts.push(el('path', { d: grid.join(''), stroke: '#d5dae1', 'stroke-width': 1, 'stroke-dasharray': '2 3', fill: 'none' }));
  parts.push(el('line', { x1: x0, y1: TOP - 6, x2: x1, y2: TOP - 6, stroke: '#888888', 'stroke-width': 1 }));

  let budget = o.maxElements;

  // Spans, merged where they would overlap on screen (a burst of 30 tiny commands is one box).
  const boxes = mergeSpans(
    spans.filter((s) => shownTids.has(s.tid)),
    from,
    to,
    xOf,
  );
  let drawnBoxes = boxes;
  const boxBudget = Math.floor(budget * 0.7);
  if (boxes.length > boxBudget) {
    drawnBoxes = [...boxes]
      .sort((a, b) => b.x2 - b.x1 - (a.x2 - a.x1) || a.x1 - b.x1)
      .slice(0, boxBudget)
      .sort((a, b) => a.level - b.level || a.x1 - b.x1);
    notes.push(`${boxes.length - boxBudget} of the shortest span boxes not drawn (element limit ${o.maxElements})`);
  }
  budget -= drawnBoxes.length;
  const spanEls: string[] = [];
  for (const b of drawnBoxes) {
    const r = rowOf.get(b.tid)!;
    const level = Math.min(b.level, r.levels - 1);
    const top = r.top + ROW_PAD + level * LEVEL_H;
    const h = LEVEL_H - 2;
    const w = b.x2 - b.x1;
    const style = FAMILIES[b.family];
    const tip =
      b.count === 1
        ? `${b.first.name} on ${r.track.name}\nat ${timeMs(b.first.ts, 0.1)} for ${duration(b.first.dur)}${argsText(b.first.args)}`
        : `${b.count} spans (${b.family === 'other' ? b.first.name : style.legend}) on ${r.track.name}\nfrom ${timeMs(b.first.ts, 0.1)} to ${timeMs(b.last.ts + b.last.dur, 0.1)}`;
    spanEls.push(el('rect', { x: b.x1, y: top, width: w, height: h, rx: 1.5, fill: style.fill }, el('title', {}, escapeXml(tip))));
    // The label that fits: with the length, without, or none.
    const base = shortName(b.first.name) + (b.count > 1 ? ` ×${b.count}` : '');
    const labels = b.count === 1 ? [`${base} ${duration(b.first.dur)}`, base] : [base, shortName(b.first.name)];
    const label = labels.find((t) => textWidth(t, 10) + 6 <= w);
    if (label !== undefined) spanEls.push(el('text', { x: b.x1 + 3, y: top + h / 2 + 3.5, 'font-size': 10, fill: style.ink }, escapeXml(label)));
  }
  parts.push(el('g', { 'stroke-width': 0 }, spanEls.join('')));

  // Instants: a small tick at the top of the row.
  const ticks = mergeInstants(
    instants.filter((s) => shownTids.has(s.tid)),
    xOf,
  );
  let drawnTicks = ticks;
  const tickBudget = Math.floor(budget * 0.6);
  if (ticks.length > tickBudget) {
    drawnTicks = ticks.slice(0, tickBudget);
    notes.push(`${ticks.length - tickBudget} instant marks not drawn (element limit ${o.maxElements})`);
  }
  budget -= drawnTicks.length;
  const tickEls = drawnTicks.map((t) => {
    const r = rowOf.get(t.tid)!;
    const top = r.top + 1;
    const colour = FAMILIES[t.family].fill;
    const tip =
      t.count === 1
        ? `${t.first.name} on ${r.track.name} (instant)\nat ${timeMs(t.first.ts, 0.1)}${argsText(t.first.args)}`
        : `${t.count} instants on ${r.track.name}: ${t.names.join(', ')}\nfrom ${timeMs(t.first.ts, 0.1)}`;
    return el(
      'path',
      { d: `M${num(t.x - 3.5)} ${num(top)}h7l-3.5 5zM${num(t.x)} ${num(top + 5)}v${num(LEVEL_H - 3)}`, fill: colour, stroke: colour, 'stroke-width': 1.2 },
      el('title', {}, escapeXml(tip)),
    );
  });
  parts.push(el('g', {}, tickEls.join('')));

  // Flows: from the 's' point through each 't' to the 'f', an arrow per hop.
  // A flow point sits on the innermost span around it (a callback nested in a command: one level down).
  const spansOn = new Map<number, Span[]>();
  for (const sp of spans) {
    const list = spansOn.get(sp.tid);
    if (list) list.push(sp);
    else spansOn.set(sp.tid, [sp]);
  }
  const pointY = (tid: number, ts: number) => {
    const r = rowOf.get(tid)!;
    let depth = 0;
    for (const sp of spansOn.get(tid) ?? []) if (sp.ts <= ts && ts <= sp.ts + sp.dur) depth = Math.max(depth, sp.depth);
    return r.top + ROW_PAD + Math.min(depth, r.levels - 1) * LEVEL_H + (LEVEL_H - 2) / 2;
  };
  const drawable = flows.filter((f) => f.points.every((p) => shownTids.has(p.tid)));
  const flowEls: string[] = [];
  let flowsDrawn = 0;
  for (const f of drawable) {
    const cost = f.points.length;
    if (cost > budget) {
      notes.push(`${drawable.length - flowsDrawn} flow(s) not drawn (element limit ${o.maxElements})`);
      break;
    }
    budget -= cost;
    flowsDrawn++;
    flowEls.push(drawFlow(f, xOf, pointY, model));
  }
  parts.push(el('g', { fill: 'none', 'stroke-width': 1.4, 'stroke-linecap': 'round' }, flowEls.join('')));

  // Counters.
  if (counterRows.length > 0) {
    parts.push(el('text', { x: 12, y: countersTop - 5, 'font-size': 10, fill: '#666666', 'font-style': 'italic' }, 'counters'));
    parts.push(el('line', { x1: 0, y1: countersTop, x2: width, y2: countersTop, stroke: '#c9ced6', 'stroke-width': 1 }));
  }
  counterRows.forEach(({ c, before, within }, k) => {
    const top = countersTop + k * COUNTER_H;
    const bottom = top + COUNTER_H - 4;
    const values = [...(before !== undefined ? [before.value] : []), ...within.map((p) => p.value)];
    const max = Math.max(1, ...values);
    const yOf = (v: number) => bottom - (Math.max(0, v) / max) * (COUNTER_H - 10);
    let d = '';
    let startX: number;
    if (before !== undefined) {
      startX = x0;
      d = `M${num(x0)} ${num(yOf(before.value))}`;
    } else {
      startX = xOf(within[0]!.ts);
      d = `M${num(startX)} ${num(yOf(within[0]!.value))}`;
    }
    for (const p of within) d += `H${num(xOf(p.ts))}V${num(yOf(p.value))}`;
    d += `H${num(x1)}`;
    parts.push(el('line', { x1: 0, y1: top + COUNTER_H, x2: width, y2: top + COUNTER_H, stroke: '#eef0f3', 'stroke-width': 1 }));
    parts.push(
      el('text', { class: 'pvgt-counter', x: 12, y: top + 11, 'font-size': 10, fill: '#333333' }, escapeXml(clip(c.label, Math.floor((LABEL_W - 22) / 6)))),
    );
    parts.push(el('path', { d: `${d}V${num(bottom)}H${num(startX)}Z`, fill: COUNTER_COLOUR.fill, stroke: 'none' }));
    parts.push(
      el(
        'path',
        { d, fill: 'none', stroke: COUNTER_COLOUR.stroke, 'stroke-width': 1.4 },
        el('title', {}, escapeXml(`${c.label}: ${values.length} value(s) in the window, from ${Math.min(...values)} to ${Math.max(...values)}`)),
      ),
    );
    parts.push(el('text', { x: 12, y: top + 22, 'font-size': 9, fill: '#7a4a1a' }, escapeXml(`max ${Math.max(...values)} in this window`)));
  });

  // Legend.
  let ly = Math.max(tracksBottom, countersBottom) + 24;
  const legend: { glyph: string; text: string }[] = [];
  const families = new Set<Family>([...drawnBoxes.map((b) => b.family), ...drawnTicks.map((t) => t.family)]);
  for (const f of FAMILY_ORDER) {
    if (!families.has(f)) continue;
    legend.push({ glyph: el('rect', { x: 0, y: -9, width: 14, height: 10, rx: 1.5, fill: FAMILIES[f].fill }), text: FAMILIES[f].legend });
  }
  if (drawnTicks.length > 0)
    legend.push({ glyph: el('path', { d: 'M3.5 -11h7l-3.5 5zM7 -6v7', fill: '#555555', stroke: '#555555', 'stroke-width': 1.2 }), text: 'instant (tick)' });
  const kinds = new Set<FlowKind>(drawable.slice(0, flowsDrawn).map((f) => f.kind));
  for (const k of ['mmio', 'callback', 'other'] as const) {
    if (!kinds.has(k)) continue;
    legend.push({
      glyph: el('path', {
        d: 'M0 -4C8 -4 10 -4 20 -4',
        fill: 'none',
        stroke: FLOW_COLOURS[k].stroke,
        'stroke-width': 1.4,
        'marker-end': `url(#pvgt-arrow-${k})`,
      }),
      text: FLOW_COLOURS[k].legend,
    });
  }
  if (counterRows.length > 0)
    legend.push({
      glyph: el('path', { d: 'M0 0H5V-8H11V-3H16', fill: 'none', stroke: COUNTER_COLOUR.stroke, 'stroke-width': 1.4 }),
      text: 'counter (step line, scaled to its max in the window)',
    });
  let lx = 12;
  const legendEls: string[] = [];
  for (const item of legend) {
    const w = 26 + textWidth(item.text, 12) + 18;
    if (lx + w > width - 8 && lx > 12) {
      lx = 12;
      ly += 20;
    }
    legendEls.push(
      el(
        'g',
        { transform: `translate(${num(lx)} ${num(ly)})` },
        item.glyph + el('text', { x: 26, y: 0, 'font-size': 12, fill: '#222222' }, escapeXml(item.text)),
      ),
    );
    lx += w;
  }
  parts.push(el('g', {}, legendEls.join('')));

  notes.unshift(
    `spans shorter than ${MIN_SPAN_PX} px (${duration(usPerPx * MIN_SPAN_PX)}) are drawn ${MIN_SPAN_PX} px wide; boxes that would overlap on screen are merged (×N)`,
  );
  ly += 22;
  for (const n of notes) {
    parts.push(el('text', { x: 12, y: ly, 'font-size': 10, fill: '#666666' }, escapeXml(clip(n, Math.floor((width - 24) / 6)))));
    ly += 14;
  }

  return frame(width, ly + 4, o.title, [subtitle(o, model, window), ...parts], `${shown.length} tracks, ${flowsDrawn} flows`);
}

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, Math.max(1, max - 1)).join('')}…` : text;
}

function lastAtOrBefore(c: CounterSeries, ts: number): { ts: number; value: number } | undefined {
  let found: { ts: number; value: number } | undefined;
  for (const p of c.points) {
    if (p.ts > ts) break;
    found = p;
  }
  return found;
}

function subtitle(o: RenderOptions, model: TraceModel, w: TimeWindow): string {
  const ext = model.extent!;
  const step = niceStep(w.toUs - w.fromUs, 8);
  let text = `${timeMs(w.fromUs, step / 10)} – ${timeMs(w.toUs, step / 10)} (${duration(w.toUs - w.fromUs)}${o.auto ? ', chosen automatically' : ''}) of a ${duration(ext.end - ext.start)} trace; times since its first event`;
  if (model.lost > 0) text += ` · ${model.lost} events lost (rings wrapped)`;
  return el('text', { x: 16, y: 46, 'font-size': 12, fill: '#555555' }, escapeXml(text));
}

function frame(width: number, height: number, title: string, body: string[], summary: string): string {
  const defs = (['mmio', 'callback', 'other'] as const)
    .map((k) =>
      el(
        'marker',
        { id: `pvgt-arrow-${k}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, markerUnits: 'userSpaceOnUse', orient: 'auto' },
        el('path', { d: 'M0 0L10 5L0 10z', fill: FLOW_COLOURS[k].stroke }),
      ),
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="${escapeXml(FONT)}">`,
    el('title', {}, escapeXml(`${title}: ${summary}`)),
    el('defs', {}, defs),
    el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }),
    el('text', { x: 16, y: 26, 'font-size': 16, 'font-weight': 'bold', fill: '#111111' }, escapeXml(title)),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function mergeSpans(spans: Span[], from: number, to: number, xOf: (ts: number) => number): Box[] {
  const lanes = new Map<string, Box[]>();
  const sorted = [...spans].sort((a, b) => a.depth - b.depth || a.ts - b.ts || b.dur - a.dur);
  for (const s of sorted) {
    const level = Math.min(s.depth, MAX_LEVELS - 1);
    const key = `${s.tid}:${level}`;
    let lane = lanes.get(key);
    if (!lane) lanes.set(key, (lane = []));
    let a = xOf(Math.max(s.ts, from));
    let b = xOf(Math.min(s.ts + s.dur, to));
    if (b - a < MIN_SPAN_PX) {
      const c = (a + b) / 2;
      a = c - MIN_SPAN_PX / 2;
      b = c + MIN_SPAN_PX / 2;
    }
    const prev = lane[lane.length - 1];
    if (prev && prev.family === s.family && a <= prev.x2 + 1) {
      prev.x2 = Math.max(prev.x2, b);
      prev.count++;
      if (s.ts + s.dur >= prev.last.ts + prev.last.dur) prev.last = s;
      continue;
    }
    lane.push({ tid: s.tid, level, family: s.family, x1: a, x2: b, first: s, last: s, count: 1 });
  }
  return [...lanes.values()].flat();
}

function mergeInstants(instants: Instant[], xOf: (ts: number) => number): Tick[] {
  const lanes = new Map<string, Tick>();
  const out: Tick[] = [];
  for (const s of instants) {
    const key = `${s.tid}:${s.family}`;
    const x = xOf(s.ts);
    const prev = lanes.get(key);
    if (prev && x - prev.x < 3) {
      prev.count++;
      if (!prev.names.includes(s.name)) prev.names.push(s.name);
      continue;
    }
    const tick: Tick = { tid: s.tid, family: s.family, x, names: [s.name], first: s, count: 1 };
    lanes.set(key, tick);
    out.push(tick);
  }
  return out;
}

function drawFlow(f: Flow, xOf: (ts: number) => number, yOf: (tid: number, ts: number) => number, model: TraceModel): string {
  const colour = FLOW_COLOURS[f.kind].stroke;
  const pts = f.points.map((p) => ({ x: xOf(p.ts), y: yOf(p.tid, p.ts), p }));
  const names = f.points.map((p) => model.tracks.get(p.tid)?.name ?? `thread ${p.tid}`);
  const total = f.points[f.points.length - 1]!.ts - f.points[0]!.ts;
  const tip = `flow ${f.id} (${f.kind === 'mmio' ? 'MMIO read' : f.kind === 'callback' ? 'engine callback' : 'request'}), ${duration(total)} from start to end:\n${names.join(' → ')}`;
  let out = el('circle', { cx: pts[0]!.x, cy: pts[0]!.y, r: 2.6, fill: colour, stroke: 'none' }, el('title', {}, escapeXml(tip)));
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    const d =
      a.y === b.y
        ? `M${num(a.x)} ${num(a.y)}Q${num((a.x + b.x) / 2)} ${num(a.y - 14)} ${num(b.x)} ${num(b.y)}`
        : `M${num(a.x)} ${num(a.y)}L${num(b.x)} ${num(b.y)}`;
    out += el('path', { d, stroke: colour, 'marker-end': `url(#pvgt-arrow-${f.kind})`, opacity: 0.9 }, el('title', {}, escapeXml(tip)));
  }
  return el('g', { class: 'pvgt-flow', 'data-flow': f.id, 'data-kind': f.kind }, out);
}
