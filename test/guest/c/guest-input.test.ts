// The machine-code guest's input path, built for the host (guest/c/sim/input_dump.c): its event
// queue against a stand-in device (buffers offered, used entries taken in order and given back,
// a bad id or length skipped), its keymap, glyphs and cursor against the TypeScript guest's, and
// its paint (paint.c fed by input_report.c) against paint.ts: for the same events, frame by frame,
// the same FILLs, CURSOR_MOVEs and PRESENTs. KVM runs the real thing: test/vmm/kvm-paint.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InputAbs, InputCode, InputEv, VIRTIO_INPUT_ABS_MAX } from '../../../abi/generated/virtio.js';
import { GLYPH_HEIGHT, glyphRuns } from '../../../guest/ts/glyphs.js';
import { keyChar } from '../../../guest/ts/keymap.js';
import type { RawInputEvent } from '../../../guest/ts/virtio-input.js';
import { paint } from '../../../guest/ts/workloads/paint.js';
import { packageRoot } from '../../../shared/package-root.js';
import { foreignProcessEnv } from '../../support/foreign-env.js';
import { standInGuestEnv } from '../../support/stand-in-guest-env.js';

const guest = path.join(packageRoot, 'guest', 'c');
const work = mkdtempSync(path.join(tmpdir(), 'pvg-guest-input-'));
const exe = path.join(work, 'input_dump');
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(() => {
  const sources = ['sim/input_dump.c', 'input_queue.c', 'input_report.c', 'input_tables.c', 'paint.c'].map((f) => path.join(guest, f));
  execFileSync('cc', ['-O2', '-std=gnu11', '-Wall', '-Werror', `-I${guest}`, '-o', exe, ...sources], { env: foreignProcessEnv() });
});

const dump = (input: string[]): string[] =>
  execFileSync(exe, { input: input.join('\n') + '\n', env: foreignProcessEnv(), maxBuffer: 1 << 28 })
    .toString()
    .trim()
    .split('\n');

type Dev = 'k' | 't';
interface Ev extends RawInputEvent {
  dev: Dev;
}
/** A frame's events, or a misbehaving device's used entry. */
type Step = { frame: (Ev | { raw: Dev; id: number; len: number })[] };

const key = (code: number, value: number): Ev => ({ dev: 'k', type: InputEv.Key, code, value });
const abs = (code: number, value: number): Ev => ({ dev: 't', type: InputEv.Abs, code, value });
const btn = (code: number, value: number): Ev => ({ dev: 't', type: InputEv.Key, code, value });
const syn = (): Ev => ({ dev: 't', type: InputEv.Syn, code: InputCode.SynReport, value: 0 });
const pointer = (x: number, y: number, ...buttons: Ev[]): Ev[] => [abs(InputAbs.X, x), abs(InputAbs.Y, y), ...buttons, syn()];

/** The C guest's commands, split per frame (the canvas first). */
function cPaint(width: number, height: number, steps: Step[]): { frames: string[][]; counts: string[] } {
  const lines = [`mode ${width} ${height}`];
  for (const s of steps) {
    for (const e of s.frame) lines.push('raw' in e ? `raw ${e.raw} ${e.id} ${e.len}` : `${e.dev} ${e.type} ${e.code} ${e.value}`);
    lines.push('frame');
  }
  const frames: string[][] = [];
  const counts: string[] = [];
  let group: string[] = [];
  for (const l of dump(lines)) {
    if (l === 'canvas' || l.startsWith('frame ')) {
      if (l !== 'canvas') counts.push(l);
      frames.push(group);
      group = [];
    } else group.push(l);
  }
  return { frames, counts };
}

/** paint.ts's commands for the same events, through a recording driver and stand-in input drivers. */
function tsPaint(width: number, height: number, steps: Step[]): { frames: string[][]; cursor: Uint32Array } {
  let out: string[] = [];
  const { env, queued, sab } = standInGuestEnv(width, height, {
    fill: (_d: number, x: number, y: number, w: number, h: number, argb: number) => out.push(`fill ${x} ${y} ${w} ${h} ${argb >>> 0}`),
    cursorMove: (_d: number, x: number, y: number) => out.push(`move ${x} ${y}`),
    present: (_d: number, rects: { x: number; y: number; w: number; h: number }[]) => rects.forEach((r) => out.push(`present ${r.x} ${r.y} ${r.w} ${r.h}`)),
  });
  paint.setup(env);
  // The canvas only: setup's cursor commands are wl_paint.c's, outside paint.c.
  const frames = [out.filter((l) => !l.startsWith('move'))];
  for (const s of steps) {
    out = [];
    for (const e of s.frame) if (!('raw' in e)) queued[e.dev].push({ type: e.type, code: e.code, value: e.value });
    paint.frame(env, frames.length);
    frames.push(out);
  }
  return { frames, cursor: new Uint32Array(sab, 0, 15 * 15) };
}

/** A seeded run of keys and pointer reports, some of them what a device should not send. */
function randomSteps(seed: number, count: number): Step[] {
  let s = seed >>> 0;
  const rnd = (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s % n);
  const keys = [42, 54, 14, 28, 57, 2, 12, 16, 26, 30, 40, 41, 43, 53, 35, 23, 100, 1, 0x110];
  const steps: Step[] = [];
  for (let i = 0; i < count; i++) {
    const frame: Step['frame'] = [];
    for (let n = rnd(6); n > 0; n--) {
      if (rnd(2) === 0) frame.push(key(keys[rnd(keys.length)]!, rnd(3)));
      else {
        const axis = () => (rnd(10) === 0 ? rnd(2) * 0x10000 - 0x100 : rnd(VIRTIO_INPUT_ABS_MAX + 1));
        const buttons = [InputCode.BtnLeft, InputCode.BtnRight, InputCode.BtnMiddle].filter(() => rnd(3) === 0).map((c) => btn(c, rnd(2)));
        frame.push(...(rnd(8) === 0 ? [syn()] : pointer(axis(), axis(), ...buttons)));
      }
    }
    steps.push({ frame });
  }
  return steps;
}

describe('the C guest input path (host build)', () => {
  it('keymap and glyphs equal keymap.ts and glyphs.ts', () => {
    const out = dump(['tables']);
    const keys = out.filter((l) => l.startsWith('key '));
    const expected: string[] = [];
    for (let code = 0; code < 256; code++) {
      const plain = keyChar(code, false);
      const shifted = keyChar(code, true);
      if (plain !== null || shifted !== null) expected.push(`key ${code} ${plain?.charCodeAt(0) ?? 0} ${shifted?.charCodeAt(0) ?? 0}`);
    }
    expect(keys.length).toBeGreaterThan(45);
    expect(keys).toEqual(expected);
    const glyphs = out.filter((l) => l.startsWith('glyph '));
    const tsGlyph = (ch: string) => {
      const rows = new Array<number>(GLYPH_HEIGHT).fill(0);
      for (const [y, x, len] of glyphRuns(ch)) for (let i = x; i < x + len; i++) rows[y]! |= 4 >> i;
      return rows.join(' ');
    };
    expect(glyphs).toEqual(Array.from({ length: 95 }, (_, i) => `glyph ${i + 32} ${tsGlyph(String.fromCharCode(i + 32))}`));
  });

  it('the crosshair cursor equals paint.ts', () => {
    const c = dump(['cursor']).map((l) => Number(l.split(' ')[1]));
    expect(c).toEqual([...tsPaint(320, 200, []).cursor]);
    expect(c.filter((p) => p === 0xff000000).length).toBe(24);
  });

  it('the event queue: events in order, every buffer given back, a bad id or length skipped', () => {
    const { counts } = cPaint(320, 200, [
      { frame: [key(35, 1), key(35, 0)] },
      // Past the end of the table: no buffer of ours, none given back; a short length: skipped, given back.
      {
        frame: [
          { raw: 'k', id: 64, len: 8 },
          { raw: 'k', id: 0xffffffff, len: 8 },
          { raw: 't', id: 3, len: 4 },
        ],
      },
      // 70 events through a 64-entry queue, in two batches: only if buffers came back.
      { frame: Array.from({ length: 60 }, (_, i) => key(30 + (i % 10), 1)) },
      { frame: Array.from({ length: 10 }, () => key(30, 0)) },
    ]);
    // frame EVENTS AVAIL_K AVAIL_T: the available index runs 64 ahead of what was used.
    expect(counts).toEqual(['frame 2 66 64', 'frame 0 66 65', 'frame 60 126 65', 'frame 10 136 65']);
  });

  it('paint issues the same commands as paint.ts for the same events', () => {
    const scripted: Step[] = [
      { frame: pointer(100, 100) },
      { frame: [key(42, 1), key(35, 1), key(35, 0), key(42, 0), key(23, 1), key(23, 2), key(23, 0)] },
      {
        frame: [
          ...pointer(8000, 25000, btn(InputCode.BtnLeft, 1)),
          ...pointer(30000, 30000),
          ...pointer(30000, 10),
          ...pointer(12000, 20000, btn(InputCode.BtnLeft, 0)),
        ],
      },
      { frame: [...pointer(12000, 20000, btn(InputCode.BtnRight, 1)), ...pointer(15000, 24000), ...pointer(15000, 24000, btn(InputCode.BtnRight, 0))] },
      { frame: [key(14, 1), key(28, 1), key(28, 1), key(28, 1), key(57, 1), key(100, 1)] },
      { frame: [] },
    ];
    for (const [w, h] of [
      [320, 200],
      [100, 150],
      [1920, 1080],
    ] as const) {
      for (const steps of [scripted, randomSteps(w * h, 150)]) {
        const c = cPaint(w, h, steps).frames;
        const ts = tsPaint(w, h, steps).frames;
        expect(c.length).toBe(steps.length + 1);
        expect(c.flat().filter((l) => l.startsWith('present')).length).toBeGreaterThan(2);
        c.forEach((frame, i) => expect(frame, `${w}x${h} frame ${i}`).toEqual(ts[i]));
      }
    }
  });
});
