// Writes docs/images/browser-viewer.png: the desktop workload in the browser viewer (noVNC in
// Debian's Chromium, headless), as the README shows it. Run after `npm run build`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { Vm } from '../dist/vmm/vm.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? path.join(root, 'docs', 'images', 'browser-viewer.png');

const vm = await Vm.create({ devices: [{ displayModes: ['1280x720@60'] }], workload: { name: 'desktop', frames: 120, seed: 3 } });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  await vm.whenGuestsDone();
  await vm.settle();
  const { urls } = await vm.startWeb({ port: 0 });
  const page = await browser.newPage({ viewport: { width: 1000, height: 620 } });
  await page.goto(urls[0]);
  for (let i = 0; i < 100 && (await page.evaluate('document.body.dataset.state')) !== 'connected'; i++) await page.waitForTimeout(50);
  await page.waitForTimeout(1000); // the first full update
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await vm.stop();
}
