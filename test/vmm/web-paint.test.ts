// The paint workload from the browser viewer: noVNC in Debian's Chromium (headless, driven by
// playwright-core) through the WebSocket bridge. The mouse drags on noVNC's canvas and the
// keyboard types; the guest draws the stroke and the glyphs, and the canvas ends up holding
// exactly the guest's frame (noVNC draws the cursor with CSS, not into the canvas).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PAINT_PEN, PAINT_TEXT, textBox } from '../../guest/ts/workloads/paint.js';
import { canvasMismatch, launchChromium, readCanvas, untilState } from '../support/browser.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';
import { frameWhen, pixelAt as at } from '../support/kept-frame.js';

const vms = vmsStoppedAfterEach();
const W = 320;
const H = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('paint in the browser viewer', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('a drag and typing on noVNC’s canvas draw in the guest, and the canvas shows the same pixels', async () => {
    const vm = await vms.create({ ramMiB: 64, devices: [{ displayModes: [`${W}x${H}@60`] }], input: true, workload: { name: 'paint', frames: 1e9 } });
    await frameWhen(vm, (f) => f.cursor.visible);
    const { port } = await vm.startWeb({ port: 0 });
    const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/display/0?scale=0`);
    await untilState(page, 'connected', 15_000);
    const canvas = page.locator('#screen > div > canvas');
    const box = (await canvas.boundingBox())!;
    expect([Math.round(box.width), Math.round(box.height)]).toEqual([W, H]);

    await page.mouse.move(box.x + 40, box.y + 160);
    await page.mouse.down();
    await page.mouse.move(box.x + 90, box.y + 150, { steps: 5 });
    await page.mouse.move(box.x + 140, box.y + 160, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.type('hi');
    await page.mouse.move(box.x + 250, box.y + 130);

    const text = textBox(W);
    const f = await frameWhen(vm, (k) => at(k, 140, 160) === PAINT_PEN && at(k, text.x + 8 + 16 + 4, text.y + 8) === PAINT_TEXT && k.cursor.x === 250);
    for (const [x, y] of [
      [40, 160],
      [90, 150],
      [140, 160],
    ] as const)
      expect(at(f, x, y), `(${x}, ${y})`).toBe(PAINT_PEN);
    expect(at(f, text.x + 8, text.y + 8)).toBe(PAINT_TEXT); // 'H'
    expect(at(f, text.x + 8 + 16 + 4, text.y + 8)).toBe(PAINT_TEXT); // 'I'
    expect([f.cursor.x, f.cursor.y]).toEqual([250, 130]);
    // noVNC's canvas holds the guest's frame exactly (compared with the latest frame each time).
    const deadline = Date.now() + 15_000;
    let why: string | null = 'not compared';
    while (why !== null && Date.now() < deadline) {
      why = canvasMismatch(await readCanvas(page), (await vm.frame(0, 0))!.pixels, W, H);
      if (why !== null) await sleep(25);
    }
    expect(why).toBeNull();
    expect(pageErrors).toEqual([]);
    const routed = (await vm.stats()).compositor.displays[0]!.vnc!.stats.input;
    expect(routed?.forwarded).toBeGreaterThan(0);
    await page.close();
  });
});
