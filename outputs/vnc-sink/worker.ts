// A display's VNC server on its own thread: encoding (ZRLE, Tight) costs milliseconds per update,
// and on the compositor's thread it would hold back every display's frames. The worker reads the
// compositor's frame store directly (another one of the display's few per mode, reused only after
// this worker said it stopped reading it, so a mode change never changes the bytes under an update
// being encoded, and a late answer makes the compositor wait, never allocate). Within a mode the
// compositor keeps writing the same store, so an update copies its pixels out under the display's
// frame lock (snapshot()), after taking every message the compositor posted up to then: the pixels
// are one frame the compositor finished, and the client's damage covers everything up to it
// (docs/hardening.md finding 15). Encoding happens after the lock is let go.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

import { BigLock } from '../../shared/lock/big-lock.js';

import { VncServer } from '../vnc/server.js';
import type { CursorImage, FramebufferSource } from '../vnc/types.js';
import { InputRoute } from './input-route.js';
import { STATS_INTERVAL_MS, type FromSink, type SinkCursor, type ToSink, type VncSinkData } from './protocol.js';

const data = workerData as VncSinkData;
const port = parentPort!;
const send = (m: FromSink) => port.postMessage(m);

class FrameStoreSource implements FramebufferSource {
  w = data.width;
  h = data.height;
  view = new Uint32Array(data.frame, 0, this.w * this.h);
  cur: SinkCursor = { glyph: null, visible: false, x: 0, y: 0 };

  resize(width: number, height: number, frame: SharedArrayBuffer): void {
    this.w = width;
    this.h = height;
    this.view = new Uint32Array(frame, 0, width * height);
  }
  width(): number {
    return this.w;
  }
  height(): number {
    return this.h;
  }
  pixels(): Uint32Array {
    return this.view;
  }
  cursor(): CursorImage | null {
    const { glyph, visible, x, y } = this.cur;
    return glyph ? { ...glyph, visible, x, y } : null;
  }
  /**
   * The compositor writes a frame and posts its damage under the frame lock, so with the lock held
   * and the port drained, the store holds a finished frame and every change up to it is known.
   * Wait-for: this thread → the compositor (while it copies one frame's damage); the compositor →
   * this thread (while this copies one update's pixels); neither waits for anything holding it.
   */
  snapshot<T>(read: () => T): T {
    frameLock.lock();
    try {
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) onMessage(m.message as ToSink);
      return read();
    } finally {
      frameLock.unlock();
    }
  }
}

const frameLock = new BigLock(data.frameLock);
const input = new InputRoute(data.input ?? null, data.viewOnly ?? false);
const source = new FrameStoreSource();
/** The frame store the worker reads (DisplayFrames.frameStoreId), and the mode it shows. */
let frameId = data.frameId;
let mode = data.mode;
/** A newer mode's store, read once its first frame arrives (its first damage message). */
let pending: { width: number; height: number; frame: SharedArrayBuffer; frameId: number; mode: number } | null = null;
let server: VncServer;
try {
  server = await VncServer.listen({
    source,
    port: data.port,
    host: data.host,
    name: data.name,
    ...(data.password !== undefined ? { password: data.password } : {}),
    onKey: (keysym, down) => input.key(keysym, down),
    onPointer: (x, y, buttons) => input.pointer(x, y, buttons, source.width(), source.height()),
  });
  send({ t: 'listening', port: server.port });
} catch (e) {
  send({ t: 'failed', message: (e as Error).message });
  port.close();
  process.exit(0);
}

// Counters go out on their own, so reading them never waits behind an update being encoded.
let lastSent = '';
const pushStats = () => {
  const stats = { ...server.stats(), input: { ...input.counts } };
  const key = JSON.stringify(stats);
  if (key !== lastSent) send({ t: 'stats', stats });
  lastSent = key;
};
const statsTimer = setInterval(pushStats, STATS_INTERVAL_MS);

function onMessage(m: ToSink): void {
  switch (m.t) {
    case 'resize':
      // The new mode's store holds no frame yet (the compositor zero-filled it): until the first
      // frame lands in it, clients keep the last frame that existed, at its size. A newer mode
      // replaces a pending one, which this worker never read.
      // A mode it already knows: the one it started with, told again by DisplayFrames.addStartedSink.
      if (m.mode === mode || m.mode === pending?.mode) return;
      // Released unread, unless it is the store this worker reads (a mode change with no sink
      // attached reuses the store).
      if (pending && pending.frameId !== frameId) send({ t: 'released', frameId: pending.frameId });
      pending = { width: m.width, height: m.height, frame: m.frame, frameId: m.frameId, mode: m.mode };
      return;
    case 'damage':
      if (pending) {
        // The first frame of the pending mode: show it, whole, at its size.
        const old = frameId;
        source.resize(pending.width, pending.height, pending.frame);
        frameId = pending.frameId;
        mode = pending.mode;
        pending = null;
        server.resize();
        // Updates copy their pixels out under the frame lock before encoding, so nothing reads
        // the old store after this: the compositor may reuse it.
        if (old !== frameId) send({ t: 'released', frameId: old });
        return;
      }
      server.damage(m.rects);
      return;
    case 'cursor':
      source.cur = m.cursor;
      if (m.moved) server.cursorMoved();
      else server.cursorChanged();
      return;
    case 'close':
      clearInterval(statsTimer);
      void server.close().then(() => {
        pushStats();
        send({ t: 'closed' });
        port.close();
      });
      return;
  }
}
port.on('message', onMessage);
