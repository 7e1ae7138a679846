// The server with scripted raw-socket clients: version negotiation and security for 3.3, 3.7 and
// 3.8, requests (non-incremental sends the area, incremental only damage), one update per request
// with damage merged in between, pixel formats and encodings, CopyRect hints, input and stats.
import { afterEach, describe, expect, it } from 'vitest';

import { PixelConverter, SERVER_PIXEL_FORMAT, type PixelFormat } from '../../../outputs/vnc/pixel-format.js';
import { Encoding } from '../../../outputs/vnc/rfb.js';
import type { VncServer } from '../../../outputs/vnc/server.js';
import { RfbTestClient } from '../../support/vnc-client/rfb-client.js';
import { startServer, TestSource, until } from './test-source.js';

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function setup(w = 96, h = 64, extra = {}) {
  const source = new TestSource(w, h);
  const { server, logs } = await startServer(source, extra);
  cleanup.push(() => server.close());
  return { source, server, logs };
}

async function client(server: VncServer, opts: Parameters<typeof RfbTestClient.connect>[1] = {}) {
  const c = await RfbTestClient.connect(server.port, opts);
  cleanup.push(() => c.close());
  return c;
}

function expected(source: TestSource, pf: PixelFormat = SERVER_PIXEL_FORMAT): Uint32Array {
  return new PixelConverter(pf).values(source.px);
}

describe('handshake and first frame', () => {
  it.each(['3.3', '3.7', '3.8'] as const)('RFB %s without a password', async (version) => {
    const { source, server } = await setup();
    const c = await client(server, { version });
    expect(c.name).toBe('pvg-vmm');
    expect(c.serverFormat).toEqual(SERVER_PIXEL_FORMAT);
    expect([c.decoder.width, c.decoder.height]).toEqual([96, 64]);
    c.request(false);
    const u = await c.nextUpdate();
    expect(u.rects).toEqual([{ x: 0, y: 0, width: 96, height: 64, encoding: Encoding.Raw }]);
    expect(c.decoder.fb).toEqual(expected(source));
    await until(() => server.clients()[0]?.version === version);
  });

  it.each(['3.3', '3.7', '3.8'] as const)('RFB %s with VNC Authentication', async (version) => {
    const { source, server } = await setup(32, 16, { password: 'opensesame' });
    const c = await client(server, { version, password: 'opensesame' });
    c.request(false);
    await c.nextUpdate();
    expect(c.decoder.fb).toEqual(expected(source));
  });

  // An empty password was taken as none: security None, no authentication.
  it('refuses to start with an empty password', async () => {
    await expect(setup(32, 16, { password: '' })).rejects.toThrow(
      new RangeError('VncServer: password must not be empty (leave it out to serve without authentication)'),
    );
  });

  it('refuses a wrong password: a 3.8 client is told why, and the server counts it', async () => {
    const { server, logs } = await setup(32, 16, { password: 'opensesame' });
    await expect(RfbTestClient.connect(server.port, { password: 'sesame' })).rejects.toThrow('security failed: Authentication failed');
    await expect(RfbTestClient.connect(server.port, { version: '3.3', password: 'x' })).rejects.toThrow('security failed');
    await until(() => server.stats().authFailures === 2);
    expect(logs.filter((l) => /wrong password/.test(l))).toHaveLength(2);
    expect(server.stats().clientsNow).toBe(0);
  });

  it('only the first 8 bytes of a password count (as in every VNC implementation)', async () => {
    const { server } = await setup(8, 8, { password: 'abcdefgh-ignored' });
    const c = await client(server, { password: 'abcdefgh' });
    c.request(false);
    await c.nextUpdate();
  });

  it('binds 127.0.0.1 unless told otherwise', async () => {
    const { server } = await setup(8, 8);
    const c = await client(server);
    expect(c.socket.remoteAddress).toBe('127.0.0.1');
  });
});

describe('requests and damage', () => {
  it('a non-incremental request sends the whole requested area', async () => {
    const { source, server } = await setup();
    const c = await client(server);
    c.request(false, 10, 5, 30, 20);
    const u = await c.nextUpdate();
    expect(u.rects).toEqual([{ x: 10, y: 5, width: 30, height: 20, encoding: Encoding.Raw }]);
    const want = expected(source);
    for (let y = 5; y < 25; y++) for (let x = 10; x < 40; x++) expect(c.decoder.fb[y * 96 + x]).toBe(want[y * 96 + x]);
  });

  it('an incremental request gets only what was damaged, and waits until there is some', async () => {
    const { source, server } = await setup();
    const c = await client(server);
    c.request(false);
    await c.nextUpdate();
    c.request(true);
    expect(await c.quietFor(150)).toBe(true);
    source.fill({ x: 20, y: 10, width: 7, height: 5 }, 0xffabcdef);
    server.damage([{ x: 20, y: 10, width: 7, height: 5 }]);
    const u = await c.nextUpdate();
    expect(u.rects).toEqual([{ x: 20, y: 10, width: 7, height: 5, encoding: Encoding.Raw }]);
    expect(c.decoder.fb).toEqual(expected(source));
  });

  it('sends one update per request and merges the damage in between', async () => {
    const { source, server } = await setup(96, 64, { maxDamageRects: 4 });
    const c = await client(server);
    c.request(false);
    await c.nextUpdate();
    for (let i = 0; i < 200; i++) {
      const r = { x: (i * 13) % 90, y: (i * 7) % 60, width: 3, height: 2 };
      source.fill(r, (0xff000000 | (i * 99991)) >>> 0);
      server.damage([r]);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(c.reader.buffered).toBe(0); // nothing asked, nothing sent
    expect(server.clients()[0]!.pendingRects).toBeLessThanOrEqual(4);
    c.request(true);
    c.request(true); // a second request before the answer merges with the first
    const u = await c.nextUpdate();
    expect(u.rects.length).toBeLessThanOrEqual(4);
    expect(c.decoder.fb).toEqual(expected(source));
    expect(await c.quietFor(150)).toBe(true);
    expect(server.stats().updatesSent).toBe(2);
  });

  it('an incremental request for part of the screen leaves the rest of the damage for later', async () => {
    const { source, server } = await setup();
    const c = await client(server);
    c.request(false);
    await c.nextUpdate();
    source.fill({ x: 0, y: 0, width: 96, height: 64 }, 0xff123456);
    server.damage([{ x: 0, y: 0, width: 96, height: 64 }]);
    c.request(true, 0, 0, 48, 64);
    const u = await c.nextUpdate();
    expect(u.rects).toEqual([{ x: 0, y: 0, width: 48, height: 64, encoding: Encoding.Raw }]);
    c.request(true);
    const v = await c.nextUpdate();
    expect(v.rects).toEqual([{ x: 48, y: 0, width: 48, height: 64, encoding: Encoding.Raw }]);
    expect(c.decoder.fb).toEqual(expected(source));
  });

  it('damage outside the display, empty or not numbers is ignored without throwing', async () => {
    const { server } = await setup();
    const c = await client(server);
    c.request(false);
    await c.nextUpdate();
    server.damage([
      { x: -50, y: -50, width: 10, height: 10 },
      { x: 0, y: 0, width: 0, height: 5 },
      { x: NaN, y: 0, width: 5, height: 5 },
    ]);
    server.copy({ x: NaN, y: 0 }, { x: 0, y: 0, width: 5, height: 5 });
    c.request(true);
    const u = await c.nextUpdate(); // the invalid copy became damage of its (valid) destination
    expect(u.rects).toEqual([{ x: 0, y: 0, width: 5, height: 5, encoding: Encoding.Raw }]);
  });
});

const FORMATS: Array<[string, PixelFormat]> = [
  [
    '32bpp BGR big-endian',
    { bitsPerPixel: 32, depth: 24, bigEndian: true, trueColour: true, redMax: 255, greenMax: 255, blueMax: 255, redShift: 0, greenShift: 8, blueShift: 16 },
  ],
  [
    '32bpp depth 30',
    {
      bitsPerPixel: 32,
      depth: 30,
      bigEndian: false,
      trueColour: true,
      redMax: 1023,
      greenMax: 1023,
      blueMax: 1023,
      redShift: 20,
      greenShift: 10,
      blueShift: 0,
    },
  ],
  [
    '16bpp 565 big-endian',
    { bitsPerPixel: 16, depth: 16, bigEndian: true, trueColour: true, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 },
  ],
  [
    '16bpp 555 little-endian',
    { bitsPerPixel: 16, depth: 15, bigEndian: false, trueColour: true, redMax: 31, greenMax: 31, blueMax: 31, redShift: 10, greenShift: 5, blueShift: 0 },
  ],
  [
    '8bpp BGR233',
    { bitsPerPixel: 8, depth: 8, bigEndian: false, trueColour: true, redMax: 7, greenMax: 7, blueMax: 3, redShift: 0, greenShift: 3, blueShift: 6 },
  ],
];

describe('pixel formats and encodings', () => {
  for (const [name, pf] of FORMATS) {
    for (const enc of [Encoding.Raw, Encoding.Zrle, Encoding.Tight]) {
      it(`${name}, encoding ${enc}: frames and damage decode to the source`, async () => {
        const { source, server } = await setup(150, 90);
        const c = await client(server);
        c.setPixelFormat(pf);
        c.setEncodings([enc]);
        c.request(false);
        const u = await c.nextUpdate();
        expect(u.rects.every((r) => r.encoding === enc)).toBe(true);
        expect(c.decoder.fb).toEqual(expected(source, pf));
        for (let i = 0; i < 3; i++) {
          const r = { x: 10 + i * 30, y: 5 + i * 20, width: 40, height: 30 };
          source.fill(r, (0xff000000 | (0x3f1d2a * (i + 1))) >>> 0);
          server.damage([r]);
          c.request(true);
          await c.nextUpdate();
          expect(c.decoder.fb).toEqual(expected(source, pf));
        }
      });
    }
  }

  it('follows the client preference order, and falls back to Raw', async () => {
    const { server } = await setup(16, 16);
    const c = await client(server);
    c.setEncodings([5, Encoding.Zrle, Encoding.Tight]); // Hextile (unsupported), then ZRLE
    c.request(false);
    expect((await c.nextUpdate()).rects[0]!.encoding).toBe(Encoding.Zrle);
    c.setEncodings([2, 4]); // only RRE, CoRRE
    c.request(false);
    expect((await c.nextUpdate()).rects[0]!.encoding).toBe(Encoding.Raw);
    expect(server.stats().rects).toMatchObject({ zrle: 1, raw: 1 });
  });
});

describe('CopyRect hints', () => {
  it('a client that takes CopyRect gets one, and ends up with the source', async () => {
    const { source, server } = await setup(120, 80);
    const c = await client(server);
    c.setEncodings([Encoding.CopyRect, Encoding.Raw]);
    c.request(false);
    await c.nextUpdate();
    const dst = { x: 40, y: 30, width: 50, height: 30 };
    source.move({ x: 5, y: 10 }, dst);
    server.copy({ x: 5, y: 10 }, dst);
    c.request(true);
    const u = await c.nextUpdate();
    expect(u.rects).toEqual([{ ...dst, encoding: Encoding.CopyRect }]);
    expect(c.decoder.fb).toEqual(expected(source));
    expect(server.stats()).toMatchObject({ copiesSent: 1, copiesAsDamage: 0 });
  });

  it('falls back to damage when the source area still waits to be sent, or CopyRect was not asked for', async () => {
    const { source, server } = await setup(120, 80);
    const a = await client(server);
    const b = await client(server);
    a.setEncodings([Encoding.CopyRect, Encoding.Raw]);
    b.setEncodings([Encoding.Raw]);
    for (const c of [a, b]) {
      c.request(false);
      await c.nextUpdate();
    }
    source.fill({ x: 0, y: 0, width: 20, height: 20 }, 0xff0000ff);
    server.damage([{ x: 0, y: 0, width: 20, height: 20 }]);
    const dst = { x: 60, y: 40, width: 20, height: 20 };
    source.move({ x: 0, y: 0 }, dst);
    server.copy({ x: 0, y: 0 }, dst);
    for (const c of [a, b]) {
      c.request(true);
      const u = await c.nextUpdate();
      expect(u.rects.every((r) => r.encoding === Encoding.Raw)).toBe(true);
      expect(c.decoder.fb).toEqual(expected(source));
    }
    expect(server.stats()).toMatchObject({ copiesSent: 0, copiesAsDamage: 2 });
  });

  it('never sends CopyRect to a client that was not told, even for a valid hint', async () => {
    const { source, server } = await setup(60, 40);
    const c = await client(server);
    c.setEncodings([Encoding.Zrle]);
    c.request(false);
    await c.nextUpdate();
    const dst = { x: 30, y: 20, width: 10, height: 10 };
    source.move({ x: 0, y: 0 }, dst);
    server.copy({ x: 0, y: 0 }, dst);
    c.request(true);
    expect((await c.nextUpdate()).rects).toEqual([{ ...dst, encoding: Encoding.Zrle }]);
  });
});

describe('input and stats', () => {
  it('counts pointer and key events and cut text, and hands input to the embedder', async () => {
    const pointers: number[][] = [];
    const keys: Array<[number, boolean]> = [];
    const { server, logs } = await setup(16, 16, {
      onPointer: (x: number, y: number, b: number) => {
        pointers.push([x, y, b]);
        if (b === 7) throw new Error('hook trouble');
      },
      onKey: (k: number, d: boolean) => keys.push([k, d]),
    });
    const c = await client(server);
    c.pointer(3, 4, 1);
    c.pointer(5, 6, 7);
    c.key(0x61, true);
    c.key(0x61, false);
    c.cutText('hello');
    c.request(false);
    await c.nextUpdate();
    expect(pointers).toEqual([
      [3, 4, 1],
      [5, 6, 7],
    ]);
    expect(keys).toEqual([
      [0x61, true],
      [0x61, false],
    ]);
    expect(server.stats()).toMatchObject({ pointerEvents: 2, keyEvents: 2, cutTexts: 1, clientsNow: 1, clientsTotal: 1, updatesSent: 1 });
    expect(logs.some((l) => /input hook threw: hook trouble/.test(l))).toBe(true);
    expect(server.stats().bytesSent).toBeGreaterThan(16 * 16 * 4);
  });

  it('several clients at once, each paced by its own requests', async () => {
    const { source, server } = await setup(40, 30);
    const cs = await Promise.all([0, 1, 2, 3].map(() => client(server)));
    for (const c of cs) c.request(false);
    for (const c of cs) await c.nextUpdate();
    source.fill({ x: 1, y: 1, width: 5, height: 5 }, 0xffffffff);
    server.damage([{ x: 1, y: 1, width: 5, height: 5 }]);
    cs[0]!.request(true);
    await cs[0]!.nextUpdate();
    expect(await cs[1]!.quietFor(100)).toBe(true);
    for (const c of cs.slice(1)) c.request(true);
    for (const c of cs.slice(1)) await c.nextUpdate();
    for (const c of cs) expect(c.decoder.fb).toEqual(expected(source));
    expect(server.stats()).toMatchObject({ clientsNow: 4, clientsTotal: 4, updatesSent: 8 });
  });
});
