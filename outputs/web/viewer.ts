// The browser viewer: one HTTP server that lists the displays, serves a noVNC page per display
// (noVNC itself from its npm package) and bridges WebSockets on /websockify/N to display N's VNC
// server. It binds 127.0.0.1 unless the embedder decides otherwise. See docs/web-viewer.md.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';

import { WebSocketServer, type WebSocket } from 'ws';

import { Bridge } from './bridge.js';
import { displayPage, indexPage, PAGE_CSP, VIEWER_CSS, VIEWER_JS } from './pages.js';
import { novncRoot, packageFile } from './static-files.js';
import { isLoopbackName, upgradeRefusal } from './upgrade-policy.js';
import type { WebDisplay, WebLogger, WebViewerOptions, WebViewerStats } from './types.js';

const DISPLAY_PATH = /^\/display\/(0|[1-9][0-9]{0,5})$/;
const SOCKET_PATH = /^\/websockify\/(0|[1-9][0-9]{0,5})$/;

function emptyStats(): WebViewerStats {
  return {
    httpRequests: 0,
    notFound: 0,
    upgradesRejected: 0,
    connectionsNow: 0,
    connectionsTotal: 0,
    vncErrors: 0,
    bytesToBrowser: 0,
    bytesFromBrowser: 0,
    vncPauses: 0,
    browserPauses: 0,
    maxBufferedAmount: 0,
  };
}

function positive(v: number | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`WebViewer: ${name} must be a positive integer`);
  return v;
}

function checkDisplays(displays: readonly WebDisplay[]): WebDisplay[] {
  if (!Array.isArray(displays)) throw new TypeError('WebViewer: displays must be an array');
  return displays.map((d, i) => {
    if (typeof d.label !== 'string') throw new TypeError(`WebViewer: displays[${i}].label must be a string`);
    if (!Number.isInteger(d.vncPort) || d.vncPort < 1 || d.vncPort > 65535) {
      throw new RangeError(`WebViewer: displays[${i}].vncPort must be a TCP port (1-65535)`);
    }
    return { label: d.label, vncPort: d.vncPort, vncHost: d.vncHost ?? '127.0.0.1' };
  });
}

export class WebViewer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly bridges = new Set<Bridge>();
  private readonly statsNow = emptyStats();
  private readonly displays: WebDisplay[];
  private readonly log: WebLogger;
  private readonly maxBufferedBytes: number;
  private readonly maxConnections: number;
  private readonly novnc: string;
  private host = '127.0.0.1';
  private boundPort = 0;
  private closing: Promise<void> | null = null;

  /** Starts listening; resolves once bound. */
  static async listen(options: WebViewerOptions): Promise<WebViewer> {
    const v = new WebViewer(options);
    await v.bind(options.port, options.host ?? '127.0.0.1');
    return v;
  }

  private constructor(options: WebViewerOptions) {
    this.displays = checkDisplays(options.displays);
    this.maxBufferedBytes = positive(options.maxBufferedBytes, 'maxBufferedBytes', 1 << 20);
    this.maxConnections = positive(options.maxConnections, 'maxConnections', 16);
    // Failing here (package missing) is better than a page that cannot load its client.
    this.novnc = novncRoot();
    const baseLog = options.log ?? ((line: string) => console.warn(line));
    this.log = (line) => {
      try {
        baseLog(`web :${this.boundPort}: ${line}`);
      } catch {
        // A logger that throws must not take the viewer with it.
      }
    };
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // Tight/ZRLE data is compressed already; deflate would only cost CPU and memory per client.
      perMessageDeflate: false,
      maxPayload: positive(options.maxMessageBytes, 'maxMessageBytes', 4 << 20),
      // noVNC asks for 'binary' when told to (our page does); plain clients may ask for nothing.
      handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
    });
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.log(`${req.url ?? ''}: ${e instanceof Error ? e.message : String(e)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    // Before it is bound, bind() rejects with the error and the caller reports it: not twice.
    this.http.on('error', (e) => {
      if (this.http.listening) this.log(`listener error: ${e.message}`);
    });
  }

  get port(): number {
    return this.boundPort;
  }

  /** The page for one display, e.g. http://127.0.0.1:6080/display/0. */
  url(displayIndex: number): string {
    if (!Number.isInteger(displayIndex) || displayIndex < 0 || displayIndex >= this.displays.length) {
      throw new RangeError(`WebViewer: no display ${displayIndex}`);
    }
    // A wildcard bind is reachable on loopback too; an IPv6 literal needs brackets in a URL.
    const h = this.host === '0.0.0.0' ? '127.0.0.1' : this.host === '::' ? '::1' : this.host;
    return `http://${h.includes(':') ? `[${h}]` : h}:${this.boundPort}/display/${displayIndex}`;
  }

  stats(): WebViewerStats {
    return { ...this.statsNow, connectionsNow: this.bridges.size };
  }

  /** Stops listening and closes every HTTP connection, WebSocket and bridged VNC connection. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
      for (const b of [...this.bridges]) b.terminate();
      this.wss.close();
    });
    return this.closing;
  }

  private bind(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.http.once('error', onError);
      this.http.listen(port, host, () => {
        this.http.off('error', onError);
        const addr = this.http.address();
        this.boundPort = typeof addr === 'object' && addr ? addr.port : port;
        this.host = host;
        resolve();
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.statsNow.httpRequests++;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://viewer').pathname);
    } catch {
      res.writeHead(400, { 'Content-Length': 0 }).end();
      return;
    }
    if (path === '/') return this.send(req, res, 'text/html; charset=utf-8', indexPage(this.displays), true);
    if (path === '/viewer.js') return this.send(req, res, 'text/javascript; charset=utf-8', VIEWER_JS, false);
    if (path === '/viewer.css') return this.send(req, res, 'text/css; charset=utf-8', VIEWER_CSS, false);
    const m = DISPLAY_PATH.exec(path);
    const display = m ? this.displays[Number(m[1])] : undefined;
    if (m && display) {
      return this.send(req, res, 'text/html; charset=utf-8', displayPage(Number(m[1]), display), true);
    }
    if (path.startsWith('/novnc/')) {
      const found = await packageFile(this.novnc, path.slice('/novnc/'.length));
      if (found) return this.send(req, res, found.type, await readFile(found.file), false);
    }
    this.statsNow.notFound++;
    this.send(req, res, 'text/plain; charset=utf-8', 'not found\n', false, 404);
  }

  private send(req: IncomingMessage, res: ServerResponse, type: string, body: string | Buffer, page: boolean, status = 200): void {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    const headers: Record<string, string | number> = {
      'Content-Type': type,
      'Content-Length': data.length,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    };
    if (page) {
      headers['Content-Security-Policy'] = PAGE_CSP;
      headers['Referrer-Policy'] = 'no-referrer';
    }
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : data);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const reject = (status: number, why: string): void => {
      this.statsNow.upgradesRejected++;
      this.log(`refused WebSocket ${req.url ?? ''}: ${why}`);
      socket.once('finish', () => socket.destroy());
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (this.closing) return reject(503, 'closing');
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://viewer').pathname;
    } catch {
      return reject(400, 'bad URL');
    }
    const m = SOCKET_PATH.exec(path);
    const index = m ? Number(m[1]) : -1;
    const display = this.displays[index];
    if (!display) return reject(404, 'no such display');
    const refusal = upgradeRefusal(req, isLoopbackName(this.host));
    if (refusal) return reject(403, refusal);
    if (this.bridges.size >= this.maxConnections) return reject(503, `${this.maxConnections} connections already`);
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      if (this.closing) {
        ws.terminate();
        return;
      }
      this.statsNow.connectionsTotal++;
      const bridge = new Bridge(ws, {
        vncHost: display.vncHost ?? '127.0.0.1',
        vncPort: display.vncPort,
        maxBufferedBytes: this.maxBufferedBytes,
        stats: this.statsNow,
        name: `display ${index} (${display.label})`,
        log: this.log,
        onFinished: (b) => this.bridges.delete(b),
      });
      this.bridges.add(bridge);
    });
  }
}
