// The paint workload's pointer script, shared by the TypeScript guest's test and the machine-code
// guest's KVM test, so both guests are held to the same picture: the cursor follows a move
// without drawing, a press and a drag draw one joined stroke, the right button erases.
import { expect } from 'vitest';

import type { KeptFrame } from '../../actors/device/messages.js';
import { PAINT_BACKGROUND, PAINT_PEN, PAINT_TEXT, PEN, textBox } from '../../guest/ts/workloads/paint.js';
import type { Vm } from '../../vmm/vm.js';
import { frameWhen, pixelAt as at } from './kept-frame.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pixels of the text colour inside the text box. */
export function textPixels(f: KeptFrame): number {
  const box = textBox(f.width);
  let n = 0;
  for (let y = box.y; y < box.y + box.h; y++) for (let x = box.x; x < box.x + box.w; x++) if (at(f, x, y) === PAINT_TEXT) n++;
  return n;
}

/** Moves, draws a stroke from (40, 160) to (140, 160) and erases at (90, 160) on display 0 of device 0. */
export async function pointerDrawErase(vm: Vm, width: number, height: number): Promise<void> {
  const input = vm.input(0, 0);
  const frame = { width, height };
  expect(input.pointer(200, 150, 0, frame)).toBe(true);
  let f = await frameWhen(vm, (k) => k.cursor.x === 200 && k.cursor.y === 150);
  expect({ x: f.cursor.x, y: f.cursor.y }).toEqual({ x: 200, y: 150 });
  expect(at(f, 200, 150)).toBe(PAINT_BACKGROUND); // a move without a button draws nothing

  // Press at (40, 160), drag to (140, 160) in one report, release (the canvas is below the text box).
  expect(textBox(width).y + textBox(width).h).toBeLessThan(160 - PEN);
  input.pointer(40, 160, 1, frame);
  await sleep(Math.random() * 30);
  input.pointer(140, 160, 1, frame);
  input.pointer(140, 160, 0, frame);
  f = await frameWhen(vm, (k) => at(k, 140, 160) === PAINT_PEN);
  for (let x = 40; x <= 140; x++) expect(at(f, x, 160), `x ${x}`).toBe(PAINT_PEN);
  expect(at(f, 40 - PEN, 160)).toBe(PAINT_BACKGROUND);
  expect(at(f, 90, 160 + PEN)).toBe(PAINT_BACKGROUND);

  // The right button erases what the pen drew at (90, 160).
  input.pointer(90, 160, 4, frame);
  input.pointer(90, 160, 0, frame);
  f = await frameWhen(vm, (k) => at(k, 90, 160) === PAINT_BACKGROUND);
  expect(at(f, 90, 160)).toBe(PAINT_BACKGROUND);
  expect(at(f, 40, 160)).toBe(PAINT_PEN);
}
