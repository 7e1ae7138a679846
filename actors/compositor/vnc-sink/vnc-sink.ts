// The compositor's handle on one display's VNC sink worker: a DisplaySink that forwards what
// changed (never pixels) and answers stats and close asynchronously.
import { Worker } from 'node:worker_threads';

import { compiledModuleUrl } from '../../../shared/package-root.js';
import type { DisplayFrames, DisplaySink } from '../display-frames.js';
import { emptyVncServerStats } from '../vnc/server.js';
import type { Rect, VncServerStats } from '../vnc/types.js';
import type { FromSink, ToSink, VncSinkData } from './protocol.js';

export class VncSink implements DisplaySink {
  private nextId = 1;
  private readonly waiting = new Map<number, (s: VncServerStats) => void>();
  private closing: Promise<void> | null = null;
  private gone = false;
  /** The newest stats the worker reported: what stats() answers once it has gone. */
  private last: VncServerStats = emptyVncServerStats();

  private constructor(
    private readonly worker: Worker,
    private readonly frames: DisplayFrames,
    readonly port: number,
  ) {
    worker.on('message', (m: FromSink) => {
      if (m.t === 'stats') {
        this.last = m.stats;
        this.waiting.get(m.id)?.(m.stats);
        this.waiting.delete(m.id);
      }
    });
    worker.once('exit', () => {
      this.gone = true;
      for (const [, resolve] of this.waiting) resolve(this.last);
      this.waiting.clear();
    });
  }

  /** Starts the worker and its server; rejects (with the listener's error) if it cannot bind. */
  static start(frames: DisplayFrames, options: Omit<VncSinkData, 'frame' | 'width' | 'height'>): Promise<VncSink> {
    const data: VncSinkData = { ...options, frame: frames.frameStore, width: frames.width(), height: frames.height() };
    const worker = new Worker(compiledModuleUrl('actors/compositor/vnc-sink/worker'), { workerData: data, name: `pvg-vnc-${options.name}` });
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
    this.post({ t: 'resize', width: this.frames.width(), height: this.frames.height(), frame: this.frames.frameStore });
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

  stats(): Promise<VncServerStats> {
    if (this.gone) return Promise.resolve(this.last);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.post({ t: 'stats', id });
    });
  }

  /** Closes the server and every client, and lets the worker exit. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.gone) return resolve();
      this.worker.once('exit', () => resolve());
      void this.stats(); // keep the final counters
      this.post({ t: 'close' });
    });
    return this.closing;
  }

  private post(m: ToSink): void {
    if (!this.gone) this.worker.postMessage(m);
  }
}
