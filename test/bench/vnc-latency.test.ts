// Present → VNC client latency (bench/vnc-latency.ts, bench/vnc-update-log.ts): the server's
// messages parsed whatever the chunking, updates tied to the band workload's frames by the rows
// they cover or by their pixels, and what cannot be tied exactly left out, not guessed.
import { describe, expect, it } from 'vitest';

import { bandPeriod, bandProbe, bandTop, quantile, vncLatency, vncLatencyByPixels } from '../../bench/vnc-latency.js';
import { VncUpdateLog, type LoggedUpdate } from '../../bench/vnc-update-log.js';

const u16 = (v: number) => Buffer.from([v >> 8, v & 0xff]);
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
};
const s32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const rect = (x: number, y: number, w: number, h: number, enc: number, data: Buffer = Buffer.alloc(0)) =>
  Buffer.concat([u16(x), u16(y), u16(w), u16(h), s32(enc), data]);
const update = (...rects: Buffer[]) => Buffer.concat([Buffer.from([0, 0]), u16(rects.length), ...rects]);
const zrle = (n: number) => Buffer.concat([u32(n), Buffer.alloc(n, 0x55)]);
const upd = (atUs: number, ...spans: [number, number][]): LoggedUpdate => ({ atUs, rects: spans.map(([y, h]) => ({ x: 0, y, w: 100, h, encoding: 16 })) });

describe('VncUpdateLog', () => {
  it('logs each update with its rectangles, however the stream is cut, skipping other messages', () => {
    const stream = Buffer.concat([
      update(rect(0, 0, 64, 48, -223)),
      Buffer.from([2]), // bell
      Buffer.concat([Buffer.from([3, 0, 0, 0]), u32(5), Buffer.from('hello')]), // cut text
      update(rect(0, 10, 64, 5, 16, zrle(300)), rect(0, 20, 2, 2, 0, Buffer.alloc(16, 7))),
      update(),
    ]);
    for (const size of [1, 3, 7, 64, stream.length]) {
      const log = new VncUpdateLog();
      for (let at = 0; at < stream.length; at += size) log.feed(stream.subarray(at, at + size));
      expect(log.updates.map((u) => u.rects.map((r) => [r.y, r.h, r.encoding]))).toEqual([
        [[0, 48, -223]],
        [
          [10, 5, 16],
          [20, 2, 0],
        ],
        [],
      ]);
      expect(log.updates.every((u, i) => i === 0 || u.atUs >= log.updates[i - 1]!.atUs)).toBe(true);
    }
  });

  it('applies Raw rectangles to its framebuffer and probes the picture after each update', () => {
    const seen: number[] = [];
    const log = new VncUpdateLog({ width: 4, height: 3, probe: (fb) => (seen.push(fb.readUInt32LE((2 * 4 + 1) * 4)), seen.length) });
    const px = Buffer.alloc(2 * 2 * 4);
    px.writeUInt32LE(0xabcdef, 3 * 4); // the rectangle's (1, 1): the framebuffer's (1, 2)
    const stream = Buffer.concat([update(rect(0, 1, 2, 2, 0, px)), update()]);
    for (let at = 0; at < stream.length; at += 5) log.feed(stream.subarray(at, at + 5));
    expect(seen).toEqual([0xabcdef, 0xabcdef]);
    expect(log.updates.map((u) => u.probed)).toEqual([1, 2]);
    expect(() => new VncUpdateLog({ width: 4, height: 3, probe: () => 0 }).feed(update(rect(3, 0, 2, 1, 0, Buffer.alloc(8))))).toThrow(/outside/);
  });

  it('refuses an encoding it was not built for rather than lose its place', () => {
    expect(() => new VncUpdateLog().feed(update(rect(0, 0, 8, 8, 7)))).toThrow(/encoding 7/);
    expect(() => new VncUpdateLog().feed(Buffer.from([9]))).toThrow(/message type 9/);
  });
});

describe('present → VNC client by the rows an update covers', () => {
  const g = { height: 100, rows: 10 }; // top(n) = 10n mod 91: 0, 10, …, 90, then 9, 19, …
  const present = (n: number) => 1000 + n * 100;

  it('ties updates to the frames whose bands they cover, one sample per update from its oldest frame', () => {
    expect([0, 1, 9, 10].map((n) => bandTop(g, n))).toEqual([0, 10, 90, 9]);
    const updates = [
      upd(1050, [0, 100]), // the setup's whole screen: ambiguous (frame 0 credited by time)
      upd(1250, [10, 10], [20, 10]), // frames 1-2: uncertain after an ambiguous one
      upd(1380, [30, 10]), // frame 3 presented at 1300
      upd(1700, [40, 30]), // frames 4-6, the oldest presented at 1400
      upd(1790, [70, 10]), // frame 7 at 1700
    ];
    const r = vncLatency(g, 8, present, updates);
    expect(r.samplesUs).toEqual([80, 300, 90]);
    expect(r.ambiguous).toBe(2);
    expect(r.framesShown).toBe(8);
  });

  it('does not credit a frame presented after the update arrived, nor one whose rows it lacks', () => {
    const r = vncLatency(g, 8, present, [upd(1050, [0, 10]), upd(1120, [10, 10]), upd(1150, [20, 10]), upd(1260, [20, 20])]);
    // 1st: uncertain start. 2nd: frame 1 (at 1100). 3rd covers frame 2's rows before frame 2 (1200): nothing.
    // 4th: frame 2 (already covered) and 3 is not presented yet at 1260: frame 2 only, but rows 30-40 extra: ambiguous.
    expect(r.samplesUs).toEqual([20]);
    expect(r.ambiguous).toBe(2);
    expect(r.framesShown).toBe(3);
  });

  it('leaves out an update spanning a whole sweep of the screen, and the one after it', () => {
    const r = vncLatency(g, 16, present, [
      upd(1050, [0, 10]), // frame 0: the uncertain start
      upd(1150, [10, 10]), // frame 1 (1100)
      upd(2400, [0, 100]), // frames 2-13: 12 frames, more than a sweep (9): ambiguous
      upd(2450, [49, 10]), // frame 14 (2400, top 49): uncertain after it
      upd(2560, [59, 10]), // frame 15 (2500, top 59)
    ]);
    expect(r.samplesUs).toEqual([50, 60]);
    expect(r.ambiguous).toBe(3);
    expect(r.framesShown).toBe(16);
  });

  it('quantile is the nearest rank, NaN when empty; the period is when rows repeat', () => {
    expect(quantile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(quantile([5, 1, 3, 2, 4], 0.99)).toBe(5);
    expect(quantile([], 0.5)).toBeNaN();
    expect(bandPeriod({ height: 1080, rows: 11 })).toBe(1070);
    expect(bandPeriod({ height: 720, rows: 7 })).toBe(102);
    expect(bandPeriod({ height: 100, rows: 100 })).toBe(1);
  });
});

describe('present → VNC client by the pixels of a Raw client', () => {
  const g = { width: 300, height: 100, rows: 10 };
  const BACKGROUND = 0xff102030;
  const picture = (drawn: number[]) => {
    const fb = Buffer.alloc(g.width * g.height * 4);
    for (let i = 0; i < g.width * g.height; i++) fb.writeUInt32LE(BACKGROUND >>> 0, i * 4);
    for (const n of drawn) fb.writeUInt32LE(0xff3050a0, (bandTop(g, n) * g.width + ((n * 8) % 256) + 1) * 4);
    return fb;
  };

  it('probes the newest band drawn from `from` on, contiguously', () => {
    const probe = bandProbe(g, 8, 2);
    expect(probe(picture([]))).toBe(1);
    expect(probe(picture([0, 1]))).toBe(1); // the warm-up's bands do not count
    expect(probe(picture([2, 3, 4]))).toBe(4);
    expect(probe(picture([2, 4]))).toBe(2);
  });

  it('one sample per update that shows new frames; a frame credited before its present is ambiguous', () => {
    const present = (n: number) => 1000 + n * 100;
    const probed = (atUs: number, p: number): LoggedUpdate => ({ atUs, rects: [], probed: p });
    const r = vncLatencyByPixels(present, [probed(900, 1), probed(1250, 2), probed(1260, 2), probed(1480, 4), probed(1490, 6)], 2);
    expect(r.samplesUs).toEqual([50, 180]);
    expect(r.ambiguous).toBe(1);
    expect(r.framesShown).toBe(7);
  });
});
