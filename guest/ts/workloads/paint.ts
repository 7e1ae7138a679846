// paint: a drawing program driven by the display's virtio-input keyboard and tablet. The PVG
// cursor (a crosshair) follows the pointer; the left button draws with a pen (strokes joined
// between reports), the right button erases; keys type into the text box at the top (simple 3×5
// glyphs, Backspace, Enter). A frame presents only what input changed; with no input the guest
// halts until some comes (INPUT_WAIT_MS at a time), so an idle paint costs nearly nothing.
import { axisToPixel, type InputReport } from '../guest-input.js';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphRuns } from '../glyphs.js';
import { KEY_BACKSPACE, KEY_ENTER, KEY_LEFTSHIFT, KEY_RIGHTSHIFT, keyChar } from '../keymap.js';
import { WORKLOAD_CTX, current, mappedBuffer, writeImage, type GuestEnv, type Workload } from './workload.js';

export const PAINT_BACKGROUND = 0xfff8f8f2;
export const PAINT_PEN = 0xff1d3557;
export const PAINT_TEXT = 0xff000000;
const BOX_FILL = 0xffffffff;
const BOX_EDGE = 0xff457b9d;
/** The pen is a square this wide around the pointer; the eraser ERASER. */
export const PEN = 6;
const ERASER = 24;
const CURSOR = 15;
/** Dots per glyph dot, the gap between characters and between lines. */
const SCALE = 4;
const ADVANCE = (GLYPH_WIDTH + 1) * SCALE;
const LINE = (GLYPH_HEIGHT + 2) * SCALE;
const INPUT_WAIT_MS = 50;

type Rect = { x: number; y: number; w: number; h: number };

/** The text box: a margin from the top-left, three lines high, the frame's width less margins. */
export function textBox(width: number): Rect {
  return { x: 20, y: 20, w: width - 40, h: 3 * LINE + 2 * SCALE };
}

/** A black cross with a white edge; the 3×3 middle is clear, so the pixel under the hotspot shows. */
function crosshair(x: number, y: number): number {
  const dx = Math.abs(x - (CURSOR - 1) / 2);
  const dy = Math.abs(y - (CURSOR - 1) / 2);
  if (dx <= 1 && dy <= 1) return 0;
  if (dx === 0 || dy === 0) return 0xff000000;
  if (dx === 1 || dy === 1) return 0xffffffff;
  return 0;
}

interface PaintState {
  x: number;
  y: number;
  buttons: number;
  shift: boolean;
  text: string[];
  /** Where the pointer was at the last report, for joining a stroke's dots. */
  last: { x: number; y: number } | null;
  damage: Rect | null;
}
const state = new WeakMap<GuestEnv, PaintState>();

function grow(s: PaintState, r: Rect): void {
  if (!s.damage) return void (s.damage = { ...r });
  const d = s.damage;
  const x1 = Math.max(d.x + d.w, r.x + r.w);
  const y1 = Math.max(d.y + d.h, r.y + r.h);
  d.x = Math.min(d.x, r.x);
  d.y = Math.min(d.y, r.y);
  d.w = x1 - d.x;
  d.h = y1 - d.y;
}

/** A square of `size` around (x, y), clipped to the canvas (the frame below the text box). */
function dab(env: GuestEnv, s: PaintState, x: number, y: number, size: number, argb: number): void {
  const { width, height } = current(env);
  const top = textBox(width).y + textBox(width).h + 1;
  const x0 = Math.max(0, x - (size >> 1));
  const y0 = Math.max(top, y - (size >> 1));
  const x1 = Math.min(width, x - (size >> 1) + size);
  const y1 = Math.min(height, y - (size >> 1) + size);
  if (x1 <= x0 || y1 <= y0) return;
  const r = { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  env.driver.fill(0, r.x, r.y, r.w, r.h, argb);
  grow(s, r);
}

/** Dabs from the last position to (x, y), half a brush apart, so a fast stroke stays joined. */
function stroke(env: GuestEnv, s: PaintState, x: number, y: number, size: number, argb: number): void {
  const from = s.last ?? { x, y };
  const steps = Math.max(1, Math.ceil(Math.hypot(x - from.x, y - from.y) / Math.max(1, size >> 1)));
  for (let i = 1; i <= steps; i++) dab(env, s, Math.round(from.x + ((x - from.x) * i) / steps), Math.round(from.y + ((y - from.y) * i) / steps), size, argb);
}

function drawText(env: GuestEnv, s: PaintState): void {
  const box = textBox(current(env).width);
  const d = env.driver;
  d.fill(0, box.x, box.y, box.w, box.h, BOX_EDGE);
  d.fill(0, box.x + 2, box.y + 2, box.w - 4, box.h - 4, BOX_FILL);
  s.text.forEach((line, row) => {
    for (let i = 0; i < line.length; i++) {
      const gx = box.x + 2 * SCALE + i * ADVANCE;
      const gy = box.y + 2 * SCALE + row * LINE;
      for (const [ry, rx, len] of glyphRuns(line[i]!)) d.fill(0, gx + rx * SCALE, gy + ry * SCALE, len * SCALE, SCALE, PAINT_TEXT);
    }
  });
  // The caret after the last character.
  const row = s.text.length - 1;
  d.fill(0, box.x + 2 * SCALE + s.text[row]!.length * ADVANCE, box.y + 2 * SCALE + row * LINE, SCALE / 2, GLYPH_HEIGHT * SCALE, BOX_EDGE);
  grow(s, box);
}

function type(env: GuestEnv, s: PaintState, code: number): void {
  const box = textBox(current(env).width);
  const perLine = Math.floor((box.w - 4 * SCALE) / ADVANCE);
  const row = s.text.length - 1;
  if (code === KEY_BACKSPACE) {
    if (s.text[row]!.length > 0) s.text[row] = s.text[row]!.slice(0, -1);
    else if (row > 0) s.text.pop();
  } else if (code === KEY_ENTER) {
    s.text.push('');
  } else {
    const ch = keyChar(code, s.shift);
    if (ch === null) return;
    if (s.text[row]!.length >= perLine) s.text.push('');
    s.text[s.text.length - 1] += ch;
  }
  // A full box starts over with the line being typed.
  if (s.text.length > 3) s.text = [s.text[s.text.length - 1]!];
  drawText(env, s);
}

function apply(env: GuestEnv, s: PaintState, r: InputReport): void {
  if (r.kind === 'key') {
    if (r.code === KEY_LEFTSHIFT || r.code === KEY_RIGHTSHIFT) s.shift = r.down;
    else if (r.down) type(env, s, r.code);
    return;
  }
  const { width, height } = current(env);
  s.x = axisToPixel(r.x, width);
  s.y = axisToPixel(r.y, height);
  s.buttons = r.buttons;
  if (r.buttons & 1) stroke(env, s, s.x, s.y, PEN, PAINT_PEN);
  else if (r.buttons & 4) stroke(env, s, s.x, s.y, ERASER, PAINT_BACKGROUND);
  s.last = r.buttons & 5 ? { x: s.x, y: s.y } : null;
}

export const paint: Workload = {
  name: 'paint',
  usesInput: true,
  description: 'draw with the pointer and type into a box: reacts to the display’s virtio-input keyboard and tablet (run --input)',
  setup(env) {
    const { width, height } = current(env);
    const d = env.driver;
    const gpa = mappedBuffer(env, WORKLOAD_CTX, CURSOR * CURSOR * 4);
    writeImage(env, gpa, CURSOR, CURSOR, crosshair);
    d.setMode(0, env.mode);
    d.fill(0, 0, 0, width, height, PAINT_BACKGROUND);
    const s: PaintState = { x: width >> 1, y: height >> 1, buttons: 0, shift: false, text: [''], last: null, damage: null };
    state.set(env, s);
    drawText(env, s);
    d.cursorDefine(0, WORKLOAD_CTX, 0, CURSOR, CURSOR, 32, CURSOR * 4, (CURSOR - 1) / 2, (CURSOR - 1) / 2);
    d.cursorMove(0, s.x, s.y);
    d.cursorShow(0, true);
    d.present(0, []);
    s.damage = null;
  },
  // x, y, buttons, shift, has a last point, its x, y, the text's line count, each line's length,
  // then the characters four to a word (a byte each, first in the low byte). Saved between frames,
  // where nothing is left to present (damage is null).
  saveState(env) {
    const s = state.get(env)!;
    const chars = [...s.text.join('')].map((c) => c.charCodeAt(0));
    const packed = Array.from({ length: Math.ceil(chars.length / 4) }, (_, i) => chars.slice(4 * i, 4 * i + 4).reduce((w, c, k) => w + c * 256 ** k, 0));
    return [s.x, s.y, s.buttons, s.shift ? 1 : 0, s.last ? 1 : 0, s.last?.x ?? 0, s.last?.y ?? 0, s.text.length, ...s.text.map((l) => l.length), ...packed];
  },
  loadState(env, words) {
    const { width, height } = current(env);
    const [x, y, buttons, shift, hasLast, lastX, lastY, lines] = words;
    if (words.length < 8 || !words.every((w) => Number.isSafeInteger(w) && w >= 0)) return 'fewer than 8 words, or one that is not a non-negative integer';
    if (x! >= width || y! >= height || lastX! >= width || lastY! >= height) return `a point outside the ${width}x${height} frame`;
    if (buttons! > 7 || shift! > 1 || hasLast! > 1) return `buttons ${buttons}, shift ${shift}, last point flag ${hasLast}`;
    if (lines! < 1 || lines! > 3 || words.length < 8 + lines!) return `${lines} lines of text`;
    const lengths = words.slice(8, 8 + lines!);
    const perLine = Math.floor((textBox(width).w - 4 * SCALE) / ADVANCE);
    if (lengths.some((n) => n > perLine)) return `a line longer than the box's ${perLine} characters`;
    const total = lengths.reduce((a, b) => a + b, 0);
    if (words.length !== 8 + lines! + Math.ceil(total / 4)) return `${words.length} words for ${total} characters`;
    const codes = words
      .slice(8 + lines!)
      .flatMap((w) => [0, 1, 2, 3].map((k) => Math.floor(w / 256 ** k) % 256))
      .slice(0, total);
    const typable = new Set(Array.from({ length: 256 }, (_, c) => [keyChar(c, false), keyChar(c, true)]).flat());
    if (codes.some((c) => !typable.has(String.fromCharCode(c)))) return 'a character no key types';
    const text: string[] = [];
    let at = 0;
    for (const n of lengths) text.push(String.fromCharCode(...codes.slice(at, (at += n))));
    state.set(env, { x: x!, y: y!, buttons: buttons!, shift: shift === 1, text, last: hasLast === 1 ? { x: lastX!, y: lastY! } : null, damage: null });
    return null;
  },
  frame(env) {
    const s = state.get(env)!;
    let reports = env.input?.take() ?? [];
    if (reports.length === 0) {
      if (env.input) env.input.waitForInput(INPUT_WAIT_MS);
      else env.idle(INPUT_WAIT_MS);
      reports = env.input?.take() ?? [];
    }
    if (reports.length === 0) return;
    const before = { x: s.x, y: s.y };
    for (const r of reports) apply(env, s, r);
    if (s.x !== before.x || s.y !== before.y) env.driver.cursorMove(0, s.x, s.y);
    if (s.damage) env.driver.present(0, [s.damage]);
    s.damage = null;
  },
};
