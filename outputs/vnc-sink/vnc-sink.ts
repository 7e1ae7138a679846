// The compositor's handle on one display's VNC sink worker: a DisplaySink that forwards what
// changed (never pixels). Stats are the counters the worker last pushed, so reading them never
// waits for a worker that is busy encoding.
import { Worker } from 'node:worker_threads';

import { compiledModuleUrl } from '../../shared/package-root.js';
import type { DisplayFrames, DisplaySink } from '../../actors/compositor/display-frames.js';
import { emptyVncServerStats } from '../vnc/server.js';
import type { Rect } from '../vnc/types.js';
import { emptyInputRouteStats } from './input-route.js';
import type { FromSink, ToSink, VncSinkData, VncSinkStats } from './protocol.js';

export class VncSink implements DisplaySink {
  private closing: Promise<void> | null = null;
  private gone = false;
  /** The newest counters the worker pushed. */
  private last: VncSinkStats = { ...emptyVncServerStats(), input: emptyInputRouteStats() };

  private constructor(
    private readonly worker: Worker,
    private readonly frames: DisplayFrames,
    readonly port: number,
  ) {
    worker.on('message', (m: FromSink) => {
      if (m.t === 'stats') this.last = m.stats;
      else if (m.t === 'released') this.frames.released(this, m.frameId);
    });
    worker.once('exit', () => {
      this.gone = true;
      // A worker that is gone reads nothing: let the frame stores it held be reused.
      frames.removeSink(this);
    });
  }

  /** Starts the worker and its server; rejects (with the listener's error) if it cannot bind. */
  static start(frames: DisplayFrames, options: Omit<VncSinkData, 'frame' | 'frameId' | 'frameLock' | 'width' | 'height' | 'mode'>): Promise<VncSink> {
    const data: VncSinkData = {
      ...options,
      frame: frames.frameStore,
      frameId: frames.frameStoreId,
      frameLock: frames.frameLock.buffer,
      width: frames.width(),
      height: frames.height(),
      mode: frames.modeSerial,
    };
    const worker = new Worker(compiledModuleUrl('outputs/vnc-sink/worker'), { workerData: data, name: `pvg-vnc-${options.name}` });
    return new Promise((resolve, reject) => {
      const onMessage = (m: FromSink) => {
        if (m.t === 'listening') {
          worker.off('message', onMessage);
          const sink = new VncSink(worker, frames, m.port);
          // The cursor may already be defined: hand it over before the first client arrives.
          sink.cursorChanged();
          resolve(sink);
        } else if (m.t === 'failed') {
          worker.off('message', onMessage);
          reject(new Error(`VNC on ${options.host}:${options.port}: ${m.message}`));
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the VNC sink worker exited (${code}) before listening`)));
    });
  }

  resize(): void {
    this.post({
      t: 'resize',
      width: this.frames.width(),
      height: this.frames.height(),
      frame: this.frames.frameStore,
      frameId: this.frames.frameStoreId,
      mode: this.frames.modeSerial,
    });
  }

  damage(rects: readonly Rect[]): void {
    this.post({ t: 'damage', rects: rects.map((r) => ({ x: r.x, y: r.y, width: r.width, height: r.height })) });
  }

  cursorChanged(): void {
    this.post({ t: 'cursor', cursor: this.frames.cursorState(), moved: false });
  }

  cursorMoved(): void {
    this.post({ t: 'cursor', cursor: this.frames.cursorState(), moved: true });
  }

  /** Counters as of the worker's last report (at most STATS_INTERVAL_MS old while it is idle). */
  stats(): VncSinkStats {
    return this.last;
  }

  /** Closes the server and every client, and lets the worker exit. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.gone) return resolve();
      this.worker.once('exit', () => resolve());
      this.post({ t: 'close' });
    });
    return this.closing;
  }

  private post(m: ToSink): void {
    if (!this.gone) this.worker.postMessage(m);
  }
}
