// One connected client: its socket, handshake, message parser, pixel format and encodings, its
// own damage region and zlib streams, and the rule that paces it: an update goes out only when
// the client has asked (one per request, requests in between merge), only when the previous
// update has been handed to the socket, and only while the socket holds less than
// maxQueuedBytes. Otherwise damage just accumulates in the region, so a client that stops
// reading costs a bounded amount of memory and never holds up the caller or other clients.
// Anything wrong with what the client sends closes this client, with one log line.
import type { Socket } from 'node:net';

import { capabilitiesOf } from './capabilities.js';
import { visibleCursorRect } from './cursor.js';
import { tightSplit } from './encoders/tight.js';
import { Handshake, type RfbVersion } from './handshake.js';
import { MessageParser, type ClientMessage } from './messages.js';
import { PixelConverter, SERVER_PIXEL_FORMAT } from './pixel-format.js';
import { bounds, clip, contains, DamageRegion, intersect } from './region.js';
import type { CursorMode, EncodingName, FramebufferSource, Rect, VncClientInfo, VncServerStats } from './types.js';
import { UpdateBuilder } from './update.js';
import { serverInit, updateHeader } from './wire.js';
import { DeflateStream } from './zstream.js';

export interface SessionOptions {
  name: string;
  password: string | undefined;
  maxQueuedBytes: number;
  maxCutText: number;
  maxEncodings: number;
  maxDamageRects: number;
  handshakeTimeoutMs: number;
  challenge: (() => Uint8Array) | undefined;
  onPointer: ((x: number, y: number, buttons: number) => void) | undefined;
  onKey: ((keysym: number, down: boolean) => void) | undefined;
}

/** What a session needs from its server. */
export interface SessionHost {
  readonly source: FramebufferSource;
  readonly options: SessionOptions;
  readonly stats: VncServerStats;
  log(line: string): void;
  /** The cursor's rectangle on the framebuffer as last announced (clipped), or null. */
  cursorRect(): Rect | null;
  sessionClosed(s: ClientSession): void;
}

/** The most rectangles an update carries (the count is a U16); more wait for the next update. */
const MAX_RECTS_PER_UPDATE = 65000;

export class ClientSession {
  private readonly handshake: Handshake;
  private readonly parser: MessageParser;
  private inbuf: Buffer = Buffer.alloc(0);
  private ready = false;
  private closed = false;
  private version: RfbVersion | null = null;
  private conv = new PixelConverter(SERVER_PIXEL_FORMAT);
  private encoding: EncodingName = 'raw';
  private copyRectOk = false;
  /** SetEncodings has arrived: until then what the client can follow is unknown. */
  private encodingsKnown = false;
  private desktopSizeOk = false;
  private pointerPosOk = false;
  private cursorMode: CursorMode = 'composited';
  private compressLevel = 6;
  /** The framebuffer size this client knows. */
  private fbWidth = 0;
  private fbHeight = 0;
  private readonly damage: DamageRegion;
  private hasRequest = false;
  private requested: Rect | null = null;
  private resizePending = false;
  /**
   * A DesktopSize went out and no request came since: the next one may have been sent before the
   * client took the new size in (viewers ask for the next update when one starts), so it names
   * the old size. It gets the whole new framebuffer, which the client has nothing of.
   */
  private afterResize = false;
  private shapePending = false;
  private posPending = false;
  private pendingCopy: { srcX: number; srcY: number; dst: Rect } | null = null;
  /**
   * Composited clients: an area that may hold cursor pixels we painted (a bounding box, so a
   * superset). Repainted whenever the cursor moves or changes, whatever the caller announced.
   */
  private painted: Rect | null = null;
  private busy = false;
  private waitingDrain = false;
  private warnedShortSource = false;
  private zrleStream: DeflateStream | null = null;
  private readonly tightStreams: Array<DeflateStream | null> = [null, null, null, null];
  private handshakeTimer: NodeJS.Timeout | null = null;
  private updatesSent = 0;
  private bytesSent = 0;
  private readonly remote: string;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly host: SessionHost,
  ) {
    const o = host.options;
    this.handshake = new Handshake({ password: o.password, ...(o.challenge ? { challenge: o.challenge } : {}) });
    this.parser = new MessageParser({ maxEncodings: o.maxEncodings, maxCutText: o.maxCutText });
    this.damage = new DamageRegion(o.maxDamageRects);
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  }

  start(): void {
    this.socket.setNoDelay(true);
    this.socket.on('data', (c: Buffer) => this.onData(c));
    this.socket.on('error', () => this.close(null));
    this.socket.on('close', () => this.close(null));
    this.handshakeTimer = setTimeout(() => {
      this.host.stats.handshakeTimeouts++;
      this.close(`handshake not finished within ${this.host.options.handshakeTimeoutMs} ms`);
    }, this.host.options.handshakeTimeoutMs);
    this.handshakeTimer.unref();
    this.write(this.handshake.greeting());
  }

  info(): VncClientInfo {
    return {
      id: this.id,
      remote: this.remote,
      version: this.version,
      ready: this.ready,
      encoding: this.encoding,
      cursorMode: this.cursorMode,
      queuedBytes: this.socket.writableLength,
      updatesSent: this.updatesSent,
      bytesSent: this.bytesSent,
      pendingRects: this.damage.count,
    };
  }

  // ---- what the server tells every session ----

  /** `r` is clipped to the source already. */
  addDamage(r: Rect): void {
    if (!this.ready || this.resizePending) return;
    const c = clip(r, this.fbWidth, this.fbHeight);
    if (c) this.damage.add(c);
  }

  copy(srcX: number, srcY: number, dst: Rect): void {
    if (!this.ready || this.resizePending) return;
    const src = { x: srcX, y: srcY, width: dst.width, height: dst.height };
    const inside = (r: Rect) => r.x + r.width <= this.fbWidth && r.y + r.height <= this.fbHeight;
    const cursors = this.cursorMode === 'composited' ? [this.host.cursorRect(), this.painted] : [];
    // CopyRect copies what the client has at src. That is the source's pre-copy content only if
    // nothing at src waits to be sent and no cursor of ours is painted there or at dst.
    const ok =
      this.copyRectOk &&
      this.pendingCopy === null &&
      inside(src) &&
      inside(dst) &&
      !this.damage.intersects(src) &&
      !cursors.some((c) => c && (intersect(c, src) || intersect(c, dst)));
    if (ok) {
      this.pendingCopy = { srcX, srcY, dst: { ...dst } };
    } else {
      this.host.stats.copiesAsDamage++;
      this.addDamage(dst);
    }
  }

  resize(): void {
    if (!this.ready) return; // ServerInit, when it goes, will carry the new size.
    if (this.encodingsKnown && !this.desktopSizeOk) {
      this.cannotResize();
      return;
    }
    const src = this.host.source;
    this.resizePending = true;
    this.pendingCopy = null;
    this.painted = null;
    this.damage.clear();
    const full = clip({ x: 0, y: 0, width: src.width(), height: src.height() }, src.width(), src.height());
    if (full) this.damage.add(full);
  }

  /** `before`/`after`: the cursor's clipped rectangle before and after the change. */
  cursorMoved(before: Rect | null, after: Rect | null): void {
    if (!this.ready) return;
    if (this.cursorMode === 'composited') this.damageCursor(before, after);
    else if (this.pointerPosOk) this.posPending = true;
  }

  cursorChanged(before: Rect | null, after: Rect | null): void {
    if (!this.ready) return;
    if (this.cursorMode === 'composited') this.damageCursor(before, after);
    else this.shapePending = true;
  }

  close(reason: string | null, graceful = false): void {
    if (this.closed) return;
    this.closed = true;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (reason) this.host.log(`client ${this.id} (${this.remote}) closed: ${reason}`);
    this.zrleStream?.close();
    for (const s of this.tightStreams) s?.close();
    if (graceful) {
      // Let the failure reason reach the client, but do not wait on it for long.
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
    } else {
      this.socket.destroy();
    }
    this.host.sessionClosed(this);
  }

  // ---- the update pump ----

  pump(): void {
    if (this.closed || !this.ready || this.busy || !this.hasRequest || !this.hasWork()) return;
    if (this.socket.writableLength > this.host.options.maxQueuedBytes) {
      if (!this.waitingDrain) {
        this.waitingDrain = true;
        this.host.stats.deferredForBacklog++;
        this.socket.once('drain', () => {
          this.waitingDrain = false;
          this.pump();
        });
      }
      return;
    }
    let u: UpdateBuilder;
    try {
      u = this.build();
    } catch (e) {
      this.internalError(e);
      return;
    }
    if (u.rects === 0) return;
    this.hasRequest = false;
    this.requested = null;
    this.busy = true;
    // Parts are encoded bytes, or promises of bytes encoded off this thread, in wire order.
    // eslint-disable-next-line @typescript-eslint/await-thenable
    Promise.all(u.parts).then(
      (parts) => {
        if (this.closed) return;
        this.socket.cork();
        this.write(updateHeader(u.rects));
        for (const p of parts) this.write(p);
        this.socket.uncork();
        this.updatesSent++;
        const st = this.host.stats;
        st.updatesSent++;
        for (const [k, n] of Object.entries(u.counts)) st.rects[k as keyof typeof st.rects] += n;
        if (u.counts.copyRect) st.copiesSent += u.counts.copyRect;
        st.maxQueuedBytes = Math.max(st.maxQueuedBytes, this.socket.writableLength);
        this.busy = false;
        this.pump();
      },
      (e: unknown) => this.internalError(e),
    );
  }

  private hasWork(): boolean {
    const local = this.cursorMode !== 'composited';
    return (
      this.resizePending ||
      (local && this.shapePending) ||
      (local && this.pointerPosOk && this.posPending) ||
      this.pendingCopy !== null ||
      (this.requested !== null && this.damage.intersects(this.requested))
    );
  }

  /** The next update: planned and its pixels copied from one frame, then encoded. */
  private build(): UpdateBuilder {
    const src = this.host.source;
    const u = src.snapshot ? src.snapshot(() => this.plan()) : this.plan();
    return u.finish();
  }

  /** Everything of the next update that reads the source (run inside its snapshot()). */
  private plan(): UpdateBuilder {
    const u = new UpdateBuilder();
    const src = this.host.source;
    const w = src.width();
    const h = src.height();
    if (this.resizePending) {
      this.resizePending = false;
      if ((w !== this.fbWidth || h !== this.fbHeight) && !this.desktopSizeOk) {
        // The mode changed before this client said what it supports, and it cannot follow.
        this.cannotResize();
        return u;
      }
      if (w !== this.fbWidth || h !== this.fbHeight) {
        // DesktopSize goes alone: the client may drop anything else in the same update.
        this.fbWidth = w;
        this.fbHeight = h;
        this.afterResize = true;
        u.desktopSize(w, h);
        return u;
      }
    }
    const local = this.cursorMode !== 'composited';
    if (local && this.shapePending) {
      this.shapePending = false;
      u.cursorShape(src.cursor(), this.cursorMode, this.conv);
    }
    if (local && this.pointerPosOk && this.posPending) {
      this.posPending = false;
      const c = src.cursor();
      if (c) u.pointerPos(clampTo(c.x, this.fbWidth), clampTo(c.y, this.fbHeight));
    }
    if (this.pendingCopy) {
      const { srcX, srcY, dst } = this.pendingCopy;
      this.pendingCopy = null;
      u.copyRect(srcX, srcY, dst);
    }
    if (this.requested) {
      const fb = src.pixels();
      if (fb.length < w * h) {
        // The caller's bug, not the client's: say so once and keep the damage for later.
        if (!this.warnedShortSource) this.host.log(`source gave ${fb.length} pixels for ${w}x${h}; pixel updates wait`);
        this.warnedShortSource = true;
        return u;
      }
      const area = intersect(this.requested, {
        x: 0,
        y: 0,
        width: Math.min(w, this.fbWidth),
        height: Math.min(h, this.fbHeight),
      });
      if (area) {
        const cursor = local ? null : src.cursor();
        const cursorAt = local ? null : visibleCursorRect(cursor, w, h);
        const streams = { zrle: () => this.zrle(), tight: (id: number) => this.tight(id) };
        let planned = u.rects;
        for (const r of this.damage.takeWithin(area)) {
          const cost = this.encoding === 'tight' ? tightSplit(r.width, r.height).length : 1;
          if (planned + cost > MAX_RECTS_PER_UPDATE) {
            this.damage.add(r);
            continue;
          }
          planned += cost;
          u.capture(fb, w, r, cursor, this.encoding, this.conv, streams);
          // What this rectangle repainted no longer holds an old cursor; where it painted the
          // current one, it now does.
          if (this.painted && contains(r, this.painted)) this.painted = null;
          const now = cursorAt && intersect(r, cursorAt);
          if (now) this.painted = this.painted ? bounds(this.painted, now) : now;
        }
      }
    }
    return u;
  }

  private cannotResize(): void {
    this.host.stats.resizeCloses++;
    this.close('cannot follow the mode change (no DesktopSize pseudo-encoding)');
  }

  private zrle(): DeflateStream {
    return (this.zrleStream ??= new DeflateStream(this.compressLevel));
  }

  private tight(id: number): DeflateStream {
    return (this.tightStreams[id] ??= new DeflateStream(this.compressLevel));
  }

  // ---- input ----

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      if (this.ready) {
        this.onMessages(chunk);
        return;
      }
      this.inbuf = this.inbuf.length ? Buffer.concat([this.inbuf, chunk]) : chunk;
      const r = this.handshake.feed(this.inbuf);
      for (const b of r.out) this.write(b);
      this.inbuf = this.inbuf.subarray(r.consumed);
      if (r.state === 'failed') {
        if (r.kind === 'auth') this.host.stats.authFailures++;
        else this.host.stats.malformedCloses++;
        this.close(`handshake: ${r.reason}`, true);
        return;
      }
      if (r.state === 'done') {
        this.onReady(r.version);
        const rest = this.inbuf;
        this.inbuf = Buffer.alloc(0);
        if (rest.length) this.onMessages(rest);
      }
    } catch (e) {
      this.internalError(e);
    }
  }

  private onReady(version: RfbVersion): void {
    this.ready = true;
    this.version = version;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    const src = this.host.source;
    // A display with no mode yet is announced as 1x1: viewers refuse 0x0 (TigerVNC: "Attempted
    // to configure an invalid screen layout", then it disconnects). The first mode follows as a
    // DesktopSize, as any mode change does.
    const none = src.width() === 0 || src.height() === 0;
    this.fbWidth = none ? 1 : src.width();
    this.fbHeight = none ? 1 : src.height();
    this.write(serverInit(this.fbWidth, this.fbHeight, SERVER_PIXEL_FORMAT, this.host.options.name));
    // The first update of any kind carries the whole frame, even for a client that never asks
    // non-incrementally.
    const full = clip({ x: 0, y: 0, width: this.fbWidth, height: this.fbHeight }, this.fbWidth, this.fbHeight);
    if (full) this.damage.add(full);
  }

  private onMessages(chunk: Buffer): void {
    const r = this.parser.feed(chunk);
    for (const m of r.messages) {
      if (this.closed) return;
      this.handle(m);
    }
    if (r.error && !this.closed) {
      this.host.stats.malformedCloses++;
      this.close(r.error);
      return;
    }
    this.pump();
  }

  private handle(m: ClientMessage): void {
    const st = this.host.stats;
    switch (m.type) {
      case 'set-pixel-format':
        this.conv = new PixelConverter(m.format);
        return;
      case 'set-encodings':
        this.setEncodings(m.encodings);
        return;
      case 'update-request': {
        const area = this.afterResize
          ? clip({ x: 0, y: 0, width: this.fbWidth, height: this.fbHeight }, this.fbWidth, this.fbHeight)
          : clip(m, this.fbWidth, this.fbHeight);
        this.afterResize = false;
        if (area && !m.incremental) this.damage.add(area);
        if (area) this.requested = this.requested ? bounds(this.requested, area) : area;
        this.hasRequest = true;
        return;
      }
      case 'key':
        st.keyEvents++;
        this.callOut(() => this.host.options.onKey?.(m.keysym, m.down));
        return;
      case 'pointer':
        st.pointerEvents++;
        this.callOut(() => this.host.options.onPointer?.(m.x, m.y, m.buttons));
        return;
      case 'cut-text':
        st.cutTexts++;
        return;
    }
  }

  private setEncodings(list: number[]): void {
    const caps = capabilitiesOf(list);
    this.encodingsKnown = true;
    this.encoding = caps.encoding;
    this.copyRectOk = caps.copyRect;
    this.desktopSizeOk = caps.desktopSize;
    this.pointerPosOk = caps.pointerPos;
    // Streams already open keep their level; zlib levels only matter for speed, not correctness.
    if (caps.compressLevel !== null) this.compressLevel = caps.compressLevel;
    if (caps.cursorMode !== this.cursorMode) {
      // A painted cursor must go (or come): repaint where it is. A local one needs its shape.
      this.damageCursor(null, this.host.cursorRect());
      this.painted = null;
      this.cursorMode = caps.cursorMode;
      this.shapePending = caps.cursorMode !== 'composited';
      this.posPending = caps.cursorMode !== 'composited' && caps.pointerPos;
    }
  }

  private damageCursor(before: Rect | null, after: Rect | null): void {
    if (this.painted) this.addDamage(this.painted);
    if (before) this.addDamage(before);
    if (after) this.addDamage(after);
  }

  /** Calls the embedder's input hook; its exceptions are its own, logged, never the client's fault. */
  private callOut(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.host.log(`input hook threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private write(b: Buffer): void {
    if (this.closed || b.length === 0) return;
    this.socket.write(b);
    this.bytesSent += b.length;
    this.host.stats.bytesSent += b.length;
  }

  private internalError(e: unknown): void {
    this.close(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}

function clampTo(v: number, size: number): number {
  return Math.max(0, Math.min(Math.max(0, size - 1), Math.trunc(v)));
}
