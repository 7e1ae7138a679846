// Shared by the viewer tests: raw HTTP requests (paths sent exactly as written, no normalisation),
// WebSocket clients that report how they ended, and TCP servers that misbehave on purpose.
import { request } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';

import { WebSocket } from 'ws';

export interface RawResponse {
  status: number;
  type: string | undefined;
  csp: string | undefined;
  body: string;
}

/** One HTTP request with the path sent as given (a URL object would normalise ".." away). */
export function get(port: number, path: string, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'],
          csp: res.headers['content-security-policy'] as string | undefined,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket; resolves with it once open, or rejects with the HTTP status it was refused with. */
export function openSocket(url: string, opts: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers ?? {}, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`HTTP ${res.statusCode ?? 0}`));
      res.resume();
      ws.terminate();
    });
    ws.on('error', reject);
  });
}

/** Resolves with the close code once the socket has closed. */
export function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve(-1);
    else ws.once('close', (code) => resolve(code));
  });
}

/** Collects bytes from a WebSocket and lets a test wait for a number of them. */
export class ByteReader {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  total = 0;

  constructor(ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.total += data.length;
      this.buf = Buffer.concat([this.buf, data]);
      this.waiter?.();
    });
  }

  async read(n: number, ms = 5_000): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (this.buf.length < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} bytes (have ${this.buf.length})`);
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 50);
      });
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

/** A TCP server on a free loopback port running `onSocket` for each connection. */
export async function tcpServer(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0, sockets };
}

export async function closeTcpServer(t: { server: Server; sockets: Set<Socket> }): Promise<void> {
  for (const s of t.sockets) s.destroy();
  await new Promise<void>((r) => t.server.close(() => r()));
}

/** Counts of this process's TCP handles (listeners and sockets), for checking that close() let go. */
export function tcpHandles(): { servers: number; sockets: number } {
  const info = process.getActiveResourcesInfo();
  return {
    servers: info.filter((n) => n === 'TCPServerWrap').length,
    sockets: info.filter((n) => n === 'TCPSocketWrap').length,
  };
}
