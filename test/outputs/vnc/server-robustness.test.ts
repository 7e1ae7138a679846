// What clients can do wrong, and what the display can do to them: malformed input closes that
// client only (one log line, never a throw), mode changes reach clients as DesktopSize, and a
// client that stops reading neither slows the others nor makes the server hold unbounded data.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

import { PixelConverter, SERVER_PIXEL_FORMAT } from '../../../outputs/vnc/pixel-format.js';
import { Encoding } from '../../../outputs/vnc/rfb.js';
import type { VncServer } from '../../../outputs/vnc/server.js';
import { openSocket, RfbTestClient, SocketReader } from '../../support/vnc-client/rfb-client.js';
import { startServer, TestSource, until } from './test-source.js';

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function setup(w = 64, h = 48, extra = {}) {
  const source = new TestSource(w, h);
  const { server, logs } = await startServer(source, extra);
  cleanup.push(() => server.close());
  return { source, server, logs };
}

async function client(server: VncServer, encodings: number[] = [Encoding.Raw]) {
  const c = await RfbTestClient.connect(server.port);
  cleanup.push(() => c.close());
  c.setEncodings(encodings);
  return c;
}

const values = (s: TestSource) => new PixelConverter(SERVER_PIXEL_FORMAT).values(s.px);

/** A healthy client still gets a correct update. */
async function stillServes(server: VncServer, source: TestSource, c: RfbTestClient): Promise<void> {
  source.fill({ x: 0, y: 0, width: 8, height: 8 }, (0xff000000 | (Math.random() * 0xffffff)) >>> 0);
  server.damage([{ x: 0, y: 0, width: 8, height: 8 }]);
  c.request(true);
  await c.nextUpdate();
  expect(c.decoder.fb).toEqual(values(source));
}

const MALFORMED: Array<[string, Buffer, boolean, RegExp]> = [
  // [what, bytes, after the handshake?, log line]
  ['garbage instead of a version', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), false, /bad ProtocolVersion/],
  ['a message before the handshake', Buffer.from([3, 0, 0, 0, 0, 0, 0, 10, 0, 10, 0, 0]), false, /bad ProtocolVersion/],
  ['an unknown message type', Buffer.from([42, 1, 2, 3]), true, /unknown message type 42/],
  ['65535 encodings', Buffer.from([2, 0, 0xff, 0xff]), true, /65535 encodings/],
  ['a colour-map pixel format', Buffer.from([0, 0, 0, 0, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), true, /colour-map/],
  ['a 24-bit pixel format', Buffer.from([0, 0, 0, 0, 24, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]), true, /bits-per-pixel 24/],
  ['4 GiB of cut text', Buffer.from([6, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), true, /ClientCutText of 4294967295/],
];

describe('malformed clients', () => {
  it.each(MALFORMED)('%s closes that client only, with one log line', async (_what, bytes, afterHandshake, why) => {
    const { source, server, logs } = await setup();
    const good = await client(server);
    good.request(false);
    await good.nextUpdate();
    const bad = afterHandshake ? await RfbTestClient.connect(server.port) : await RfbTestClient.open(server.port);
    cleanup.push(() => bad.close());
    bad.write(bytes);
    expect(await bad.reader.closedWithin()).toBe(true);
    await until(() => server.stats().malformedCloses === 1);
    const lines = logs.filter((l) => / closed: /.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(why);
    await stillServes(server, source, good);
    expect(server.stats().clientsNow).toBe(1);
  });

  it('random bytes after the handshake never hurt the server or another client', async () => {
    const { source, server } = await setup();
    const good = await client(server);
    good.request(false);
    await good.nextUpdate();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (junk) => {
        const bad = await RfbTestClient.connect(server.port);
        bad.write(junk);
        await new Promise((r) => setTimeout(r, 5));
        bad.close();
      }),
      { numRuns: 40 },
    );
    await stillServes(server, source, good);
  });

  it('random bytes during the handshake never hurt the server either', async () => {
    const { source, server } = await setup(64, 48, { password: 'pw' });
    const good = await RfbTestClient.connect(server.port, { password: 'pw' });
    cleanup.push(() => good.close());
    good.request(false);
    await good.nextUpdate();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('', 'RFB 003.008\n', 'RFB 003.003\n', 'RFB 003.007\n\x02'), fc.uint8Array({ maxLength: 64 }), async (prefix, junk) => {
        const s = await openSocket(server.port);
        s.on('error', () => undefined);
        s.write(Buffer.concat([Buffer.from(prefix, 'latin1'), junk]));
        await new Promise((r) => setTimeout(r, 5));
        s.destroy();
      }),
      { numRuns: 40 },
    );
    await stillServes(server, source, good);
  });

  it('a source that hands out too few pixels costs one log line, not a crash', async () => {
    const { source, server, logs } = await setup(32, 32);
    const c = await client(server);
    const real = source.px;
    source.px = new Uint32Array(10);
    c.request(false);
    expect(await c.quietFor(150)).toBe(true);
    c.request(false);
    expect(await c.quietFor(100)).toBe(true);
    expect(logs.filter((l) => /source gave 10 pixels for 32x32/.test(l))).toHaveLength(1);
    source.px = real;
    server.damage([{ x: 0, y: 0, width: 32, height: 32 }]);
    await c.nextUpdate();
    expect(c.decoder.fb).toEqual(values(source));
  });

  it('a client that never finishes the handshake is dropped', async () => {
    const { server, logs } = await setup(8, 8, { handshakeTimeoutMs: 100 });
    const s = await openSocket(server.port);
    const r = new SocketReader(s);
    cleanup.push(() => s.destroy());
    expect(await r.closedWithin(3000)).toBe(true);
    expect(server.stats().handshakeTimeouts).toBe(1);
    expect(logs.some((l) => /handshake not finished within 100 ms/.test(l))).toBe(true);
  });

  it('refuses clients beyond maxClients', async () => {
    const { server, logs } = await setup(8, 8, { maxClients: 2 });
    await client(server);
    await client(server);
    const s = await openSocket(server.port);
    const r = new SocketReader(s);
    cleanup.push(() => s.destroy());
    expect(await r.closedWithin(3000)).toBe(true);
    expect(server.stats()).toMatchObject({ refusedClients: 1, clientsNow: 2 });
    expect(logs.some((l) => /2 clients already connected/.test(l))).toBe(true);
  });

  it('close() disconnects everyone and stops listening', async () => {
    const source = new TestSource(8, 8);
    const { server } = await startServer(source);
    const c = await RfbTestClient.connect(server.port);
    await server.close();
    expect(await c.reader.closedWithin()).toBe(true);
    await expect(openSocket(server.port)).rejects.toThrow();
  });
});

describe('mode changes', () => {
  it('a DesktopSize client gets the new size alone, then the whole new frame', async () => {
    const { source, server } = await setup(64, 48);
    const c = await client(server, [Encoding.Tight, Encoding.DesktopSize]);
    c.request(false);
    await c.nextUpdate();
    source.resize(100, 30);
    server.resize();
    c.request(true);
    const u = await c.nextUpdate();
    expect(u.rects).toEqual([{ x: 0, y: 0, width: 100, height: 30, encoding: Encoding.DesktopSize }]);
    c.request(true); // even an incremental request gets the whole new frame
    await c.nextUpdate();
    expect(c.decoder.fb).toEqual(values(source));
    expect(server.stats().rects.desktopSize).toBe(1);
  });

  it('a client that connects before the display has a mode gets 1x1, never 0x0, then the first mode as a DesktopSize', async () => {
    // TigerVNC refuses a 0x0 framebuffer ("Attempted to configure an invalid screen layout") and
    // disconnects; a viewer started with the VM would otherwise never see it.
    const { source, server } = await setup(64, 48);
    source.resize(0, 0);
    server.resize();
    const c = await client(server, [Encoding.Raw, Encoding.DesktopSize]);
    expect([c.decoder.width, c.decoder.height]).toEqual([1, 1]);
    c.request(false);
    source.resize(80, 60);
    server.resize();
    expect((await c.nextUpdate()).desktopSize).toEqual({ width: 80, height: 60 });
    c.request(true);
    await c.nextUpdate();
    expect(c.decoder.fb).toEqual(values(source));
  });

  it('a request naming the old size, sent before the client took in the DesktopSize, gets the whole new frame', async () => {
    // Viewers ask for the next update when one starts (TigerVNC), so the request after a
    // DesktopSize often names the old size; the client has nothing of the new framebuffer.
    const { source, server } = await setup(64, 48);
    const c = await client(server, [Encoding.Raw, Encoding.DesktopSize]);
    c.request(false);
    await c.nextUpdate();
    source.resize(100, 90);
    server.resize();
    c.request(true, 0, 0, 64, 48);
    expect((await c.nextUpdate()).desktopSize).not.toBeNull();
    c.request(true, 0, 0, 64, 48);
    await c.nextUpdate();
    expect(c.decoder.fb).toEqual(values(source));
    // After that, requests mean what they say again.
    source.fill({ x: 80, y: 80, width: 10, height: 10 }, 0xff123456);
    server.damage([{ x: 80, y: 80, width: 10, height: 10 }]);
    c.request(true, 0, 0, 64, 48);
    expect(await c.quietFor(100)).toBe(true);
  });

  it('a size that comes back before the client asks sends no DesktopSize, just the frame', async () => {
    const { source, server } = await setup(64, 48);
    const c = await client(server, [Encoding.Raw, Encoding.DesktopSize]);
    c.request(false);
    await c.nextUpdate();
    source.resize(32, 32);
    server.resize();
    source.resize(64, 48, 9);
    server.resize();
    c.request(true);
    const u = await c.nextUpdate();
    expect(u.desktopSize).toBeNull();
    expect(c.decoder.fb).toEqual(values(source));
  });

  it('a mode change before the client has sent SetEncodings waits to see what it supports', async () => {
    const { source, server } = await setup(64, 48);
    const able = await RfbTestClient.connect(server.port);
    const unable = await RfbTestClient.connect(server.port);
    cleanup.push(
      () => able.close(),
      () => unable.close(),
    );
    await until(() => server.clients().every((c) => c.ready));
    source.resize(40, 30);
    server.resize();
    able.setEncodings([Encoding.Raw, Encoding.DesktopSize]);
    unable.setEncodings([Encoding.Raw]);
    able.request(false);
    unable.request(false);
    expect((await able.nextUpdate()).desktopSize).toEqual({ width: 40, height: 30 });
    expect(await unable.reader.closedWithin()).toBe(true);
    expect(server.stats().resizeCloses).toBe(1);
  });

  it('a client that cannot follow a mode change is closed, with a log line', async () => {
    const { source, server, logs } = await setup(64, 48);
    const old = await client(server, [Encoding.Raw]);
    old.request(false);
    await old.nextUpdate();
    source.resize(80, 40);
    server.resize();
    expect(await old.reader.closedWithin()).toBe(true);
    expect(server.stats().resizeCloses).toBe(1);
    expect(logs.some((l) => /no DesktopSize/.test(l))).toBe(true);
  });
});

describe('a client that stops reading', () => {
  it('does not slow a fast client, and what the server holds for it stays bounded', async () => {
    const W = 256;
    const H = 256;
    const maxQueuedBytes = 256 * 1024;
    const { source, server } = await setup(W, H, { maxQueuedBytes });
    const fast = await client(server, [Encoding.Raw]);
    const slow = await client(server, [Encoding.Raw]);
    slow.request(false);
    await slow.nextUpdate();
    slow.socket.pause(); // reads no more: the kernel buffers fill, then the server's queue would
    fast.request(false);
    await fast.nextUpdate();

    let fastUpdates = 0;
    let fastRunning = true;
    const fastLoop = (async () => {
      while (fastRunning) {
        fast.request(true);
        await fast.nextUpdate();
        fastUpdates++;
      }
    })();
    // The slow client keeps asking (it writes, it just never reads).
    const asks = setInterval(() => slow.request(false), 2);
    let maxQueued = 0;
    const fullFrame = W * H * 4 + 16;
    // At least 400 changes, and on until the slow client's socket has filled (on a loaded
    // machine that may take longer: the kernel's buffers absorb several updates first).
    for (let i = 0; i < 400 || (server.stats().deferredForBacklog === 0 && i < 5000); i++) {
      source.pattern(i + 2);
      server.damage([{ x: 0, y: 0, width: W, height: H }]);
      await new Promise((r) => setTimeout(r, 3));
      const info = server.clients().find((c) => c.id === 2);
      maxQueued = Math.max(maxQueued, info?.queuedBytes ?? 0);
    }
    clearInterval(asks);
    // The fast client has a request outstanding: one last change answers it and ends its loop.
    fastRunning = false;
    source.pattern(999);
    server.damage([{ x: 0, y: 0, width: W, height: H }]);
    await fastLoop;
    // Under load the server may have answered that request before the last change (with an
    // earlier pattern still on its way when the loop was told to stop): the change then waits in
    // the fast client's damage for its next request, as it must. Ask until none is left; a lost
    // update would leave the frame old with nothing pending.
    const fastInfo = () => server.clients().find((c) => c.id === 1)!;
    let lateAsks = 0;
    while (fastInfo().pendingRects > 0 && lateAsks < 4) {
      lateAsks++;
      fast.request(true);
      await fast.nextUpdate();
    }
    expect(lateAsks).toBeLessThanOrEqual(1); // one round trip at most
    expect(fast.decoder.fb).toEqual(values(source));

    const st = server.stats();
    // The slow client was held back (its socket filled), yet the fast one kept getting frames.
    expect(st.deferredForBacklog).toBeGreaterThan(0);
    expect(fastUpdates).toBeGreaterThan(50);
    // At most one update beyond the limit is ever queued for it.
    expect(maxQueued).toBeLessThanOrEqual(maxQueuedBytes + fullFrame);
    expect(st.maxQueuedBytes).toBeLessThanOrEqual(maxQueuedBytes + fullFrame);
    expect(server.clients().find((c) => c.id === 2)!.pendingRects).toBeLessThanOrEqual(16);
  }, 60_000);
});
