// Reads a VNC server's messages as a client receives them and logs each FramebufferUpdate: when
// its last byte arrived (CLOCK_MONOTONIC µs, the clock the VM's trace rings use) and which
// rectangles it carried. Pixels are not decoded: the rectangles' rows say which frames an update
// shows (bench/vnc-latency.ts). Knows the encodings the bench asks for (ZRLE, Raw, CopyRect,
// DesktopSize); anything else is an error, not a guess.
import { monotonicMicros } from '../shared/trace/clock.js';

export interface LoggedUpdate {
  /** When the update's last byte was read (µs, CLOCK_MONOTONIC). */
  atUs: number;
  rects: { x: number; y: number; w: number; h: number; encoding: number }[];
  /** With a framebuffer (Raw only): what `probe` said of the picture once the update was applied. */
  probed?: number;
}

/**
 * Keep the picture (Raw rectangles applied to a width × height framebuffer of the server's
 * 32-bit little-endian pixels) and ask `probe` about it after each update; the client must ask
 * for Raw only.
 */
export interface FramebufferProbe {
  width: number;
  height: number;
  probe(fb: Buffer): number;
}

const ZRLE = 16;
const RAW = 0;
const COPY_RECT = 1;
const DESKTOP_SIZE = -223;

export class VncUpdateLog {
  readonly updates: LoggedUpdate[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private current: LoggedUpdate | null = null;
  private rectsLeft = 0;
  /** Bytes of the current rectangle's data still to skip. */
  private skip = 0;
  private readonly fb: Buffer | null;
  /** The Raw rectangle being copied into fb, and how many of its bytes came so far. */
  private raw: { x: number; y: number; w: number; done: number } | null = null;

  constructor(private readonly framebuffer: FramebufferProbe | null = null) {
    this.fb = framebuffer ? Buffer.alloc(framebuffer.width * framebuffer.height * 4) : null;
  }

  /** Copies the next bytes of a Raw rectangle into the framebuffer, row by row. */
  private copyRaw(bytes: Buffer): void {
    const r = this.raw!;
    const { width } = this.framebuffer!;
    let from = 0;
    while (from < bytes.length) {
      const rowBytes = r.w * 4;
      const row = Math.floor(r.done / rowBytes);
      const col = r.done % rowBytes;
      const n = Math.min(rowBytes - col, bytes.length - from);
      bytes.copy(this.fb!, ((r.y + row) * width + r.x) * 4 + col, from, from + n);
      from += n;
      r.done += n;
    }
  }

  /** Bytes as they arrive; stamps updates completed by this chunk with the time it is fed. */
  feed(chunk: Buffer): void {
    const now = monotonicMicros();
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let at = 0;
    const need = (n: number) => this.buf.length - at >= n;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buf.length - at);
        if (this.raw) this.copyRaw(this.buf.subarray(at, at + n));
        at += n;
        this.skip -= n;
        if (this.skip > 0) break;
        this.raw = null;
      }
      if (this.current) {
        if (this.rectsLeft === 0) {
          this.current.atUs = now;
          if (this.framebuffer) this.current.probed = this.framebuffer.probe(this.fb!);
          this.updates.push(this.current);
          this.current = null;
          continue;
        }
        if (!need(12)) break;
        const x = this.buf.readUInt16BE(at);
        const y = this.buf.readUInt16BE(at + 2);
        const w = this.buf.readUInt16BE(at + 4);
        const h = this.buf.readUInt16BE(at + 6);
        const encoding = this.buf.readInt32BE(at + 8);
        if (encoding === ZRLE) {
          if (!need(16)) break;
          this.skip = this.buf.readUInt32BE(at + 12);
          at += 16;
        } else {
          at += 12;
          if (encoding === RAW) {
            this.skip = w * h * 4;
            if (this.fb && this.skip > 0) {
              if (x + w > this.framebuffer!.width || y + h > this.framebuffer!.height) throw new Error('VncUpdateLog: a rectangle outside the framebuffer');
              this.raw = { x, y, w, done: 0 };
            }
          } else if (encoding === COPY_RECT) {
            if (this.fb) throw new Error('VncUpdateLog: CopyRect with a framebuffer (ask for Raw only)');
            this.skip = 4;
          } else if (encoding !== DESKTOP_SIZE) throw new Error(`VncUpdateLog: encoding ${encoding} was not asked for`);
        }
        this.current.rects.push({ x, y, w, h, encoding });
        this.rectsLeft--;
        continue;
      }
      if (!need(1)) break;
      const type = this.buf[at]!;
      if (type === 0) {
        if (!need(4)) break;
        this.rectsLeft = this.buf.readUInt16BE(at + 2);
        this.current = { atUs: 0, rects: [] };
        at += 4;
      } else if (type === 1) {
        if (!need(6)) break;
        this.skip = this.buf.readUInt16BE(at + 4) * 6;
        at += 6;
      } else if (type === 2) {
        at += 1;
      } else if (type === 3) {
        if (!need(8)) break;
        this.skip = this.buf.readUInt32BE(at + 4);
        at += 8;
      } else {
        throw new Error(`VncUpdateLog: server message type ${type}`);
      }
    }
    this.buf = this.buf.subarray(at);
  }
}
