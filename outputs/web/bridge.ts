// One browser connection: a WebSocket carrying raw RFB bytes in binary frames (as websockify does),
// piped to a TCP connection to the display's VNC server. Either side closing closes the other.
// Buffering is bounded both ways, so a slow browser or a slow VNC server cannot make this process
// hold more than about maxBufferedBytes plus one read per connection:
// - to the browser: the TCP socket is paused while the WebSocket has more than maxBufferedBytes
//   unsent, and resumed from a send callback once it is down to half;
// - to the VNC server: the WebSocket is paused while the TCP socket is over its high-water mark,
//   and resumed on 'drain'.
import { connect, type Socket } from 'node:net';

import { WebSocket } from 'ws';

import { rfbBytesOf } from './browser-frames.js';
import type { WebLogger, WebViewerStats } from './types.js';

export interface BridgeOptions {
  vncHost: string;
  vncPort: number;
  maxBufferedBytes: number;
  /** The viewer's counters, updated in place. */
  stats: WebViewerStats;
  /** Prefix for log lines ("display 0 (main)"). */
  name: string;
  log: WebLogger;
  /** Called once, when the WebSocket has finished closing (the TCP socket is gone by then). */
  onFinished: (bridge: Bridge) => void;
}

export class Bridge {
  private readonly tcp: Socket;
  private closed = false;
  private vncPaused = false;
  private browserPaused = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly o: BridgeOptions,
  ) {
    this.tcp = connect({ host: o.vncHost, port: o.vncPort });
    // RFB messages are small and latency-bound (pointer events, update requests).
    this.tcp.setNoDelay(true);
    this.tcp.on('data', (chunk: Buffer) => this.toBrowser(chunk));
    this.tcp.on('drain', () => {
      if (!this.browserPaused) return;
      this.browserPaused = false;
      this.ws.resume();
    });
    this.tcp.on('error', (e) => {
      if (this.closed) return;
      o.stats.vncErrors++;
      o.log(`${o.name}: VNC server ${o.vncHost}:${o.vncPort}: ${e.message}`);
      this.close(1011, 'VNC server unreachable');
    });
    this.tcp.on('close', () => this.close(1000, 'VNC server closed the connection'));

    ws.on('message', (data, isBinary) => {
      const bytes = rfbBytesOf(data, isBinary);
      if (bytes === null) this.close(1003, 'binary frames only');
      else this.toVnc(bytes);
    });
    ws.on('error', (e) => {
      o.log(`${o.name}: WebSocket: ${e.message}`);
      this.close(1011, 'WebSocket error');
    });
    ws.on('close', () => {
      this.closed = true;
      this.tcp.destroy();
      o.onFinished(this);
    });
  }

  /** Closes both sides at once, without the WebSocket closing handshake (the viewer is closing). */
  terminate(): void {
    this.closed = true;
    this.tcp.destroy();
    this.ws.terminate();
  }

  private close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.tcp.destroy();
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    else this.ws.terminate();
  }

  private toBrowser(chunk: Buffer): void {
    if (this.closed) return;
    const s = this.o.stats;
    s.bytesToBrowser += chunk.length;
    this.ws.send(chunk, { binary: true }, (err) => this.sent(err));
    const buffered = this.ws.bufferedAmount;
    if (buffered > s.maxBufferedAmount) s.maxBufferedAmount = buffered;
    if (!this.vncPaused && buffered > this.o.maxBufferedBytes) {
      this.vncPaused = true;
      s.vncPauses++;
      this.tcp.pause();
    }
  }

  /** A frame reached the kernel (or failed): resume the VNC side once the backlog is down to half. */
  private sent(err: Error | undefined): void {
    if (err || this.closed) return; // a failed send ends in 'error'/'close' on the WebSocket
    if (this.vncPaused && this.ws.bufferedAmount <= this.o.maxBufferedBytes / 2) {
      this.vncPaused = false;
      this.tcp.resume();
    }
  }

  private toVnc(data: Buffer): void {
    if (this.closed) return;
    this.o.stats.bytesFromBrowser += data.length;
    // Written even before the TCP connection is up: the socket queues it until then.
    if (!this.tcp.write(data) && !this.browserPaused) {
      this.browserPaused = true;
      this.o.stats.browserPauses++;
      this.ws.pause();
    }
  }
}
