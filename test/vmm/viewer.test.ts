// A person's view of a running VM: the browser viewer (noVNC in Debian's Chromium) connects to
// the VM's compositor through vm.startWeb() and its canvas holds exactly the frame the guest drew;
// when the guest draws more, the canvas follows.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Vm } from '../../vmm/vm.js';
import { launchChromium, untilCanvasMatches, untilState } from '../support/browser.js';

describe('the browser viewer on a VM', () => {
  let browser: Browser;
  let vm: Vm;

  beforeAll(async () => {
    browser = await launchChromium();
    vm = await Vm.create({ ramMiB: 32, devices: [{ displayModes: ['320x200@60'] }], workload: { name: 'desktop', frames: 8, seed: 4 } });
  });

  afterAll(async () => {
    await browser?.close();
    await vm?.stop();
  });

  it('shows the guest’s frame pixel for pixel and follows the next workload', async () => {
    await vm.whenGuestsDone();
    await vm.settle();
    const { urls } = await vm.startWeb({ port: 0 });
    const page = await browser.newPage({ viewport: { width: 640, height: 400 } });
    await page.goto(`${urls[0]}?scale=0`);
    await untilState(page, 'connected');
    // noVNC draws the cursor itself (Cursor pseudo-encoding): its canvas holds the guest's pixels.
    let frame = (await vm.frame())!;
    await untilCanvasMatches(page, () => frame.pixels, 320, 200);

    await vm.runWorkload({ name: 'damage', frames: 10, seed: 8 });
    await vm.whenGuestsDone();
    await vm.settle();
    const first = frame.pixels;
    frame = (await vm.frame())!;
    expect(frame.pixels).not.toEqual(first); // the canvas has something new to follow
    await untilCanvasMatches(page, () => frame.pixels, 320, 200);
    const stats = (await vm.stats()).compositor.displays[0]!;
    expect(stats.vnc!.stats.clientsNow).toBe(1);
    await page.close();
  });
});
