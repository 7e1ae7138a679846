// PNG snapshots show the frame as a person sees it: the guest's pixels, the cursor composited
// at its hotspot, everything opaque.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';

import { Vm } from '../../vmm/vm.js';
import { composeReference } from '../support/compose.js';

let vm: Vm | null = null;
afterEach(async () => {
  await vm?.stop();
  vm = null;
});

describe('snapshots', () => {
  it('write the last frame with the cursor composited, encoded off the actors’ threads', async () => {
    vm = await Vm.create({ ramMiB: 32, devices: [{ displayModes: ['320x200@60'] }], workload: { name: 'desktop', frames: 10, seed: 2 } });
    await vm.whenGuestsDone();
    await vm.settle();
    const frame = (await vm.frame(0, 0))!;
    expect(frame.cursor.visible).toBe(true);
    const glyph = frame.cursor.glyph!;
    expect([glyph.width, glyph.height, glyph.hotX, glyph.hotY]).toEqual([16, 16, 1, 1]);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'pvg-snap-')), 'frame.png');
    await vm.snapshot(file);
    const png = PNG.sync.read(readFileSync(file));
    expect([png.width, png.height]).toEqual([320, 200]);

    const expected = composeReference(frame.pixels, 320, 200, { ...glyph, ...frame.cursor }, 0xff);
    let mismatches = 0;
    let cursorPixels = 0;
    for (let i = 0; i < 320 * 200; i++) {
      const e = expected[i]!;
      const [r, g, b, alpha] = png.data.subarray(i * 4, i * 4 + 4);
      if (r !== ((e >>> 16) & 255) || g !== ((e >>> 8) & 255) || b !== (e & 255) || alpha !== 255) mismatches++;
      if ((e & 0xffffff) !== (frame.pixels[i]! & 0xffffff)) cursorPixels++;
    }
    expect(mismatches).toBe(0);
    expect(cursorPixels).toBeGreaterThan(20); // the cursor really is in the picture
  });
});
