// The cursor through the server: clients that asked for Cursor or CursorWithAlpha get the shape
// (and PointerPos when asked), the others get it painted into their pixels, and when it moves or
// changes both the old and the new place are repainted, so no trail is left.
import { afterEach, describe, expect, it } from 'vitest';

import { PixelConverter, SERVER_PIXEL_FORMAT } from '../../../outputs/vnc/pixel-format.js';
import { Encoding } from '../../../outputs/vnc/rfb.js';
import type { CursorImage } from '../../../outputs/vnc/types.js';
import { RfbTestClient } from '../../support/vnc-client/rfb-client.js';
import { composeCursorReference, startServer, TestSource, testCursor } from './test-source.js';

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function setup(cursor: CursorImage | null) {
  const source = new TestSource(80, 60);
  source.cur = cursor;
  const { server, logs } = await startServer(source);
  cleanup.push(() => server.close());
  const connect = async (encodings: number[]) => {
    const c = await RfbTestClient.connect(server.port);
    cleanup.push(() => c.close());
    c.setEncodings(encodings);
    return c;
  };
  return { source, server, logs, connect };
}

/** The source with the cursor painted in, by the test's own float SourceOver. */
function composed(source: TestSource): Uint32Array {
  return new PixelConverter(SERVER_PIXEL_FORMAT).values(source.cur?.visible ? composeCursorReference(source, 0) : Uint32Array.from(source.px));
}

const plain = (source: TestSource) => new PixelConverter(SERVER_PIXEL_FORMAT).values(source.px);

describe('a client that draws the cursor itself', () => {
  it('Cursor (-239): gets the shape with the hotspot, and pixels without the cursor', async () => {
    const { source, server, connect } = await setup(testCursor(30, 20));
    const c = await connect([Encoding.Raw, Encoding.Cursor]);
    c.request(false);
    const u = await c.nextUpdate();
    expect(u.cursor).toMatchObject({ kind: 'rich', width: 8, height: 8, hotX: 2, hotY: 3 });
    const conv = new PixelConverter(SERVER_PIXEL_FORMAT);
    expect(u.cursor!.pixels).toEqual(conv.values(source.cur!.argb));
    expect(Array.from(u.cursor!.mask!)).toEqual(Array.from(source.cur!.argb, (p) => (p >>> 24 >= 128 ? 1 : 0)));
    expect(c.decoder.fb).toEqual(plain(source));
    expect(server.clients()[0]!.cursorMode).toBe('cursor');
  });

  it('CursorWithAlpha (-314) is preferred: premultiplied R, G, B, A', async () => {
    const { source, connect } = await setup(testCursor(30, 20));
    const c = await connect([Encoding.Raw, Encoding.Cursor, Encoding.CursorWithAlpha]);
    c.request(false);
    const u = await c.nextUpdate();
    expect(u.cursor).toMatchObject({ kind: 'alpha', width: 8, height: 8, hotX: 2, hotY: 3 });
    const pm = (p: number) => {
      const a = p >>> 24;
      const ch = (sh: number) => Math.round((((p >>> sh) & 255) * a) / 255);
      return ((a << 24) | (ch(16) << 16) | (ch(8) << 8) | ch(0)) >>> 0;
    };
    expect(Array.from(u.cursor!.pixels)).toEqual(Array.from(source.cur!.argb, pm));
  });

  it('a new glyph goes out alone; hiding it sends one transparent pixel', async () => {
    const { source, server, connect } = await setup(testCursor(30, 20));
    const c = await connect([Encoding.Raw, Encoding.Cursor]);
    c.request(false);
    await c.nextUpdate();
    source.cur = testCursor(30, 20, 5);
    server.cursorChanged();
    c.request(true);
    const u = await c.nextUpdate();
    expect(u.rects.map((r) => r.encoding)).toEqual([Encoding.Cursor]);
    expect(u.cursor).toMatchObject({ width: 5, height: 5 });
    source.cur = { ...source.cur, visible: false };
    server.cursorChanged();
    c.request(true);
    const v = await c.nextUpdate();
    expect(v.cursor).toMatchObject({ width: 1, height: 1 });
    expect(Array.from(v.cursor!.mask!)).toEqual([0]);
  });

  it('PointerPos (-232) reports moves; without it, moves send nothing', async () => {
    const { source, server, connect } = await setup(testCursor(30, 20));
    const withPos = await connect([Encoding.Raw, Encoding.Cursor, Encoding.PointerPos]);
    const without = await connect([Encoding.Raw, Encoding.Cursor]);
    for (const c of [withPos, without]) {
      c.request(false);
      await c.nextUpdate();
    }
    source.cur = { ...source.cur!, x: 50, y: 40 };
    server.cursorMoved();
    withPos.request(true);
    without.request(true);
    const u = await withPos.nextUpdate();
    expect(u.pointer).toEqual({ x: 50, y: 40 });
    expect(await without.quietFor(150)).toBe(true);
  });
});

describe('a client that does not draw the cursor', () => {
  it('gets it painted in at the hotspot, blended, clipped at the edges', async () => {
    for (const [x, y] of [
      [30, 20],
      [0, 0],
      [79, 59],
      [-3, 58],
    ]) {
      const { source, connect } = await setup(testCursor(x!, y!));
      const c = await connect([Encoding.Zrle]);
      c.request(false);
      await c.nextUpdate();
      expect(c.decoder.fb).toEqual(composed(source));
    }
  });

  it('leaves no trail: each move repaints the old and the new place', async () => {
    const { source, server, connect } = await setup(testCursor(10, 10));
    const c = await connect([Encoding.Raw]);
    c.request(false);
    await c.nextUpdate();
    // Several moves between two requests, and moves with a request each.
    for (const [x, y] of [
      [20, 12],
      [40, 30],
      [41, 31],
    ]) {
      source.cur = { ...source.cur!, x: x!, y: y! };
      server.cursorMoved();
    }
    c.request(true);
    const u = await c.nextUpdate();
    expect(c.decoder.fb).toEqual(composed(source));
    const sent = u.rects.reduce((s, r) => s + r.width * r.height, 0);
    expect(sent).toBeLessThan(80 * 60); // only around the cursor, not the whole frame
    for (const [x, y] of [
      [70, 50],
      [78, 58],
      [5, 5],
    ]) {
      source.cur = { ...source.cur!, x: x!, y: y! };
      server.cursorMoved();
      c.request(true);
      await c.nextUpdate();
      expect(c.decoder.fb).toEqual(composed(source));
    }
    source.cur = { ...source.cur!, visible: false };
    server.cursorChanged();
    c.request(true);
    await c.nextUpdate();
    expect(c.decoder.fb).toEqual(plain(source));
  });

  it('leaves no trail even when the cursor appeared without cursorChanged()', async () => {
    const { source, server, connect } = await setup(null);
    const c = await connect([Encoding.Raw]);
    source.cur = testCursor(20, 20); // the server was not told
    c.request(false);
    await c.nextUpdate();
    expect(c.decoder.fb).toEqual(composed(source));
    source.cur = { ...source.cur, x: 60, y: 40 };
    server.cursorMoved(); // it believes the cursor was nowhere before: what it painted says otherwise
    c.request(true);
    await c.nextUpdate();
    expect(c.decoder.fb).toEqual(composed(source));
  });

  it('repaints correctly when the client switches to a local cursor and back', async () => {
    const { source, connect } = await setup(testCursor(30, 20));
    const c = await connect([Encoding.Raw]);
    c.request(false);
    await c.nextUpdate();
    expect(c.decoder.fb).toEqual(composed(source));
    c.setEncodings([Encoding.Raw, Encoding.Cursor]);
    c.request(true);
    const u = await c.nextUpdate();
    expect(u.cursor).not.toBeNull();
    expect(c.decoder.fb).toEqual(plain(source));
    c.setEncodings([Encoding.Raw]);
    c.request(true);
    await c.nextUpdate();
    expect(c.decoder.fb).toEqual(composed(source));
  });
});
