// The viewer without a browser: routes, what may be served from the noVNC package, the WebSocket
// bridge against the real VNC server and against misbehaving TCP peers, buffering bounds, close().
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';

import { VncServer } from '../../../outputs/vnc/server.js';
import { WebViewer } from '../../../outputs/web/index.js';
import { novncRoot, packageFile } from '../../../outputs/web/static-files.js';
import { TestSource, until } from '../vnc/test-source.js';
import { ByteReader, closed, closeTcpServer, get, openSocket, tcpHandles, tcpServer } from './helpers.js';

describe('web viewer: HTTP', () => {
  let vnc: VncServer;
  let viewer: WebViewer;
  const logs: string[] = [];

  beforeAll(async () => {
    vnc = await VncServer.listen({ source: new TestSource(64, 48), port: 0, log: () => undefined });
    viewer = await WebViewer.listen({
      port: 0,
      displays: [{ label: `main <one> & "two" 'x'`, vncPort: vnc.port }],
      log: (l) => logs.push(l),
    });
  });
  afterAll(async () => {
    await viewer.close();
    await vnc.close();
  });

  it('lists the displays and serves a page per display', async () => {
    expect(viewer.url(0)).toBe(`http://127.0.0.1:${viewer.port}/display/0`);
    expect(() => viewer.url(1)).toThrow(RangeError);
    const index = await get(viewer.port, '/');
    expect(index.status).toBe(200);
    expect(index.type).toBe('text/html; charset=utf-8');
    expect(index.body).toContain('href="/display/0"');
    // Labels are escaped, with the project's one markup escaper (shared/svg/xml.ts).
    const label = 'main &lt;one&gt; &amp; &quot;two&quot; &#39;x&#39;';
    expect(index.body).toContain(label);
    const page = await get(viewer.port, '/display/0?scale=0');
    expect(page.status).toBe(200);
    expect(page.body).toContain('src="/viewer.js"');
    expect(page.body).toContain(`<title>${label} — pvg-vmm</title>`);
    expect(page.csp).toContain("default-src 'self'");
    expect((await get(viewer.port, '/viewer.js')).type).toBe('text/javascript; charset=utf-8');
    expect((await get(viewer.port, '/viewer.css')).type).toBe('text/css; charset=utf-8');
    const head = await get(viewer.port, '/display/0', 'HEAD');
    expect([head.status, head.body]).toEqual([200, '']);
    expect((await get(viewer.port, '/', 'POST')).status).toBe(405);
  });

  it('serves noVNC and its vendored pako from the package', async () => {
    const rfb = await get(viewer.port, '/novnc/core/rfb.js');
    expect(rfb.status).toBe(200);
    expect(rfb.type).toBe('text/javascript; charset=utf-8');
    expect(rfb.body).toContain('export default class RFB');
    const pako = await get(viewer.port, '/novnc/vendor/pako/lib/zlib/inflate.js');
    expect(pako.status).toBe(200);
  });

  it.each([
    '/novnc/../package.json',
    '/novnc/../../../../../../etc/passwd',
    '/novnc/..%2f..%2fpackage.json',
    '/novnc/%2e%2e/%2e%2e/package.json',
    '/novnc/core/..%2f..%2f..%2fpackage.json',
    '/novnc/core/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/novnc//etc/passwd',
    '/novnc/%00core/rfb.js',
    '/novnc/..%5c..%5cpackage.json',
    '/novnc/package.json', // inside, but not a type the page needs
    '/novnc/core', // a directory
    '/novnc/core/nothing-here.js',
    '/novnc/',
    '/display/1',
    '/display/01',
    '/display/x',
    '/websockify/0', // a plain GET, not an upgrade
    '/favicon.ico',
    '/../../etc/passwd',
  ])('answers 404 for %s', async (path) => {
    const before = viewer.stats().notFound;
    const res = await get(viewer.port, path);
    expect(res.status).toBe(404);
    expect(res.body).toBe('not found\n');
    expect(viewer.stats().notFound).toBe(before + 1);
  });

  it('answers 400 for a path that does not decode', async () => {
    expect((await get(viewer.port, '/novnc/%E0%A4%A')).status).toBe(400);
  });

  it('never serves a file reached through a symlink leading out of the package', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pvg-web-'));
    try {
      await mkdir(join(dir, 'pkg', 'core'), { recursive: true });
      await writeFile(join(dir, 'pkg', 'core', 'ok.js'), 'ok');
      await writeFile(join(dir, 'secret.js'), 'secret');
      await symlink(join(dir, 'secret.js'), join(dir, 'pkg', 'core', 'link.js'));
      const root = join(dir, 'pkg');
      expect(await packageFile(root, 'core/ok.js')).not.toBeNull();
      expect(await packageFile(root, 'core/link.js')).toBeNull();
      expect(await packageFile(root, '../secret.js')).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('finds the noVNC package without depending on the working directory', () => {
    const cwd = process.cwd();
    try {
      process.chdir(tmpdir());
      expect(novncRoot()).toMatch(/@novnc[/\\]novnc$/);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('web viewer: WebSocket bridge', () => {
  let vnc: VncServer;
  let viewer: WebViewer;
  const logs: string[] = [];

  beforeAll(async () => {
    vnc = await VncServer.listen({ source: new TestSource(64, 48), port: 0, log: () => undefined });
    viewer = await WebViewer.listen({
      port: 0,
      displays: [{ label: 'main', vncPort: vnc.port }],
      log: (l) => logs.push(l),
    });
  });
  afterAll(async () => {
    await viewer.close();
    await vnc.close();
  });

  it('carries RFB both ways in binary frames, with the binary subprotocol', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${viewer.port}/websockify/0`, { protocols: ['binary'] });
    expect(ws.protocol).toBe('binary');
    const r = new ByteReader(ws);
    expect((await r.read(12)).toString('latin1')).toBe('RFB 003.008\n');
    ws.send(Buffer.from('RFB 003.008\n'));
    expect([...(await r.read(2))]).toEqual([1, 1]); // one security type: None
    ws.send(Buffer.from([1]));
    expect((await r.read(4)).readUInt32BE(0)).toBe(0); // SecurityResult OK
    ws.send(Buffer.from([1])); // ClientInit, shared
    const init = await r.read(24);
    expect([init.readUInt16BE(0), init.readUInt16BE(2)]).toEqual([64, 48]);
    expect(vnc.clients()).toHaveLength(1);
    expect(viewer.stats().connectionsNow).toBe(1);
    ws.close();
    await closed(ws);
    await until(() => vnc.clients().length === 0 && viewer.stats().connectionsNow === 0, 5_000, 'the VNC side to close');
    const s = viewer.stats();
    expect(s.bytesFromBrowser).toBe(14);
    expect(s.bytesToBrowser).toBeGreaterThanOrEqual(12 + 2 + 4 + 24);
  });

  it('accepts a client that asks for no subprotocol', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${viewer.port}/websockify/0`);
    expect(ws.protocol).toBe('');
    expect((await new ByteReader(ws).read(12)).toString('latin1')).toBe('RFB 003.008\n');
    ws.close();
    await closed(ws);
  });

  it('closes a connection that sends text frames (RFB is bytes)', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${viewer.port}/websockify/0`, { protocols: ['binary'] });
    ws.send('RFB 003.008\n');
    expect(await closed(ws)).toBe(1003);
    await until(() => vnc.clients().length === 0, 5_000, 'the VNC side to close');
  });

  it('refuses connections beyond maxConnections with 503', async () => {
    const small = await WebViewer.listen({ port: 0, displays: [{ label: 'd', vncPort: vnc.port }], maxConnections: 1, log: () => undefined });
    try {
      const url = `ws://127.0.0.1:${small.port}/websockify/0`;
      const first = await openSocket(url);
      await expect(openSocket(url)).rejects.toThrow('HTTP 503');
      first.close();
      await closed(first);
      await until(() => small.stats().connectionsNow === 0, 5_000, 'the first to finish');
      (await openSocket(url)).terminate();
    } finally {
      await small.close();
    }
  });

  it('refuses unknown displays with 404', async () => {
    for (const path of ['/websockify/9', '/websockify/1', '/websockify/x', '/websockify/', '/websockify/01', '/other']) {
      await expect(openSocket(`ws://127.0.0.1:${viewer.port}${path}`, { protocols: ['binary'] })).rejects.toThrow('HTTP 404');
    }
    expect(viewer.stats().connectionsNow).toBe(0);
  });

  it('refuses pages from other origins and DNS-rebound host names with 403', async () => {
    const url = `ws://127.0.0.1:${viewer.port}/websockify/0`;
    await expect(openSocket(url, { headers: { Origin: 'http://evil.example' } })).rejects.toThrow('HTTP 403');
    await expect(openSocket(url, { headers: { Origin: `http://127.0.0.1:${viewer.port + 1}` } })).rejects.toThrow('HTTP 403');
    await expect(openSocket(url, { headers: { Host: `evil.example:${viewer.port}`, Origin: `http://evil.example:${viewer.port}` } })).rejects.toThrow(
      'HTTP 403',
    );
    const ok = await openSocket(url, { headers: { Origin: `http://127.0.0.1:${viewer.port}` } });
    ok.close();
    await closed(ok);
    expect(logs.some((l) => l.includes('is not this viewer'))).toBe(true);
  });
});

describe('web viewer: peers that close, stall or flood', () => {
  it('closes the WebSocket when the VNC server closes, and reports one that is not there', async () => {
    const peer = await tcpServer((s) => s.end('RFB 003.008\n'));
    const gone = await tcpServer(() => undefined);
    const gonePort = gone.port;
    await closeTcpServer(gone);
    const viewer = await WebViewer.listen({
      port: 0,
      displays: [
        { label: 'closes', vncPort: peer.port },
        { label: 'absent', vncPort: gonePort },
      ],
      log: () => undefined,
    });
    try {
      const a = await openSocket(`ws://127.0.0.1:${viewer.port}/websockify/0`);
      const got = new ByteReader(a);
      expect(await closed(a)).toBe(1000);
      expect((await got.read(12)).toString('latin1')).toBe('RFB 003.008\n');
      const b = await openSocket(`ws://127.0.0.1:${viewer.port}/websockify/1`);
      expect(await closed(b)).toBe(1011);
      expect(viewer.stats().vncErrors).toBe(1);
      await until(() => viewer.stats().connectionsNow === 0, 5_000, 'bridges to finish');
    } finally {
      await viewer.close();
      await closeTcpServer(peer);
    }
  });

  it('pauses a VNC socket while its browser is not reading, and resumes it', async () => {
    const maxBufferedBytes = 256 << 10;
    let written = 0;
    const chunk = Buffer.alloc(64 << 10, 0x5a);
    // A "VNC server" that writes as fast as its socket lets it.
    const flood = await tcpServer((s) => {
      const pump = (): void => {
        while (!s.destroyed) {
          written += chunk.length;
          if (!s.write(chunk)) return;
        }
      };
      s.on('drain', pump);
      pump();
    });
    const viewer = await WebViewer.listen({
      port: 0,
      displays: [{ label: 'flood', vncPort: flood.port }],
      maxBufferedBytes,
      log: () => undefined,
    });
    try {
      const ws = await openSocket(`ws://127.0.0.1:${viewer.port}/websockify/0`);
      ws.pause(); // the "browser" stops reading
      await until(() => viewer.stats().vncPauses >= 1, 10_000, 'the VNC socket to be paused');
      // Once paused, nothing more is taken from the VNC server however long the browser stalls.
      await new Promise((r) => setTimeout(r, 300));
      const frozen = viewer.stats().bytesToBrowser;
      await new Promise((r) => setTimeout(r, 300));
      expect(viewer.stats().bytesToBrowser).toBe(frozen);
      expect(viewer.stats().maxBufferedAmount).toBeLessThanOrEqual(maxBufferedBytes + (64 << 10) + 16);
      expect(written).toBeGreaterThan(frozen); // the rest waits in the VNC server's socket, not here
      let received = 0;
      ws.on('message', (d: Buffer) => (received += d.length));
      ws.resume();
      await until(() => received > frozen + (1 << 20), 10_000, 'data to flow again');
      ws.terminate();
      await until(() => viewer.stats().connectionsNow === 0, 5_000, 'the bridge to finish');
    } finally {
      await viewer.close();
      await closeTcpServer(flood);
    }
  });

  it('pauses a browser while its VNC server is not reading', async () => {
    const stalled = await tcpServer((s) => s.pause());
    const viewer = await WebViewer.listen({ port: 0, displays: [{ label: 'stalled', vncPort: stalled.port }], log: () => undefined });
    try {
      const ws = await openSocket(`ws://127.0.0.1:${viewer.port}/websockify/0`);
      const block = Buffer.alloc(256 << 10, 1);
      for (let i = 0; i < 200 && viewer.stats().browserPauses === 0; i++) {
        ws.send(block);
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(viewer.stats().browserPauses).toBeGreaterThanOrEqual(1);
      ws.terminate();
      await until(() => viewer.stats().connectionsNow === 0, 5_000, 'the bridge to finish');
    } finally {
      await viewer.close();
      await closeTcpServer(stalled);
    }
  });

  it('close() ends every connection and lets go of every handle; a second close() is the same', async () => {
    // Handles closed by earlier tests are freed by libuv a loop turn after their close events.
    await new Promise((r) => setTimeout(r, 50));
    const before = tcpHandles();
    const vnc = await VncServer.listen({ source: new TestSource(32, 32), port: 0, log: () => undefined });
    const viewer = await WebViewer.listen({ port: 0, displays: [{ label: 'd', vncPort: vnc.port }], log: () => undefined });
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 3; i++) sockets.push(await openSocket(`ws://127.0.0.1:${viewer.port}/websockify/0`, { protocols: ['binary'] }));
    await until(() => vnc.clients().length === 3, 5_000, 'three VNC clients');
    // A keep-alive HTTP connection and a connection that never sends a request.
    const idle = connect(viewer.port, '127.0.0.1');
    idle.on('error', () => undefined);
    await new Promise((r) => idle.once('connect', r));
    expect((await get(viewer.port, '/')).status).toBe(200);
    expect(tcpHandles().servers).toBe(before.servers + 2);

    const closing = viewer.close();
    expect(viewer.close()).toBe(closing);
    await closing;
    await Promise.all(sockets.map(closed));
    await until(() => vnc.clients().length === 0, 5_000, 'the VNC clients to go');
    expect(viewer.stats().connectionsNow).toBe(0);
    await expect(get(viewer.port, '/')).rejects.toThrow(/ECONNREFUSED/);
    await vnc.close();
    idle.destroy();
    await until(
      () => {
        const now = tcpHandles();
        return now.servers <= before.servers && now.sockets <= before.sockets;
      },
      5_000,
      'TCP handles back to where they were',
    );
  });
});
