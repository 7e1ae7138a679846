// Driving the browser viewer in Debian's Chromium (headless, through playwright-core): launch it
// (failing, not skipping, when it is missing: CI installs it), read noVNC's canvas, and wait for
// the page's state or pixels. Pages run under a CSP that forbids eval, so waits poll from here.
import { existsSync } from 'node:fs';

import { chromium, type Browser, type Page } from 'playwright-core';

import { foreignProcessEnv } from './foreign-env.js';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the browser viewer tests need Debian's Chromium ` +
        '(apt-get install chromium; npm test installs it as root). They fail rather than skip.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], env: foreignProcessEnv() });
}

export interface CanvasPixels {
  width: number;
  height: number;
  /** RGBA bytes, row-major. */
  data: number[];
}

// Evaluated in the page (strings: the project's TypeScript has no DOM types).
const READ_CANVAS = `(() => {
  const c = document.querySelector('#screen > div > canvas');
  if (!c || c.width === 0) return null;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  return { width: c.width, height: c.height, data: Array.from(d) };
})()`;
const STATE = 'document.body.dataset.state';

export function readCanvas(page: Page): Promise<CanvasPixels | null> {
  return page.evaluate<CanvasPixels | null>(READ_CANVAS);
}

/** Where the canvas differs from ARGB pixels (RGB compared; the canvas must be opaque), or null. */
export function canvasMismatch(canvas: CanvasPixels | null, argb: Uint32Array, width: number, height: number): string | null {
  if (!canvas) return 'no canvas yet';
  if (canvas.width !== width || canvas.height !== height) return `canvas is ${canvas.width}x${canvas.height}, expected ${width}x${height}`;
  for (let i = 0; i < width * height; i++) {
    const p = argb[i]!;
    const want = [(p >>> 16) & 255, (p >>> 8) & 255, p & 255, 255];
    const got = canvas.data.slice(i * 4, i * 4 + 4);
    if (got.some((v, k) => v !== want[k])) return `pixel (${i % width}, ${Math.floor(i / width)}): got ${got}, want ${want}`;
  }
  return null;
}

export async function untilCanvasMatches(page: Page, argb: () => Uint32Array, width: number, height: number, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  let why: string | null = 'not read';
  while (Date.now() < deadline) {
    why = canvasMismatch(await readCanvas(page), argb(), width, height);
    if (why === null) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the canvas never matched: ${why}`);
}

export async function untilState(page: Page, state: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  let now: string | undefined;
  while (Date.now() < deadline) {
    now = await page.evaluate<string | undefined>(STATE);
    if (now === state) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  const bar = await page.textContent('#status');
  throw new Error(`page state never became ${state}: it is ${now} ("${bar}")`);
}
