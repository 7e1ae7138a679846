// Issue 16 item 7: a mode storm with a real viewer attached. libvncclient (capture.c) joins while
// the modestorm workload changes modes every 3 frames between the default modes (1920x1080,
// 1440x1080, 1280x1024), keeps asking for updates the way viewers do, and reads on until the
// server has nothing more to say. It must end at the guest's last mode showing the guest's last
// frame (the compositor must have encoded it), having seen only frames that existed on the way,
// in the pixel format it asked for.
import { afterEach, describe, expect, it } from 'vitest';

import { Vm } from '../../../vmm/vm.js';
import { buildCapture, firstMismatch, startCapture } from '../../support/vnc-client/client.js';

const binary = await buildCapture();

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

describe('a mode storm with a real viewer (libvncclient)', () => {
  it.each(['tight', 'zrle', 'raw'])(
    '%s: the viewer ends at the last mode showing the last frame',
    async (encodings) => {
      const vm = await Vm.create({ ramMiB: 64 });
      cleanup.push(() => vm.stop());
      const [port] = await vm.startVnc({ port: 0 });

      await vm.runWorkload({ name: 'modestorm', frames: 1500, seed: 3 });
      // Join once the guest set its first mode, in the middle of the storm.
      while (!(await vm.stats()).compositor.displays[0]!.mode) await new Promise((r) => setTimeout(r, 2));
      const run = startCapture(binary, { port: port!, encodings, checkFrames: true, idleMs: 3000, timeoutMs: 90_000 });
      cleanup.push(() => run.kill());
      await vm.whenGuestsDone();
      await vm.settle(); // the compositor has encoded and kept the guest's last frame
      run.finishWhenIdle();
      const result = await run.result;
      expect(result.code, result.lines.slice(-6).join(' | ')).toBe(0);

      const stats = (await vm.stats()).compositor.displays[0]!;
      const frame = (await vm.frame())!;
      expect(frame.frameSeq).toBe(stats.announcedFrameSeq);
      const resizes = result.lines.filter((l) => l.startsWith('resize '));
      expect(resizes.length).toBeGreaterThan(0); // it did live through mode changes
      const f = result.frame!;
      expect([f.width, f.height, f.bytesPerPixel]).toEqual([frame.width, frame.height, 4]);
      expect(firstMismatch(f, frame.pixels, frame.width, frame.height)).toBe(-1);

      // On the way, every update with pixels showed a whole frame the display had, at the size the
      // client had: one of the guest's (a background colour and its white square: colours 2, on
      // every pixel) or the new mode's cleared framebuffer, all black, which the engine may encode
      // before the guest draws into it (native/src/engine/soft/commands.cpp, OpSetMode). Never a
      // part of one on black, nor a frame cut to the old size. (An update holding only a
      // DesktopSize leaves the new framebuffer undefined until the next one: not checked.) The
      // zero-filled store the sink used to show is tested in vnc-sink/mode-switch.test.ts.
      let size = result.lines
        .find((l) => l.startsWith('connected '))!
        .split(' ')
        .slice(1)
        .map(Number);
      let pixelUpdates = 0;
      const wrong: string[] = [];
      for (let i = 0; i < result.lines.length; i++) {
        const l = result.lines[i]!;
        if (l.startsWith('resize ')) size = l.split(' ').slice(1).map(Number);
        if (!l.startsWith('update ') || / rects 0$/.test(l)) continue;
        pixelUpdates++;
        const described = result.lines[i + 1]!;
        const whole = described.includes(` colours 2 count ${size[0]! * size[1]!} `);
        const cleared = described.includes(' colours 0 count 0 ');
        if (!whole && !cleared) wrong.push(`${l}: ${described} at ${size.join('x')}`);
      }
      expect(pixelUpdates).toBeGreaterThan(0);
      expect(wrong).toEqual([]);
    },
    120_000,
  );
});
