// The SVG picture of a trace: well-formed, a row per track with events in the window (in reading
// order), flow arrows only for flows wholly inside the window, text escaped, an empty trace still
// a picture, the same string for the same input, and an automatic window around an MMIO read.
import { describe, expect, it } from 'vitest';

import type { ChromeTrace, ChromeTraceEvent } from '../../shared/trace/chrome.js';
import { DEFAULT_WINDOW_US, timelineWindow, toTimelineSvg } from '../../shared/trace/svg.js';

/** Problems that would stop an XML parser: unbalanced or crossed tags, unquoted or repeated attributes, bare & or <. */
function wellFormednessErrors(xml: string): string[] {
  const errors: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  const NAME = /[A-Za-z_:][\w:.-]*/y;
  const ENTITY = /&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);/y;
  const checkText = (text: string, where: string): void => {
    for (let k = text.indexOf('&'); k >= 0; k = text.indexOf('&', k + 1)) {
      ENTITY.lastIndex = k;
      if (!ENTITY.test(text)) errors.push(`bare & in ${where}: ${JSON.stringify(text.slice(k, k + 12))}`);
    }
  };
  while (i < xml.length) {
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i);
      if (end < 0) return [...errors, 'unterminated comment'];
      i = end + 3;
    } else if (xml.startsWith('<?', i)) {
      const end = xml.indexOf('?>', i);
      if (end < 0) return [...errors, 'unterminated processing instruction'];
      i = end + 2;
    } else if (xml.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(xml);
      if (!m) return [...errors, `bad closing tag at ${i}`];
      let j = i + 2 + m[0].length;
      while (/\s/.test(xml[j] ?? '')) j++;
      if (xml[j] !== '>') return [...errors, `closing tag </${m[0]} not closed at ${j}`];
      const open = stack.pop();
      if (open !== m[0]) errors.push(`</${m[0]}> closes <${open}>`);
      i = j + 1;
    } else if (xml[i] === '<') {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(xml);
      if (!m) return [...errors, `bad tag at ${i}: ${JSON.stringify(xml.slice(i, i + 20))}`];
      if (stack.length === 0) roots++;
      let j = i + 1 + m[0].length;
      const seen = new Set<string>();
      for (;;) {
        const ws = j;
        while (/\s/.test(xml[j] ?? '')) j++;
        if (xml.startsWith('/>', j)) {
          j += 2;
          break;
        }
        if (xml[j] === '>') {
          stack.push(m[0]);
          j += 1;
          break;
        }
        if (j === ws) return [...errors, `no space before attribute in <${m[0]}> at ${j}`];
        NAME.lastIndex = j;
        const a = NAME.exec(xml);
        if (!a) return [...errors, `bad attribute in <${m[0]}> at ${j}: ${JSON.stringify(xml.slice(j, j + 20))}`];
        if (seen.has(a[0])) errors.push(`attribute ${a[0]} twice in <${m[0]}>`);
        seen.add(a[0]);
        j += a[0].length;
        if (xml[j] !== '=') return [...errors, `attribute ${a[0]} in <${m[0]}> has no value`];
        const quote = xml[j + 1];
        if (quote !== '"' && quote !== "'") return [...errors, `attribute ${a[0]} in <${m[0]}> is not quoted`];
        const end = xml.indexOf(quote, j + 2);
        if (end < 0) return [...errors, `attribute ${a[0]} in <${m[0]}> never ends`];
        const value = xml.slice(j + 2, end);
        if (value.includes('<')) errors.push(`< in attribute ${a[0]} of <${m[0]}>`);
        checkText(value, `attribute ${a[0]} of <${m[0]}>`);
        j = end + 1;
      }
      i = j;
    } else {
      const end = xml.indexOf('<', i);
      const text = xml.slice(i, end < 0 ? xml.length : end);
      if (stack.length === 0 && text.trim() !== '') errors.push(`text outside the root: ${JSON.stringify(text.slice(0, 20))}`);
      checkText(text, stack.length > 0 ? `<${stack[stack.length - 1]}>` : 'the prologue');
      i = end < 0 ? xml.length : end;
    }
  }
  if (stack.length > 0) errors.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) errors.push(`${roots} root elements`);
  return errors;
}

function expectWellFormed(svg: string): void {
  expect(wellFormednessErrors(svg)).toEqual([]);
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
}

/** Builds a trace the way toChromeTrace lays it out: metadata, then events. */
class TraceBuilder {
  readonly events: ChromeTraceEvent[] = [{ name: 'process_name', cat: '__metadata', ph: 'M', ts: 0, pid: 1, tid: 0, args: { name: 'pvg-vmm' } }];
  private readonly tids = new Map<string, number>();

  track(name: string): number {
    let tid = this.tids.get(name);
    if (tid === undefined) {
      tid = this.tids.size + 1;
      this.tids.set(name, tid);
      this.events.push({ name: 'thread_name', cat: '__metadata', ph: 'M', ts: 0, pid: 1, tid, args: { name } });
    }
    return tid;
  }

  span(track: string, name: string, ts: number, dur: number): this {
    this.events.push({ name, cat: 'pvg', ph: 'X', ts, dur, pid: 1, tid: this.track(track), args: { a0: 0, a1: 0, a2: 0 } });
    return this;
  }

  instant(track: string, name: string, ts: number): this {
    this.events.push({ name, cat: 'pvg', ph: 'i', s: 't', ts, pid: 1, tid: this.track(track), args: { a0: 0, a1: 0, a2: 0 } });
    return this;
  }

  flow(id: number, points: [ph: 's' | 't' | 'f', track: string, ts: number][]): this {
    for (const [ph, track, ts] of points)
      this.events.push({ name: 'request', cat: 'pvg', ph, ts, pid: 1, tid: this.track(track), id, ...(ph === 'f' ? { bp: 'e' } : {}) });
    return this;
  }

  counter(track: string, name: string, ts: number, value: number, series = 'value'): this {
    this.events.push({ name: `${name} (${track})`, cat: 'pvg', ph: 'C', ts, pid: 1, tid: this.track(track), args: { [series]: value } });
    return this;
  }

  /** An MMIO read at ts: vCPU span for the round trip, the device actor's and engine's spans, the flow through them. */
  mmioRead(vcpu: number, device: number, ts: number, id: number): this {
    const v = `vcpu${vcpu}`;
    const d = `device${device}`;
    this.span(v, 'apple_gfx_read', ts, 100)
      .span(d, 'apple_gfx_read', ts + 20, 0.1)
      .span(`${d} engine mmio`, 'apple_gfx_read', ts + 50, 2);
    return this.flow(id, [
      ['s', v, ts + 0.01],
      ['t', d, ts + 20.01],
      ['t', `${d} engine mmio`, ts + 50.01],
      ['f', v, ts + 99.99],
    ]);
  }

  build(lost = 0): ChromeTrace {
    const meta = this.events.filter((e) => e.ph === 'M');
    const rest = this.events.filter((e) => e.ph !== 'M').sort((a, b) => a.ts - b.ts);
    return { traceEvents: [...meta, ...rest], displayTimeUnit: 'ns', otherData: { producer: 'pvg-vmm', lostEvents: lost } };
  }
}

/** A run of `frames` frames, one every 1 ms: an MMIO read, a write, commands with an encode, an interrupt, the compositor. */
function steadyTrace(frames: number, devices = 1): ChromeTrace {
  const b = new TraceBuilder();
  // Tracks registered in the order the VM does it (not reading order).
  for (const name of ['irq', 'compositor']) b.track(name);
  for (let d = 0; d < devices; d++) for (const t of ['mmio', 'display', 'pool 0', 'pool 1']) b.track(`device${d} engine ${t}`);
  for (let d = 0; d < devices; d++) b.track(`device${d}`);
  for (let d = 0; d < devices; d++) b.track(`vcpu${d}`);
  b.span('device0 engine pool 0', 'engine_command', 5, 300).span('device0 engine pool 0', 'apple_gfx_create_task', 10, 50);
  b.flow(1, [
    ['s', 'device0 engine pool 0', 10.01],
    ['t', 'device0', 30],
    ['f', 'device0 engine pool 0', 59.99],
  ]);
  b.span('device0', 'apple_gfx_create_task', 29.99, 0.1);
  let id = 100;
  for (let f = 0; f < frames; f++) {
    const t = 1000 + f * 1000;
    for (let d = 0; d < devices; d++) {
      b.mmioRead(d, d, t + d * 7, id++);
      b.span(`device${d}`, 'apple_gfx_write', t + 200, 0.1).span(`device${d} engine mmio`, 'apple_gfx_write', t + 230, 3);
      for (let k = 0; k < 20; k++) b.span(`device${d} engine pool ${f % 2}`, 'engine_command', t + 240 + k * 0.2, 0.1);
      b.span(`device${d} engine pool ${f % 2}`, 'engine_encode', t + 250, 40).instant(`device${d} engine pool ${f % 2}`, 'apple_gfx_raise_irq', t + 300);
      b.instant(`device${d} engine display`, 'apple_gfx_new_frame', t + 305).instant(`device${d}`, 'apple_gfx_new_frame', t + 320);
    }
    b.instant('irq', 'irq_deliver', t + 330).instant('compositor', 'compositor_encode_done', t + 400);
    b.counter('compositor', 'frames_pending', t + 310, 1, '0').counter('compositor', 'frames_pending', t + 400, 0, '0');
  }
  b.counter('device0', 'mailbox_depth', 500, 0);
  return b.build();
}

function trackRows(svg: string): string[] {
  return [...svg.matchAll(/<text class="pvgt-track" data-tid="\d+"[^>]*>([^<]*)/g)].map((m) => m[1]!);
}

function drawnFlows(svg: string): string[] {
  return [...svg.matchAll(/<g class="pvgt-flow" data-flow="([^"]+)" data-kind="(\w+)"/g)].map((m) => `${m[1]} ${m[2]}`);
}

describe('toTimelineSvg', () => {
  it('(the well-formedness check finds what it should)', () => {
    expect(wellFormednessErrors('<svg a="1"><g><text>x &amp; y</text></g></svg>')).toEqual([]);
    for (const bad of [
      '<svg a=1></svg>',
      '<svg><g></svg>',
      '<svg><g></text></g></svg>',
      '<svg>a & b</svg>',
      '<svg a="<"></svg>',
      '<svg a="1" a="2"/>',
      '<svg/><svg/>',
      '<svg>',
    ]) {
      expect(wellFormednessErrors(bad), bad).not.toEqual([]);
    }
  });

  it('draws a well-formed picture with a row per track in reading order, spans, ticks, flows, counters, axis and legend', () => {
    const svg = toTimelineSvg(steadyTrace(20, 2), { fromUs: 10_000, toUs: 12_000 });
    expectWellFormed(svg);
    // Rows: vCPUs, each device followed by its engine threads, irq, compositor (only tracks with events in the window).
    expect(trackRows(svg)).toEqual([
      'vcpu0',
      'vcpu1',
      'device0',
      'device0 engine mmio',
      'device0 engine display',
      'device0 engine pool 0',
      'device0 engine pool 1',
      'device1',
      'device1 engine mmio',
      'device1 engine display',
      'device1 engine pool 0',
      'device1 engine pool 1',
      'irq',
      'compositor',
    ]);
    expect(drawnFlows(svg)).toEqual(['118 mmio', '119 mmio', '120 mmio', '121 mmio']);
    expect(svg).toMatch(/<rect [^>]*fill="#2f6fbf"/); // an MMIO read box
    expect(svg).toMatch(/<text [^>]*>read<\/text>/); // labelled where it fits
    expect(toTimelineSvg(steadyTrace(20, 2), { fromUs: 10_000, toUs: 12_000, width: 2400 })).toMatch(/<text [^>]*>read 100 µs<\/text>/); // with its length where that fits
    expect(svg).toContain('>frames_pending (compositor) 0</text>');
    expect(svg).toContain('>mailbox_depth (device0)</text>'); // carried into the window from before it
    expect(svg).toContain('>10.00 ms</text>'); // axis
    expect(svg).toContain('MMIO read flow: vCPU → device actor → engine mmio → vCPU'); // legend
    expect(svg).not.toContain('lock wait (BQL'); // the legend names only what is drawn
  });

  it('puts compositor shards together after irq, in shard order, before the rest', () => {
    const b = new TraceBuilder();
    for (const name of ['main', 'compositor10', 'compositor2', 'irq']) b.span(name, 'compositor_encode_done', 1000, 5);
    b.mmioRead(0, 0, 1000, 1);
    expect(trackRows(toTimelineSvg(b.build(), { fromUs: 900, toUs: 1200 }))).toEqual([
      'vcpu0',
      'device0',
      'device0 engine mmio',
      'irq',
      'compositor2',
      'compositor10',
      'main',
    ]);
  });

  it('leaves out tracks with nothing in the window, and says so', () => {
    const b = new TraceBuilder();
    b.mmioRead(0, 0, 1000, 7);
    b.span('compositor', 'compositor_encode_done', 9000, 5);
    const svg = toTimelineSvg(b.build(), { fromUs: 900, toUs: 1200 });
    expectWellFormed(svg);
    expect(trackRows(svg)).toEqual(['vcpu0', 'device0', 'device0 engine mmio']);
    expect(svg).toContain('no events in this window on: compositor');
  });

  it('draws a flow only when all its events are inside the window', () => {
    const b = new TraceBuilder();
    b.mmioRead(0, 0, 1000, 1); // wholly inside
    b.mmioRead(0, 0, 1450, 2); // its answer lands after the window ends
    b.span('vcpu0', 'apple_gfx_read', 850, 100).flow(3, [
      ['s', 'vcpu0', 850.01],
      ['t', 'device0', 920],
    ]); // started before the window, never answered
    b.span('device0 engine pool 0', 'engine_command', 1100, 50).flow(4, [
      ['s', 'device0 engine pool 0', 1100.01],
      ['t', 'device0', 1110],
    ]); // no 'f'
    b.span('device0 engine pool 0', 'engine_command', 1200, 50).flow(5, [
      ['s', 'device0 engine pool 0', 1200.01],
      ['t', 'device0', 1210],
      ['f', 'device0 engine pool 0', 1240],
    ]);
    const svg = toTimelineSvg(b.build(), { fromUs: 900, toUs: 1500 });
    expectWellFormed(svg);
    expect(drawnFlows(svg)).toEqual(['1 mmio', '5 callback']);
    expect(svg).toContain('3 flow(s) not drawn');
    // A hop per step: s → t → t → f is three arrows.
    const one = /<g class="pvgt-flow" data-flow="1"[^>]*>([\s\S]*?)<\/g>/.exec(svg)![1]!;
    expect(one.match(/marker-end=/g)).toHaveLength(3);
  });

  it('escapes every text that comes from the trace or the caller', () => {
    const b = new TraceBuilder();
    b.span('<a&b>', 'x"<y>&\'z', 10, 500).instant('<a&b>', '</text><script>', 20);
    b.counter('<a&b>', 'depth<&>', 15, 3);
    const svg = toTimelineSvg(b.build(), { title: 'A & B <script>alert(1)</script>', fromUs: 0, toUs: 600 });
    expectWellFormed(svg);
    expect(svg).not.toContain('<a&b>');
    expect(svg).not.toContain('<script>');
    expect(trackRows(svg)).toEqual(['&lt;a&amp;b&gt;']);
    expect(svg).toContain('A &amp; B &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).toContain('x&quot;&lt;y&gt;&amp;&#39;z');
    // Characters XML cannot carry at all are replaced, not passed through.
    const odd = new TraceBuilder().span('bell\u0007 \ud800', 'e', 0, 10).build();
    const oddSvg = toTimelineSvg(odd, { fromUs: 0, toUs: 20 });
    expectWellFormed(oddSvg);
    expect(oddSvg).not.toMatch(/[\u0007\ud800]/);
  });

  it('draws an empty trace (or an empty window) as a picture that says so', () => {
    for (const trace of [{ traceEvents: [], displayTimeUnit: 'ns', otherData: {} } as ChromeTrace, new TraceBuilder().build()]) {
      const svg = toTimelineSvg(trace);
      expectWellFormed(svg);
      expect(svg).toContain('no events in this trace');
      expect(timelineWindow(trace)).toBeNull();
    }
    const svg = toTimelineSvg(steadyTrace(3), { fromUs: 50_000, toUs: 51_000 });
    expectWellFormed(svg);
    expect(svg).toContain('no events between 50.000 ms and 51.000 ms');
  });

  it('gives the same string for the same input', () => {
    const trace = steadyTrace(30, 2);
    const copy = JSON.parse(JSON.stringify(trace)) as ChromeTrace;
    expect(toTimelineSvg(copy)).toBe(toTimelineSvg(trace));
    expect(toTimelineSvg(trace, { fromUs: 3000, toUs: 7000, width: 900, title: 't' })).toBe(
      toTimelineSvg(copy, { fromUs: 3000, toUs: 7000, width: 900, title: 't' }),
    );
  });

  it('picks about 2 ms in the middle of the run, around a complete MMIO-read flow', () => {
    const trace = steadyTrace(60);
    const w = timelineWindow(trace)!;
    expect(w.toUs - w.fromUs).toBe(DEFAULT_WINDOW_US);
    const end = 61_000;
    expect(w.fromUs).toBeGreaterThan(end / 4);
    expect(w.toUs).toBeLessThan((3 * end) / 4);
    const svg = toTimelineSvg(trace);
    expectWellFormed(svg);
    expect(drawnFlows(svg).some((f) => f.endsWith(' mmio'))).toBe(true);
    expect(svg).toContain('chosen automatically');
    // The chosen window really holds a whole MMIO flow: s on a vCPU, f back on it, both inside.
    const flows = new Map<number, ChromeTraceEvent[]>();
    for (const e of trace.traceEvents) if (e.ph === 's' || e.ph === 't' || e.ph === 'f') flows.set(e.id!, [...(flows.get(e.id!) ?? []), e]);
    const vcpu = trace.traceEvents.find((e) => e.ph === 'M' && e.args?.name === 'vcpu0')!.tid;
    expect(
      [...flows.values()].some((f) => f[0]!.ph === 's' && f[0]!.tid === vcpu && f.at(-1)!.ph === 'f' && f.every((e) => e.ts >= w.fromUs && e.ts <= w.toUs)),
    ).toBe(true);
  });

  it('prefers a window where lock waits show', () => {
    const b = new TraceBuilder();
    for (let f = 0; f < 40; f++) b.mmioRead(0, 0, 1000 + f * 1000, f + 1);
    b.span('irq', 'lock_wait', 24_500, 30);
    const w = timelineWindow(b.build())!;
    expect(w.fromUs <= 24_500 && 24_530 <= w.toUs).toBe(true);
  });

  it('when rings wrapped, picks a window where every thread still has its events', () => {
    const b = new TraceBuilder();
    for (let f = 0; f < 100; f++) {
      b.mmioRead(0, 0, 1000 + f * 1000, f + 1);
      // The busy pool thread's ring kept only its last 20 ms.
      if (f >= 80) b.span('device0 engine pool 0', 'engine_command', 1300 + f * 1000, 20);
    }
    const w = timelineWindow(b.build(5000))!;
    expect(w.fromUs).toBeGreaterThanOrEqual(81_300);
    expect(toTimelineSvg(b.build(5000))).toContain('>device0 engine pool 0</text>');
  });

  it('caps the number of shapes and says what it left out', () => {
    const b = new TraceBuilder();
    for (let t = 0; t < 8; t++) for (let k = 0; k < 2000; k++) b.span(`device0 engine pool ${t}`, k % 2 ? 'engine_command' : 'engine_encode', k * 1, 0.5);
    const svg = toTimelineSvg(b.build(), { fromUs: 0, toUs: 2000, maxElements: 300 });
    expectWellFormed(svg);
    expect((svg.match(/<rect /g) ?? []).length).toBeLessThan(300);
    expect(svg).toMatch(/span boxes not drawn \(element limit 300\)/);
  });

  it('rejects a window that ends before it starts and impossible sizes', () => {
    const trace = steadyTrace(3);
    expect(() => toTimelineSvg(trace, { fromUs: 2000, toUs: 1000 })).toThrow(RangeError);
    expect(() => toTimelineSvg(trace, { fromUs: Number.NaN })).toThrow(RangeError);
    expect(() => toTimelineSvg(trace, { width: 10 })).toThrow(RangeError);
    // One end given: the window is the default length from there.
    expect(timelineWindow(trace, { fromUs: 1000 })).toEqual({ fromUs: 1000, toUs: 1000 + DEFAULT_WINDOW_US });
  });

  it('notes events lost when the rings wrapped', () => {
    const b = new TraceBuilder();
    b.mmioRead(0, 0, 1000, 1);
    expect(toTimelineSvg(b.build(42))).toContain('42 events lost (rings wrapped)');
  });
});
