// The server against a VNC client nobody here wrote: libvncclient, driven by
// test/support/vnc-client/capture.c. Frames must come out exactly (Raw, ZRLE, Tight; 32, 16 and
// 8 bits per pixel), VNC Authentication must let the right password in and keep a wrong one
// out, 3.3 and 3.7 must work (libvncclient speaks the version the server offers, so a proxy
// offers it 3.3 or 3.7), a mode change must arrive as DesktopSize, the cursor must arrive as a
// shape or painted in, a garbage client must not disturb it, nor a client that stops reading.
import { createServer, type Server } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { Encoding } from '../../../outputs/vnc/rfb.js';
import { buildCapture, expectedClientPixel, firstMismatch, startCapture, type CaptureOptions } from '../../support/vnc-client/client.js';
import { openSocket, RfbTestClient } from '../../support/vnc-client/rfb-client.js';
import { composeCursorReference, startServer, TestSource, testCursor, until } from './test-source.js';

const binary = await buildCapture();

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function setup(w = 320, h = 200, extra = {}) {
  const source = new TestSource(w, h);
  const { server, logs } = await startServer(source, extra);
  cleanup.push(() => server.close());
  return { source, server, logs };
}

function capture(opts: CaptureOptions) {
  const run = startCapture(binary, opts);
  cleanup.push(() => run.kill());
  return run;
}

const composedArgb = (source: TestSource) => composeCursorReference(source, 0xff);

/** Offers the client `version` instead of the server's 3.8; passes everything else through. */
async function versionProxy(target: number, version: '3.3' | '3.7'): Promise<number> {
  const proxy: Server = createServer((down) => {
    down.on('error', () => undefined);
    void openSocket(target).then((up) => {
      up.on('error', () => undefined);
      let head = Buffer.alloc(0);
      let rewritten = false;
      up.on('data', (c: Buffer) => {
        if (rewritten) return void down.write(c);
        head = Buffer.concat([head, c]);
        if (head.length < 12) return;
        rewritten = true;
        down.write(Buffer.concat([Buffer.from(`RFB 003.00${version.slice(2)}\n`, 'latin1'), head.subarray(12)]));
      });
      down.on('data', (c: Buffer) => up.write(c));
      up.on('close', () => down.destroy());
      down.on('close', () => up.destroy());
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => proxy.close(r)));
  const a = proxy.address();
  return typeof a === 'object' && a ? a.port : 0;
}

describe('libvncclient', () => {
  describe('frames are exact', () => {
    for (const encodings of ['raw', 'zrle', 'tight'] as const) {
      for (const bpp of [32, 16, 8] as const) {
        it(`${encodings}, ${bpp} bits per pixel: the first frame and an incremental update`, async () => {
          const { source, server } = await setup();
          const run = capture({ port: server.port, encodings, bpp, updates: 1 });
          await run.waitFor(/^update 1 /);
          // Change part of the picture after the first frame: the next update carries it.
          const r = { x: 37, y: 21, width: 150, height: 90 };
          source.fill(r, 0xff3366cc);
          source.fill({ x: 60, y: 40, width: 20, height: 20 }, 0xfffafafa);
          server.damage([r]);
          const res = await run.result;
          expect(res.code, res.lines.join('\n') + res.stderr).toBe(0);
          expect(res.frame).toMatchObject({ width: 320, height: 200, bytesPerPixel: bpp / 8 });
          expect(firstMismatch(res.frame!, source.px, source.w, source.h)).toBe(-1);
          const st = server.stats();
          expect(st.rects[encodings === 'raw' ? 'raw' : encodings]).toBeGreaterThanOrEqual(2);
          expect(st.updatesSent).toBe(2);
        });
      }
    }
  });

  describe('authentication and versions', () => {
    it('the right password gets in', async () => {
      const { source, server } = await setup(64, 40, { password: 'tr0ub4dor' });
      const res = await capture({ port: server.port, password: 'tr0ub4dor' }).result;
      expect(res.code, res.stderr).toBe(0);
      expect(firstMismatch(res.frame!, source.px, 64, 40)).toBe(-1);
    });

    it('a wrong password is refused, and libvncclient is told why', async () => {
      const { server, logs } = await setup(64, 40, { password: 'tr0ub4dor' });
      const res = await capture({ port: server.port, password: 'troubador' }).result;
      expect(res.code).toBe(2);
      expect(res.lines).toContain('init-failed');
      expect(res.stderr).toMatch(/Authentication failed/);
      expect(server.stats().authFailures).toBe(1);
      expect(logs.some((l) => /wrong password/.test(l))).toBe(true);
    });

    for (const version of ['3.3', '3.7'] as const) {
      it(`an RFB ${version} client (libvncclient offered ${version}), with and without a password`, async () => {
        for (const password of [undefined, 'pw']) {
          const { source, server } = await setup(64, 40, password ? { password } : {});
          const port = await versionProxy(server.port, version);
          const run = capture({ port, encodings: 'zrle', updates: 1, ...(password ? { password } : {}) });
          await run.waitFor(/^update 1 /);
          expect(server.clients().map((c) => c.version)).toEqual([version]);
          source.fill({ x: 5, y: 5, width: 20, height: 10 }, 0xff808000);
          server.damage([{ x: 5, y: 5, width: 20, height: 10 }]);
          const res = await run.result;
          expect(res.code, res.stderr).toBe(0);
          expect(firstMismatch(res.frame!, source.px, 64, 40)).toBe(-1);
          await server.close();
        }
      });
    }
  });

  it('a mode change arrives as DesktopSize, and the next frame matches at the new size', async () => {
    const { source, server } = await setup(320, 200);
    const run = capture({ port: server.port, encodings: 'tight', untilResize: true });
    await run.waitFor(/^update 1 /);
    source.resize(200, 150, 3);
    server.resize();
    const res = await run.result;
    expect(res.code, res.lines.join('\n')).toBe(0);
    expect(res.lines).toContain('resize 200 150');
    expect(firstMismatch(res.frame!, source.px, 200, 150)).toBe(-1);
  });

  describe('the cursor', () => {
    it('a client that asks for the Cursor pseudo-encoding gets the shape, and frames without it', async () => {
      const { source, server } = await setup(120, 80);
      source.cur = testCursor(40, 30);
      const run = capture({ port: server.port, cursor: 'rich', updates: 1 });
      await run.waitFor(/^update 1 /);
      source.cur = { ...source.cur, x: 90, y: 60 };
      server.cursorMoved(); // libvncclient asked for PointerPos too
      const res = await run.result;
      expect(res.code, res.stderr).toBe(0);
      expect(res.lines).toContain('cursor rich 8 8 2 3');
      expect(res.lines).toContain('pointer 90 60');
      const c = res.cursor!;
      expect(c).toMatchObject({ kind: 'rich', width: 8, height: 8, hotX: 2, hotY: 3, bytesPerPixel: 4 });
      for (let i = 0; i < 64; i++) {
        const p = source.cur.argb[i]!;
        expect(c.data.readUInt32LE(i * 4) & 0xffffff).toBe(expectedClientPixel(p, 32));
        expect(c.data[256 + i]).toBe(p >>> 24 >= 128 ? 1 : 0);
      }
      expect(firstMismatch(res.frame!, source.px, 120, 80)).toBe(-1);
    });

    it('a client that asks for CursorWithAlpha gets premultiplied RGBA', async () => {
      const { source, server } = await setup(120, 80);
      source.cur = testCursor(40, 30);
      const res = await capture({ port: server.port, cursor: 'alpha' }).result;
      expect(res.code, res.stderr).toBe(0);
      expect(res.lines).toContain('cursor alpha 8 8 2 3');
      const c = res.cursor!;
      for (let i = 0; i < 64; i++) {
        const p = source.cur.argb[i]!;
        const a = p >>> 24;
        const pm = (sh: number) => Math.round((((p >>> sh) & 255) * a) / 255);
        expect([...c.data.subarray(i * 4, i * 4 + 4)]).toEqual([pm(16), pm(8), pm(0), a]);
      }
      expect(firstMismatch(res.frame!, source.px, 120, 80)).toBe(-1);
    });

    it('a client that asks for neither gets it painted in, and moving it leaves no trail', async () => {
      const { source, server } = await setup(120, 80);
      source.cur = testCursor(40, 30);
      const run = capture({ port: server.port, encodings: 'zrle', updates: 1 });
      await run.waitFor(/^update 1 /);
      source.cur = { ...source.cur, x: 100, y: 70 };
      server.cursorMoved();
      const res = await run.result;
      expect(res.code, res.stderr).toBe(0);
      expect(res.lines.some((l) => l.startsWith('cursor'))).toBe(false);
      expect(firstMismatch(res.frame!, composedArgb(source), 120, 80)).toBe(-1);
    });
  });

  it('CopyRect hints reach a client that lists CopyRect', async () => {
    const { source, server } = await setup(160, 100);
    const run = capture({ port: server.port, encodings: 'copyrect zrle', updates: 1 });
    await run.waitFor(/^update 1 /);
    const dst = { x: 70, y: 40, width: 60, height: 50 };
    source.move({ x: 10, y: 5 }, dst);
    server.copy({ x: 10, y: 5 }, dst);
    const res = await run.result;
    expect(res.code, res.stderr).toBe(0);
    expect(server.stats()).toMatchObject({ copiesSent: 1, rects: { copyRect: 1 } });
    expect(firstMismatch(res.frame!, source.px, 160, 100)).toBe(-1);
  });

  it('input from libvncclient is counted', async () => {
    const { server } = await setup(32, 32);
    const res = await capture({ port: server.port, pointer: [10, 20], key: 0x61, cut: 'hello' }).result;
    expect(res.code).toBe(0);
    await until(() => server.stats().cutTexts === 1);
    expect(server.stats()).toMatchObject({ pointerEvents: 1, keyEvents: 2, cutTexts: 1 });
  });

  it('garbage from another connection closes that one only', async () => {
    const { source, server } = await setup(120, 80);
    const run = capture({ port: server.port, encodings: 'tight', updates: 1 });
    await run.waitFor(/^update 1 /);
    const bad = await RfbTestClient.connect(server.port);
    cleanup.push(() => bad.close());
    bad.write(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    expect(await bad.reader.closedWithin()).toBe(true);
    source.fill({ x: 0, y: 0, width: 50, height: 50 }, 0xff00aa00);
    server.damage([{ x: 0, y: 0, width: 50, height: 50 }]);
    const res = await run.result;
    expect(res.code).toBe(0);
    expect(firstMismatch(res.frame!, source.px, 120, 80)).toBe(-1);
    expect(server.stats().malformedCloses).toBe(1);
  });

  it('a client that stops reading does not hold up libvncclient, and stays bounded', async () => {
    const maxQueuedBytes = 256 * 1024;
    const { source, server } = await setup(320, 200, { maxQueuedBytes });
    const slow = await RfbTestClient.connect(server.port);
    cleanup.push(() => slow.close());
    slow.setEncodings([Encoding.Raw]);
    slow.request(false);
    await slow.nextUpdate();
    slow.socket.pause();
    const asks = setInterval(() => slow.request(false), 2);
    cleanup.push(() => clearInterval(asks));
    const run = capture({ port: server.port, encodings: 'raw', updates: 200, timeoutMs: 50_000 });
    await run.waitFor(/^update 1 /);
    let done = false;
    void run.result.then(() => (done = true));
    let maxQueued = 0;
    let frames = 0;
    while (!done) {
      source.pattern(frames++);
      server.damage([{ x: 0, y: 0, width: 320, height: 200 }]);
      await new Promise((r) => setTimeout(r, 4));
      const slowInfo = server.clients().find((c) => c.id === 1);
      maxQueued = Math.max(maxQueued, slowInfo?.queuedBytes ?? 0);
    }
    const res = await run.result;
    expect(res.code, res.lines.join('\n')).toBe(0);
    expect(res.lines).toContain('update 201 rects 1');
    expect(server.stats().deferredForBacklog).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(maxQueuedBytes + 320 * 200 * 4 + 16);
    expect(frames).toBeGreaterThanOrEqual(200);
  }, 60_000);
});
