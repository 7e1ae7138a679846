// A small RFB decoder written from the protocol documents, separately from the server's encoders,
// so that encoder output can be checked by decoding it back: Raw, CopyRect, ZRLE, Tight (fill,
// copy, palette; basic and zlib), DesktopSize, Cursor, CursorWithAlpha and PointerPos. It keeps a
// framebuffer of pixel values in the client's format and its own inflate state per zlib stream
// (re-inflating the whole stream history each time: slow, obviously right).
import { constants, inflateSync } from 'node:zlib';

import type { PixelFormat } from '../../../outputs/vnc/pixel-format.js';

export interface Reader {
  read(n: number): Promise<Buffer>;
}

/** A Reader over bytes already in hand. */
export class BufferReader implements Reader {
  private pos = 0;
  constructor(private readonly b: Buffer) {}
  read(n: number): Promise<Buffer> {
    if (this.pos + n > this.b.length) return Promise.reject(new Error(`read ${n} bytes past the end (${this.b.length - this.pos} left)`));
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return Promise.resolve(out);
  }
  get remaining(): number {
    return this.b.length - this.pos;
  }
}

class InflateHistory {
  private chunks: Buffer[] = [];
  private produced = 0;
  /** Inflates `z` as the continuation of everything before it on this stream. */
  next(z: Buffer): Buffer {
    this.chunks.push(Buffer.from(z));
    const all = inflateSync(Buffer.concat(this.chunks), { finishFlush: constants.Z_SYNC_FLUSH });
    const out = all.subarray(this.produced);
    this.produced = all.length;
    return out;
  }
}

export interface RectInfo {
  x: number;
  y: number;
  width: number;
  height: number;
  encoding: number;
}

export interface DecodedCursor {
  kind: 'rich' | 'alpha';
  width: number;
  height: number;
  hotX: number;
  hotY: number;
  /** rich: pixel values in the client format; alpha: 0xAARRGGBB words as received (premultiplied). */
  pixels: Uint32Array;
  /** rich only: 1 where the mask bit is set. */
  mask: Uint8Array | null;
}

export interface DecodedUpdate {
  rects: RectInfo[];
  cursor: DecodedCursor | null;
  desktopSize: { width: number; height: number } | null;
  pointer: { x: number; y: number } | null;
}

export class ReferenceDecoder {
  width: number;
  height: number;
  fb: Uint32Array;
  /** How often each ZRLE tile subencoding and each Tight kind was seen (for coverage checks). */
  readonly seen = { zrle: new Map<string, number>(), tight: new Map<string, number>() };
  private zrle = new InflateHistory();
  private tight = [new InflateHistory(), new InflateHistory(), new InflateHistory(), new InflateHistory()];

  constructor(
    width: number,
    height: number,
    public format: PixelFormat,
  ) {
    this.width = width;
    this.height = height;
    this.fb = new Uint32Array(width * height);
  }

  private get bpp(): number {
    return this.format.bitsPerPixel / 8;
  }

  /** A pixel value from its wire bytes. */
  pixel(b: Uint8Array, off: number): number {
    const n = this.bpp;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = b[off + i]!;
      v = this.format.bigEndian || n === 1 ? v * 256 + byte : v + byte * 2 ** (8 * i);
    }
    return v >>> 0;
  }

  /** ZRLE's compressed pixel: its size and how to widen it back to a pixel value. */
  private cpixel(): { size: number; value(b: Uint8Array, off: number): number } {
    const f = this.format;
    const colourBits = ((f.redMax << f.redShift) | (f.greenMax << f.greenShift) | (f.blueMax << f.blueShift)) >>> 0;
    const three = f.trueColour && f.bitsPerPixel === 32 && f.depth <= 24;
    const low = three && colourBits <= 0xffffff;
    const high = three && !low && (colourBits & 0xff) === 0;
    if (!low && !high) return { size: this.bpp, value: (b, o) => this.pixel(b, o) };
    return {
      size: 3,
      value: (b, o) => {
        // Rebuild the 4 wire bytes: the 3 kept ones in place, the dropped one zero.
        const full = new Uint8Array(4);
        const keepsLowBytes = low; // the least significant three bytes
        const at = keepsLowBytes === !f.bigEndian ? 0 : 1; // where they sit among the wire bytes
        full.set(b.subarray(o, o + 3), at);
        return this.pixel(full, 0);
      },
    };
  }

  /** Tight's TPIXEL: R, G, B bytes for 32-bit depth-24 8-bit channels, else a whole pixel. */
  private tpixel(): { size: number; value(b: Uint8Array, off: number): number } {
    const f = this.format;
    if (f.bitsPerPixel === 32 && f.depth === 24 && f.redMax === 255 && f.greenMax === 255 && f.blueMax === 255) {
      return {
        size: 3,
        value: (b, o) => ((b[o]! << f.redShift) | (b[o + 1]! << f.greenShift) | (b[o + 2]! << f.blueShift)) >>> 0,
      };
    }
    return { size: this.bpp, value: (b, o) => this.pixel(b, o) };
  }

  private put(x: number, y: number, v: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) throw new Error(`pixel ${x},${y} outside ${this.width}x${this.height}`);
    this.fb[y * this.width + x] = v;
  }

  private inside(r: RectInfo): void {
    if (r.x + r.width > this.width || r.y + r.height > this.height) {
      throw new Error(`rectangle ${r.width}x${r.height}+${r.x}+${r.y} outside ${this.width}x${this.height}`);
    }
  }

  /** Reads one FramebufferUpdate (its type byte included) and applies it. */
  async update(rd: Reader): Promise<DecodedUpdate> {
    const head = await rd.read(4);
    if (head[0] !== 0) throw new Error(`expected FramebufferUpdate, got message type ${head[0]}`);
    const n = head.readUInt16BE(2);
    const out: DecodedUpdate = { rects: [], cursor: null, desktopSize: null, pointer: null };
    for (let i = 0; i < n; i++) {
      const h = await rd.read(12);
      const r: RectInfo = {
        x: h.readUInt16BE(0),
        y: h.readUInt16BE(2),
        width: h.readUInt16BE(4),
        height: h.readUInt16BE(6),
        encoding: h.readInt32BE(8),
      };
      out.rects.push(r);
      await this.rect(rd, r, out);
    }
    return out;
  }

  async rect(rd: Reader, r: RectInfo, out: DecodedUpdate): Promise<void> {
    switch (r.encoding) {
      case 0: {
        this.inside(r);
        const b = await rd.read(r.width * r.height * this.bpp);
        for (let y = 0; y < r.height; y++) {
          for (let x = 0; x < r.width; x++) this.put(r.x + x, r.y + y, this.pixel(b, (y * r.width + x) * this.bpp));
        }
        return;
      }
      case 1: {
        this.inside(r);
        const b = await rd.read(4);
        const sx = b.readUInt16BE(0);
        const sy = b.readUInt16BE(2);
        this.inside({ ...r, x: sx, y: sy });
        const copy = new Uint32Array(r.width * r.height);
        for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) copy[y * r.width + x] = this.fb[(sy + y) * this.width + sx + x]!;
        for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) this.put(r.x + x, r.y + y, copy[y * r.width + x]!);
        return;
      }
      case 16:
        this.inside(r);
        return this.zrleRect(rd, r);
      case 7:
        this.inside(r);
        return this.tightRect(rd, r);
      case -223:
        out.desktopSize = { width: r.width, height: r.height };
        this.width = r.width;
        this.height = r.height;
        this.fb = new Uint32Array(r.width * r.height);
        return;
      case -232:
        out.pointer = { x: r.x, y: r.y };
        return;
      case -239: {
        const pixels = new Uint32Array(r.width * r.height);
        const b = await rd.read(r.width * r.height * this.bpp);
        for (let i = 0; i < pixels.length; i++) pixels[i] = this.pixel(b, i * this.bpp);
        const rowBytes = Math.floor((r.width + 7) / 8);
        const m = await rd.read(rowBytes * r.height);
        const mask = new Uint8Array(r.width * r.height);
        for (let y = 0; y < r.height; y++) {
          for (let x = 0; x < r.width; x++) mask[y * r.width + x] = (m[y * rowBytes + Math.floor(x / 8)]! >> (7 - (x % 8))) & 1;
        }
        out.cursor = { kind: 'rich', width: r.width, height: r.height, hotX: r.x, hotY: r.y, pixels, mask };
        return;
      }
      case -314: {
        const enc = (await rd.read(4)).readInt32BE(0);
        if (enc !== 0) throw new Error(`CursorWithAlpha sub-encoding ${enc}`);
        const b = await rd.read(r.width * r.height * 4);
        const pixels = new Uint32Array(r.width * r.height);
        for (let i = 0; i < pixels.length; i++) {
          pixels[i] = ((b[i * 4 + 3]! << 24) | (b[i * 4]! << 16) | (b[i * 4 + 1]! << 8) | b[i * 4 + 2]!) >>> 0;
        }
        out.cursor = { kind: 'alpha', width: r.width, height: r.height, hotX: r.x, hotY: r.y, pixels, mask: null };
        return;
      }
      default:
        throw new Error(`reference decoder: encoding ${r.encoding} not handled`);
    }
  }

  private async zrleRect(rd: Reader, r: RectInfo): Promise<void> {
    const len = (await rd.read(4)).readUInt32BE(0);
    const data = this.zrle.next(await rd.read(len));
    const cp = this.cpixel();
    let p = 0;
    const byte = () => {
      if (p >= data.length) throw new Error('ZRLE data ends early');
      return data[p++]!;
    };
    const px = () => {
      if (p + cp.size > data.length) throw new Error('ZRLE data ends early');
      const v = cp.value(data, p);
      p += cp.size;
      return v;
    };
    const runLength = () => {
      let len = 1;
      for (;;) {
        const b = byte();
        len += b;
        if (b !== 255) return len;
      }
    };
    for (let ty = 0; ty < r.height; ty += 64) {
      for (let tx = 0; tx < r.width; tx += 64) {
        const tw = Math.min(64, r.width - tx);
        const th = Math.min(64, r.height - ty);
        const tile: number[] = [];
        const sub = byte();
        const kind = sub === 0 ? 'raw' : sub === 1 ? 'solid' : sub === 128 ? 'plain-rle' : sub > 128 ? 'palette-rle' : 'packed';
        this.seen.zrle.set(kind, (this.seen.zrle.get(kind) ?? 0) + 1);
        const rle = (sub & 128) !== 0;
        const palSize = sub & 127;
        const palette: number[] = [];
        for (let i = 0; i < palSize; i++) palette.push(px());
        if (sub === 0) {
          for (let i = 0; i < tw * th; i++) tile.push(px());
        } else if (sub === 1) {
          for (let i = 0; i < tw * th; i++) tile.push(palette[0]!);
        } else if (!rle && palSize <= 16) {
          const bits = palSize === 2 ? 1 : palSize <= 4 ? 2 : 4;
          for (let y = 0; y < th; y++) {
            let acc = 0;
            let have = 0;
            for (let x = 0; x < tw; x++) {
              if (have === 0) {
                acc = byte();
                have = 8;
              }
              have -= bits;
              const idx = (acc >> have) & ((1 << bits) - 1);
              if (idx >= palSize) throw new Error('ZRLE packed index outside the palette');
              tile.push(palette[idx]!);
            }
          }
        } else if (sub === 128) {
          while (tile.length < tw * th) {
            const v = px();
            const n = runLength();
            for (let i = 0; i < n; i++) tile.push(v);
          }
        } else if (rle && palSize >= 2) {
          while (tile.length < tw * th) {
            const b = byte();
            const idx = b & 127;
            if (idx >= palSize) throw new Error('ZRLE run index outside the palette');
            const n = b & 128 ? runLength() : 1;
            for (let i = 0; i < n; i++) tile.push(palette[idx]!);
          }
        } else {
          throw new Error(`ZRLE subencoding ${sub} is not valid`);
        }
        if (tile.length !== tw * th) throw new Error('ZRLE run crosses the tile end');
        for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) this.put(r.x + tx + x, r.y + ty + y, tile[y * tw + x]!);
      }
    }
    if (p !== data.length) throw new Error(`ZRLE rectangle left ${data.length - p} bytes unread`);
  }

  private async tightRect(rd: Reader, r: RectInfo): Promise<void> {
    let ctl = (await rd.read(1))[0]!;
    for (let i = 0; i < 4; i++) if (ctl & (1 << i)) this.tight[i] = new InflateHistory();
    ctl >>= 4;
    const tp = this.tpixel();
    const note = (k: string) => this.seen.tight.set(k, (this.seen.tight.get(k) ?? 0) + 1);
    if (ctl === 0x08) {
      note('fill');
      const v = tp.value(await rd.read(tp.size), 0);
      for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) this.put(r.x + x, r.y + y, v);
      return;
    }
    if (ctl > 0x07) throw new Error(`Tight compression type ${ctl} (JPEG and others are not expected)`);
    const stream = ctl & 3;
    let filter = 0;
    if (ctl & 4) filter = (await rd.read(1))[0]!;
    let palette: number[] = [];
    let bitsPerPixel = tp.size * 8;
    if (filter === 1) {
      const n = (await rd.read(1))[0]! + 1;
      const pb = await rd.read(n * tp.size);
      palette = Array.from({ length: n }, (_, i) => tp.value(pb, i * tp.size));
      bitsPerPixel = n === 2 ? 1 : 8;
    } else if (filter !== 0) {
      throw new Error(`Tight filter ${filter} not expected`);
    }
    note(filter === 0 ? 'copy' : palette.length === 2 ? 'mono' : 'indexed');
    const rowBytes = Math.floor((r.width * bitsPerPixel + 7) / 8);
    const size = rowBytes * r.height;
    let data: Buffer;
    if (size < 12) {
      note('uncompressed');
      data = await rd.read(size);
    } else {
      let len = 0;
      for (let i = 0; i < 3; i++) {
        const b = (await rd.read(1))[0]!;
        len |= (i < 2 ? b & 0x7f : b) << (7 * i);
        if (i < 2 && !(b & 0x80)) break;
      }
      data = this.tight[stream]!.next(await rd.read(len));
      if (data.length !== size) throw new Error(`Tight data inflated to ${data.length} bytes, expected ${size}`);
    }
    for (let y = 0; y < r.height; y++) {
      for (let x = 0; x < r.width; x++) {
        let v: number;
        if (filter === 1 && palette.length === 2) v = palette[(data[y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1]!;
        else if (filter === 1) {
          const idx = data[y * rowBytes + x]!;
          if (idx >= palette.length) throw new Error('Tight palette index outside the palette');
          v = palette[idx]!;
        } else v = tp.value(data, y * rowBytes + x * tp.size);
        this.put(r.x + x, r.y + y, v);
      }
    }
  }
}
