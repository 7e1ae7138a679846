// The compositor actor inside a VM: the frames it keeps reach real VNC clients exactly (a
// libvncclient program nobody here wrote, for Raw, ZRLE and Tight), the cursor reaches a client
// that asked for its shape, rapid A→B→A mode changes with frames in flight reach a client as
// DesktopSize and never as a rectangle of the wrong size, and a client that stops reading does
// not hold the guest back.
import { afterEach, describe, expect, it } from 'vitest';

import { Encoding } from '../../../outputs/vnc/rfb.js';
import { PixelConverter, SERVER_PIXEL_FORMAT } from '../../../outputs/vnc/pixel-format.js';
import { Vm } from '../../../vmm/vm.js';
import { composeReference } from '../../support/compose.js';
import { buildCapture, firstMismatch, startCapture } from '../../support/vnc-client/client.js';
import { openSocket, RfbTestClient } from '../../support/vnc-client/rfb-client.js';

const binary = await buildCapture();

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

/** Polls until `probe` returns something (for counters that arrive asynchronously). */
async function eventually<T>(probe: () => Promise<T | null>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function vmWith(options: Parameters<typeof Vm.create>[0]) {
  const vm = await Vm.create(options);
  cleanup.push(() => vm.stop());
  return vm;
}

describe('the compositor with a real VNC client (libvncclient)', () => {
  it.each(['raw', 'zrle', 'tight'])('%s: the captured frame equals the compositor’s, cursor painted in', async (encodings) => {
    const vm = await vmWith({ ramMiB: 32, devices: [{ displayModes: ['320x200@60'] }], workload: { name: 'desktop', frames: 12, seed: 5 } });
    await vm.whenGuestsDone();
    await vm.settle();
    const [port] = await vm.startVnc({ port: 0 });
    const frame = (await vm.frame())!;
    expect(frame.cursor.visible).toBe(true);
    const run = startCapture(binary, { port: port!, encodings, cursor: 'none' });
    cleanup.push(() => run.kill());
    const result = await run.result;
    expect(result.code, result.stderr).toBe(0);
    const expected = composeReference(frame.pixels, frame.width, frame.height, { ...frame.cursor.glyph!, ...frame.cursor }, 0xff);
    expect(firstMismatch(result.frame!, expected, 320, 200)).toBe(-1);
    // The sink worker reports its counters every 100 ms.
    const vncStats = await eventually(async () => {
      const v = (await vm.stats()).compositor.displays[0]!.vnc!.stats;
      return v.clientsTotal === 1 ? v : null;
    });
    expect(vncStats.bytesSent).toBeGreaterThan(0);
  });

  it('a client that asks for CursorWithAlpha gets the glyph as the guest defined it, and pixels without it', async () => {
    const vm = await vmWith({ ramMiB: 32, devices: [{ displayModes: ['320x200@60'] }], workload: { name: 'desktop', frames: 6, seed: 9 } });
    await vm.whenGuestsDone();
    await vm.settle();
    const [port] = await vm.startVnc({ port: 0 });
    const frame = (await vm.frame())!;
    const run = startCapture(binary, { port: port!, encodings: 'zrle', cursor: 'alpha' });
    cleanup.push(() => run.kill());
    const result = await run.result;
    expect(result.code, result.stderr).toBe(0);
    expect(firstMismatch(result.frame!, frame.pixels, 320, 200)).toBe(-1);
    const glyph = frame.cursor.glyph!;
    const c = result.cursor!;
    expect([c.kind, c.width, c.height, c.hotX, c.hotY]).toEqual(['alpha', glyph.width, glyph.height, glyph.hotX, glyph.hotY]);
    // CursorWithAlpha carries premultiplied RGBA: compare with the glyph premultiplied, rounded.
    for (let i = 0; i < glyph.width * glyph.height; i++) {
      const p = glyph.argb[i]!;
      const a = p >>> 24;
      const pm = (sh: number) => Math.round((((p >>> sh) & 255) * a) / 255);
      expect([...c.data.subarray(i * 4, i * 4 + 4)], `glyph pixel ${i}`).toEqual([pm(16), pm(8), pm(0), a]);
    }
  });
});

describe('the compositor under mode changes and slow clients', () => {
  it('A→B→A mode changes with frames in flight reach the client as DesktopSize, never a frame of the wrong size', async () => {
    const modes = ['320x200@60', '256x160@60'];
    const vm = await vmWith({ ramMiB: 32, devices: [{ displayModes: modes }] });
    const [port] = await vm.startVnc({ port: 0 });
    // A client that stops reading: it must not hold anyone back.
    const stalled = await openSocket(port!);
    cleanup.push(() => stalled.destroy());
    stalled.pause();
    stalled.write(Buffer.from('RFB 003.008\n'));

    const client = await RfbTestClient.connect(port!);
    cleanup.push(() => client.close());
    client.setEncodings([Encoding.Raw, Encoding.DesktopSize]);
    client.request(false);
    const sizes: string[] = [];
    let updates = 0;
    let done = false;
    const reading = (async () => {
      while (!done) {
        const u = await client.nextUpdate(); // throws on any rectangle outside the current size
        updates++;
        if (u.desktopSize) sizes.push(`${u.desktopSize.width}x${u.desktopSize.height}`);
        client.request(true);
      }
    })();
    await vm.runWorkload({ name: 'modestorm', frames: 60, seed: 3 });
    await vm.whenGuestsDone();
    await vm.settle();
    const frame = (await vm.frame())!;
    const stats = (await vm.stats()).compositor.displays[0]!;
    // The client catches up with the last frame: same size, same pixels.
    const want = new PixelConverter(SERVER_PIXEL_FORMAT).values(frame.pixels);
    const caughtUp = () => client.decoder.width === frame.width && client.decoder.height === frame.height && client.decoder.fb.every((v, i) => v === want[i]);
    const deadline = Date.now() + 10_000;
    while (!caughtUp() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    done = true;
    expect(caughtUp()).toBe(true);
    // 60 frames, a new mode every 3 cycling A, B, A, B…: twenty changes in flight. The client
    // follows at its own pace (changes between two of its updates fold into one DesktopSize), and
    // its last DesktopSize is the final mode.
    expect(stats.generation).toBeGreaterThanOrEqual(20);
    // Twenty mode changes with a VNC sink reading: the sink released every old store (none held
    // once it caught up), and the display's pool of three was enough (mode-storm.test.ts has 500).
    await eventually(async () => ((await vm.stats()).compositor.displays[0]!.heldStores === 0 ? true : null));
    expect(stats.frameStores).toBeLessThanOrEqual(3);
    expect(sizes.length).toBeGreaterThanOrEqual(1);
    expect(sizes.every((s) => s === '320x200' || s === '256x160')).toBe(true);
    expect(sizes.at(-1)).toBe(`${frame.width}x${frame.height}`);
    expect(frame.width).toBe(256); // frame 57 switched to mode (57 / 3) % 2 = 1
    expect(updates).toBeGreaterThan(sizes.length);
    expect(stats.frames).toBe(60);
    expect(stats.encodes + stats.staleEncodes).toBeGreaterThan(0);
    client.close();
    await reading.catch(() => undefined);
  });
});
