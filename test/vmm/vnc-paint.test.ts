// A person at a VNC viewer using the paint workload, played by libvncclient (a client nobody here
// wrote, test/support/vnc-client/capture.c): it moves the pointer, drags with the left button
// held and types, and the picture it ends up with shows the stroke, the typed glyphs and the
// cursor (painted into its pixels: it asked for no cursor encoding) where it left the pointer.
// Everything goes the whole way: RFB → the VNC sink's input route → the input actor → the
// guest's virtio driver → PVG commands → the engine → the compositor → RFB.
import { describe, expect, it } from 'vitest';

import { PAINT_BACKGROUND, PAINT_PEN, textBox } from '../../guest/ts/workloads/paint.js';
import { buildCapture, expectedClientPixel, frameValues, startCapture, type CaptureRun } from '../support/vnc-client/client.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';
import { frameWhen, pixelAt as at } from '../support/kept-frame.js';

const binary = await buildCapture();
const vms = vmsStoppedAfterEach();
const W = 320;
const H = 200;
const XK = { Shift_L: 0xffe1, H: 0x48, i: 0x69 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('paint through libvncclient', () => {
  it('pointer moves, a drag and keys from the client come back to it as the cursor, a stroke and glyphs', async () => {
    const vm = await vms.create({ ramMiB: 64, devices: [{ displayModes: [`${W}x${H}@60`] }], input: true, workload: { name: 'paint', frames: 1e9 } });
    await frameWhen(vm, (f) => f.cursor.visible);
    const [port] = await vm.startVnc({ port: 0 });
    const run: CaptureRun = startCapture(binary, { port: port!, encodings: 'raw', cursor: 'none', idleMs: 300, timeoutMs: 30_000 });
    try {
      await run.waitFor(/^update 1 /);
      run.pointer(40, 160, 0);
      run.pointer(40, 160, 1);
      run.pointer(90, 150, 1);
      run.pointer(140, 160, 1);
      run.pointer(140, 160, 0);
      run.key(XK.Shift_L, true);
      run.key(XK.H, true);
      run.key(XK.H, false);
      run.key(XK.Shift_L, false);
      run.key(XK.i, true);
      run.key(XK.i, false);
      run.pointer(250, 130, 0);
      // The guest has it all when its own frame (no cursor in it) shows the stroke's end and the glyphs.
      const box = textBox(W);
      const done = await frameWhen(vm, (f) => at(f, 140, 160) === PAINT_PEN && at(f, box.x + 8 + 16 + 4, box.y + 8) === 0xff000000 && f.cursor.x === 250);
      expect([done.cursor.x, done.cursor.y]).toEqual([250, 130]);
      await sleep(200);
    } finally {
      run.finishWhenIdle();
    }
    const res = await run.result;
    expect(res.code, res.lines.join('\n') + res.stderr).toBe(0);
    const f = res.frame!;
    const px = frameValues(f);
    const value = (x: number, y: number) => px[y * f.width + x]!;
    const pen = expectedClientPixel(PAINT_PEN, 32);
    const paper = expectedClientPixel(PAINT_BACKGROUND, 32);
    // The stroke: both ends and the segments between them drawn.
    for (const [x, y] of [
      [40, 160],
      [65, 155],
      [90, 150],
      [115, 155],
      [140, 160],
    ] as const)
      expect(value(x, y), `(${x}, ${y})`).toBe(pen);
    expect(value(40, 190)).toBe(paper);
    // 'H' then 'I' in the box: the left columns of both glyphs (3×5 dots of 4×4 pixels, 16 apart).
    const box = textBox(W);
    expect(value(box.x + 8, box.y + 8)).toBe(0);
    expect(value(box.x + 8 + 16 + 4, box.y + 8)).toBe(0);
    expect(value(box.x + 8 + 4, box.y + 8)).toBe(expectedClientPixel(0xffffffff, 32)); // H's gap
    // The cursor painted in at (250, 130): a black arm three pixels right of the hotspot, clear at the hotspot.
    expect(value(253, 130)).toBe(0);
    expect(value(250, 127)).toBe(0);
    expect(value(250, 130)).toBe(paper);
    // Where the cursor was before the last move (its arm above the hotspot at (140, 160)), paper again.
    expect(value(140, 153)).toBe(paper);
  });
});
