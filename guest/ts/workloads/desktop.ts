// desktop: an animated scene worth looking at — a wallpaper, three windows with title bars, a
// translucent sprite bouncing across the free area, a seven-segment clock counting frames, and a
// cursor moving along a Lissajous path — or following the pointer, once the display's tablet
// (run --input) has reported one. Only what changed is presented.
import { axisToPixel } from '../guest-input.js';
import { WORKLOAD_CTX, checkWords, current, mappedBuffer, writeImage, type GuestEnv, type Workload } from './workload.js';

const SPRITE = 48;
const CURSOR = 16;
const WALL = 0xff1d3557;

// Seven-segment digits: bits a b c d e f g.
const SEGMENTS = [0x3f, 0x06, 0x5b, 0x4f, 0x66, 0x6d, 0x7d, 0x07, 0x7f, 0x6f];

function sprite(x: number, y: number): number {
  const dx = x - SPRITE / 2 + 0.5;
  const dy = y - SPRITE / 2 + 0.5;
  const r = Math.sqrt(dx * dx + dy * dy) / (SPRITE / 2);
  if (r > 1) return 0;
  const a = Math.round(255 * Math.min(1, (1 - r) * 3));
  return ((a << 24) | (0xff << 16) | (Math.round(180 * (1 - r)) << 8) | 0x40) >>> 0;
}

function arrow(x: number, y: number): number {
  if (x > y || x + y > CURSOR + 4) return 0;
  const edge = x === 0 || x === y || x + y === CURSOR + 4;
  return edge ? 0xff000000 : 0xffffffff;
}

/** A segment's colour: lit when its bit is set in `on`. */
function segment(on: number, bit: number): number {
  return (on >> bit) & 1 ? 0xff7cfc00 : 0xff102010;
}

function drawDigit(env: GuestEnv, x: number, y: number, digit: number): void {
  const d = env.driver;
  const on = SEGMENTS[digit]!;
  d.fill(0, x + 2, y, 10, 2, segment(on, 0)); // a
  d.fill(0, x + 12, y + 2, 2, 10, segment(on, 1)); // b
  d.fill(0, x + 12, y + 14, 2, 10, segment(on, 2)); // c
  d.fill(0, x + 2, y + 24, 10, 2, segment(on, 3)); // d
  d.fill(0, x, y + 14, 2, 10, segment(on, 4)); // e
  d.fill(0, x, y + 2, 2, 10, segment(on, 5)); // f
  d.fill(0, x + 2, y + 12, 10, 2, segment(on, 6)); // g
}

/** The free strip at the bottom where the sprite bounces (it always fits, whatever the mode). */
function spriteBand(height: number): { y: number; h: number } {
  const y = Math.min(Math.round(height * 0.75), height - SPRITE);
  return { y, h: height - y };
}

interface DesktopState {
  spriteX: number;
  spriteY: number;
  /** Where the tablet last put the pointer (null: no report yet, the cursor follows its path). */
  pointer: { x: number; y: number } | null;
}
const state = new WeakMap<GuestEnv, DesktopState>();

export const desktop: Workload = {
  name: 'desktop',
  usesInput: true,
  description: 'an animated desktop: windows, a bouncing translucent sprite, a clock and a moving cursor',
  setup(env) {
    const { width, height } = current(env);
    const d = env.driver;
    const gpa = mappedBuffer(env, WORKLOAD_CTX, (SPRITE * SPRITE + CURSOR * CURSOR) * 4);
    writeImage(env, gpa, SPRITE, SPRITE, sprite);
    writeImage(env, gpa + SPRITE * SPRITE * 4, CURSOR, CURSOR, arrow);
    d.setMode(0, env.mode);
    d.fill(0, 0, 0, width, height, WALL);
    const windows = [
      { x: width * 0.05, y: height * 0.08, w: width * 0.4, h: height * 0.35, title: 0xff457b9d },
      { x: width * 0.5, y: height * 0.12, w: width * 0.42, h: height * 0.3, title: 0xffe63946 },
      { x: width * 0.1, y: height * 0.52, w: width * 0.3, h: height * 0.18, title: 0xff2a9d8f },
    ];
    for (const w of windows) {
      const [x, y, ww, hh] = [w.x, w.y, w.w, w.h].map(Math.round) as [number, number, number, number];
      d.fill(0, x + 6, y + 6, ww, hh, 0xff0b1a2e); // shadow
      d.fill(0, x, y, ww, hh, 0xfff1faee);
      d.fill(0, x, y, ww, 24, w.title);
      for (let line = 0; line < 5 && 40 + line * 18 + 8 < hh; line++) {
        d.fill(0, x + 16, y + 40 + line * 18, Math.round(ww * (0.5 + 0.08 * line)) - 32, 8, 0xffa8dadc);
      }
    }
    d.cursorDefine(0, WORKLOAD_CTX, SPRITE * SPRITE * 4, CURSOR, CURSOR, 32, CURSOR * 4, 1, 1);
    d.cursorShow(0, true);
    d.present(0, []);
    state.set(env, { spriteX: 0, spriteY: spriteBand(height).y, pointer: null });
  },
  // The sprite, and where the tablet last put the pointer (has, x, y; 0, 0, 0: no report yet).
  saveState: (env) => {
    const s = state.get(env)!;
    return [s.spriteX, s.spriteY, s.pointer ? 1 : 0, s.pointer?.x ?? 0, s.pointer?.y ?? 0];
  },
  loadState(env, words) {
    const bad = checkWords(words, 5) ?? (words[2]! > 1 ? `pointer flag ${words[2]}` : null);
    if (bad === null) state.set(env, { spriteX: words[0]!, spriteY: words[1]!, pointer: words[2] === 1 ? { x: words[3]!, y: words[4]! } : null });
    return bad;
  },
  frame(env, n) {
    const { width, height } = current(env);
    const d = env.driver;
    const s = state.get(env)!;
    const band = spriteBand(height);
    // The sprite bounces inside the free band at the bottom; erase, then draw at the new place.
    const old = { x: s.spriteX, y: s.spriteY, w: SPRITE, h: SPRITE };
    const span = width - SPRITE;
    const t = (n * 6) % (2 * span);
    s.spriteX = t < span ? t : 2 * span - t;
    s.spriteY = band.y + Math.round(((Math.sin(n / 9) + 1) / 2) * (band.h - SPRITE));
    d.fill(0, old.x, old.y, SPRITE, SPRITE, WALL);
    d.blit(0, WORKLOAD_CTX, 0, SPRITE * 4, s.spriteX, s.spriteY, SPRITE, SPRITE, true);
    // The clock: frame number, four digits, top right.
    const clock = { x: width - 90, y: 8, w: 4 * 20, h: 28 };
    d.fill(0, clock.x - 4, clock.y - 4, clock.w + 4, clock.h + 8, 0xff000000);
    const digits = String(n % 10000).padStart(4, '0');
    for (let i = 0; i < 4; i++) drawDigit(env, clock.x + i * 20, clock.y, Number(digits[i]));
    for (const r of env.input?.take() ?? []) if (r.kind === 'pointer') s.pointer = { x: axisToPixel(r.x, width), y: axisToPixel(r.y, height) };
    if (s.pointer) d.cursorMove(0, s.pointer.x, s.pointer.y);
    else d.cursorMove(0, Math.round(width / 2 + (width / 3) * Math.sin(n / 23)), Math.round(height / 2 + (height / 3) * Math.sin(n / 17)));
    d.present(0, [
      { x: Math.min(old.x, s.spriteX), y: Math.min(old.y, s.spriteY), w: Math.abs(old.x - s.spriteX) + SPRITE, h: Math.abs(old.y - s.spriteY) + SPRITE },
      { x: clock.x - 4, y: clock.y - 4, w: clock.w + 4, h: clock.h + 8 },
    ]);
  },
};
