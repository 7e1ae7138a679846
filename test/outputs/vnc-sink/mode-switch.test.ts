// Issue 16 item 7: a new mode's frame store is zero-filled until the mode's first frame lands in
// it. The display's real VNC sink worker must not show that store: a client keeps the last frame
// that existed, at its size, and gets the DesktopSize and the new frame together once the frame
// is there. (Before, the client got DesktopSize then an all-black frame, which a mode storm made
// all it ever saw.)
import { afterEach, describe, expect, it } from 'vitest';

import { DisplayFrames } from '../../../actors/compositor/display-frames.js';
import { VncSink } from '../../../outputs/vnc-sink/vnc-sink.js';
import { Encoding } from '../../../outputs/vnc/rfb.js';
import { PixelConverter, SERVER_PIXEL_FORMAT } from '../../../outputs/vnc/pixel-format.js';
import { EncodeStatus } from '../../../actors/device/engine-records.js';
import { createCursorSlot } from '../../../shared/display/cursor-slot.js';
import { createSurfacePool, SURFACE_HEADER_BYTES, SURFACES_PER_DISPLAY, SurfaceWord } from '../../../shared/display/surface-layout.js';
import { RfbTestClient } from '../../support/vnc-client/rfb-client.js';

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

describe('the VNC sink across a mode change', () => {
  it('keeps the last frame until the new mode has one, then sends its size and that frame', async () => {
    const surfaces = createSurfacePool(64, 48, SURFACES_PER_DISPLAY);
    const pending: { surface: number; generation: number }[] = [];
    const frames = new DisplayFrames(
      { device: 0, display: 0, serial: 1, surfaces, cursor: createCursorSlot(), engineInbound: new SharedArrayBuffer(8) },
      (generation, _w, _h, surface) => {
        pending.push({ surface, generation });
        return true;
      },
    );
    const surfaceBytes = surfaces.byteLength / SURFACES_PER_DISPLAY;
    const seq = 1; // the frame sequence the answers report (not checked here)
    /** The engine answers the oldest request with a whole frame of `colour`. */
    const draw = (w: number, h: number, colour: number) => {
      const req = pending.shift()!;
      const header = new Uint32Array(surfaces, req.surface * surfaceBytes, SURFACE_HEADER_BYTES / 4);
      new Uint32Array(surfaces, req.surface * surfaceBytes + SURFACE_HEADER_BYTES, w * h).fill(colour);
      header.set([w, h], SurfaceWord.Width);
      header[SurfaceWord.Height] = h;
      header[SurfaceWord.Generation] = req.generation;
      header[SurfaceWord.DamageCount] = 1;
      header.set([0, 0, w, h], SurfaceWord.Damage);
      frames.onEncodeDone(req.generation, EncodeStatus.Ok, seq, req.surface);
    };
    frames.onModeChange(64, 48, 1); // asks for an encode of the mode at once
    draw(64, 48, 0xff3366cc);
    const sink = await VncSink.start(frames, { port: 0, host: '127.0.0.1', name: 'switch' });
    frames.addSink(sink);
    cleanup.push(() => sink.close());

    const client = await RfbTestClient.connect(sink.port);
    cleanup.push(() => client.close());
    client.setEncodings([Encoding.Raw, Encoding.DesktopSize]);
    client.request(false);
    await client.nextUpdate();
    const values = (argb: number, n: number) => new PixelConverter(SERVER_PIXEL_FORMAT).values(new Uint32Array(n).fill(argb));
    expect(client.decoder.fb).toEqual(values(0xff3366cc, 64 * 48));

    // A new mode, no frame in it yet: the client, asking, gets nothing (no DesktopSize, no black).
    frames.onModeChange(32, 24, 2);
    expect(pending.map((p) => p.generation)).toEqual([2]); // asked, not answered yet
    client.request(true);
    expect(await client.quietFor(300)).toBe(true);
    expect([client.decoder.width, client.decoder.height]).toEqual([64, 48]);

    // Its first frame lands: DesktopSize, then (the request already outstanding) the frame.
    draw(32, 24, 0xffee8800);
    const u = await client.nextUpdate();
    expect(u.desktopSize).toEqual({ width: 32, height: 24 });
    client.request(true);
    await client.nextUpdate();
    expect(client.decoder.fb).toEqual(values(0xffee8800, 32 * 24));
  });
});
