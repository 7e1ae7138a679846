// The VNC (RFB 3.8) server for one display: listens on host:port (127.0.0.1 by default), serves
// any number of clients up to maxClients, and is told by its caller what changed. Every method
// returns at once: damage, copies and cursor changes are recorded per client and the sending
// happens later on this thread's event loop. Nothing a client does can throw out of the server.
// Protocol and behaviour: docs/vnc.md.
import { createServer, type Server, type Socket } from 'node:net';

import { visibleCursorRect } from './cursor.js';
import { DEFAULT_PARSER_LIMITS } from './messages.js';
import { clip } from './region.js';
import { ClientSession, type SessionHost, type SessionOptions } from './session.js';
import type { FramebufferSource, Rect, VncClientInfo, VncLogger, VncServerStats } from './types.js';

export interface VncServerOptions {
  source: FramebufferSource;
  /** TCP port; 0 picks a free one (see VncServer.port). */
  port: number;
  /** Address to bind; 127.0.0.1 unless the embedder decides otherwise. */
  host?: string;
  /** When set (non-empty), clients must pass VNC Authentication; only the first 8 bytes count. */
  password?: string;
  /** Desktop name sent in ServerInit. */
  name?: string;
  log?: VncLogger;
  maxClients?: number;
  /** Updates wait while a client's socket holds more than this many unsent bytes. */
  maxQueuedBytes?: number;
  /** Longest ClientCutText accepted (its text is discarded). */
  maxCutText?: number;
  /** Most damage rectangles kept per client between its requests. */
  maxDamageRects?: number;
  handshakeTimeoutMs?: number;
  /** Input from clients, for the embedder; exceptions are logged and ignored. */
  onPointer?: (x: number, y: number, buttons: number) => void;
  onKey?: (keysym: number, down: boolean) => void;
  /** Tests only: the 16-byte VNC Authentication challenge. */
  challenge?: () => Uint8Array;
}

/** Every counter at zero. */
export function emptyVncServerStats(): VncServerStats {
  return {
    clientsNow: 0,
    clientsTotal: 0,
    bytesSent: 0,
    updatesSent: 0,
    rects: { raw: 0, copyRect: 0, zrle: 0, tight: 0, desktopSize: 0, cursor: 0, cursorWithAlpha: 0, pointerPos: 0 },
    pointerEvents: 0,
    keyEvents: 0,
    cutTexts: 0,
    malformedCloses: 0,
    authFailures: 0,
    refusedClients: 0,
    resizeCloses: 0,
    handshakeTimeouts: 0,
    deferredForBacklog: 0,
    maxQueuedBytes: 0,
    copiesSent: 0,
    copiesAsDamage: 0,
  };
}

export class VncServer {
  private readonly server: Server;
  private readonly sessions = new Set<ClientSession>();
  private readonly sessionHost: SessionHost;
  private readonly statsNow = emptyVncServerStats();
  private readonly maxClients: number;
  private readonly log: VncLogger;
  private nextId = 1;
  private pumpScheduled = false;
  private lastCursor: Rect | null = null;
  private boundPort = 0;
  private closing: Promise<void> | null = null;

  /** Starts listening; resolves once bound. */
  static async listen(options: VncServerOptions): Promise<VncServer> {
    const s = new VncServer(options);
    await s.bind(options.port, options.host ?? '127.0.0.1');
    return s;
  }

  private constructor(private readonly options: VncServerOptions) {
    // '' would mean security None: no authentication where the caller asked for a password.
    if (options.password === '') throw new RangeError('VncServer: password must not be empty (leave it out to serve without authentication)');
    const positive = (v: number | undefined, name: string, dflt: number): number => {
      if (v === undefined) return dflt;
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`VncServer: ${name} must be a positive integer`);
      return v;
    };
    const sessionOptions: SessionOptions = {
      name: options.name ?? 'pvg-vmm',
      password: options.password,
      maxQueuedBytes: positive(options.maxQueuedBytes, 'maxQueuedBytes', 4 << 20),
      maxCutText: positive(options.maxCutText, 'maxCutText', DEFAULT_PARSER_LIMITS.maxCutText),
      maxEncodings: DEFAULT_PARSER_LIMITS.maxEncodings,
      maxDamageRects: positive(options.maxDamageRects, 'maxDamageRects', 16),
      handshakeTimeoutMs: positive(options.handshakeTimeoutMs, 'handshakeTimeoutMs', 10_000),
      challenge: options.challenge,
      onPointer: options.onPointer,
      onKey: options.onKey,
    };
    this.maxClients = positive(options.maxClients, 'maxClients', 16);
    const baseLog = options.log ?? ((line: string) => console.warn(line));
    this.log = (line) => {
      try {
        baseLog(`vnc :${this.boundPort}: ${line}`);
      } catch {
        // A logger that throws must not take the server with it.
      }
    };
    this.sessionHost = {
      source: options.source,
      options: sessionOptions,
      stats: this.statsNow,
      log: this.log,
      cursorRect: () => this.lastCursor,
      sessionClosed: (s) => {
        if (this.sessions.delete(s)) this.statsNow.clientsNow = this.sessions.size;
      },
    };
    this.server = createServer((socket) => this.accept(socket));
    // Before it is bound, bind() rejects with the error and the caller reports it: not twice.
    this.server.on('error', (e) => {
      if (this.server.listening) this.log(`listener error: ${e.message}`);
    });
    this.lastCursor = this.currentCursorRect();
  }

  get port(): number {
    return this.boundPort;
  }

  /** The frame changed inside these rectangles (any numbers; they are clipped to the display). */
  damage(rects: readonly Rect[]): void {
    const src = this.options.source;
    const w = src.width();
    const h = src.height();
    for (const r of rects) {
      const c = clip(r, w, h);
      if (!c) continue;
      for (const s of this.sessions) s.addDamage(c);
    }
    this.schedulePump();
  }

  /**
   * A hint: `dst` now holds what was at (src.x, src.y) just before (a window moved, a scroll).
   * Clients that can take CopyRect get one when it is exactly right for them; the rest, damage.
   */
  copy(src: { x: number; y: number }, dst: Rect): void {
    const s = this.options.source;
    const d = clip(dst, s.width(), s.height());
    if (!d) return;
    const sx = Math.trunc(src.x) + (d.x - Math.trunc(dst.x));
    const sy = Math.trunc(src.y) + (d.y - Math.trunc(dst.y));
    const valid = Number.isFinite(sx) && Number.isFinite(sy) && sx >= 0 && sy >= 0 && sx + d.width <= s.width() && sy + d.height <= s.height();
    for (const session of this.sessions) {
      if (valid) session.copy(sx, sy, d);
      else session.addDamage(d);
    }
    this.schedulePump();
  }

  /** The display's size changed (a mode change): clients get DesktopSize, then the whole frame. */
  resize(): void {
    for (const s of [...this.sessions]) s.resize();
    this.lastCursor = this.currentCursorRect();
    this.schedulePump();
  }

  /** The cursor's glyph or visibility changed (its position may have too). */
  cursorChanged(): void {
    const before = this.lastCursor;
    this.lastCursor = this.currentCursorRect();
    for (const s of this.sessions) s.cursorChanged(before, this.lastCursor);
    this.schedulePump();
  }

  /** The pointer moved. */
  cursorMoved(): void {
    const before = this.lastCursor;
    this.lastCursor = this.currentCursorRect();
    for (const s of this.sessions) s.cursorMoved(before, this.lastCursor);
    this.schedulePump();
  }

  stats(): VncServerStats {
    return { ...this.statsNow, rects: { ...this.statsNow.rects } };
  }

  clients(): VncClientInfo[] {
    return [...this.sessions].map((s) => s.info());
  }

  /** Stops listening and disconnects every client. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of [...this.sessions]) s.close(null);
    });
    return this.closing;
  }

  private bind(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        this.boundPort = typeof addr === 'object' && addr ? addr.port : port;
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.sessions.size >= this.maxClients) {
      this.statsNow.refusedClients++;
      this.log(`refused ${socket.remoteAddress}:${socket.remotePort}: ${this.maxClients} clients already connected`);
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    const s = new ClientSession(this.nextId++, socket, this.sessionHost);
    this.sessions.add(s);
    this.statsNow.clientsTotal++;
    this.statsNow.clientsNow = this.sessions.size;
    s.start();
  }

  private currentCursorRect(): Rect | null {
    const src = this.options.source;
    try {
      return visibleCursorRect(src.cursor(), src.width(), src.height());
    } catch (e) {
      this.log(`source.cursor() threw: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      for (const s of this.sessions) s.pump();
    });
  }
}
