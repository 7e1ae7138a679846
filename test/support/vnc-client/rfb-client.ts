// A scripted RFB client over a raw socket, for what libvncclient cannot be made to do: speak 3.3
// or 3.7 byte by byte, send garbage, stop reading, check exact bytes. Updates are decoded by the
// reference decoder.
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

import { vncAuthResponse } from '../../../outputs/vnc/des.js';
import { Encoding } from '../../../outputs/vnc/rfb.js';
import { encodePixelFormat, SERVER_PIXEL_FORMAT, type PixelFormat } from '../../../outputs/vnc/pixel-format.js';
import { ReferenceDecoder, type DecodedUpdate, type Reader } from './reference-decoder.js';

/** Bytes from a socket (or any byte stream: a WebSocket's, through the browser viewer), read in exact amounts. */
export class SocketReader implements Reader {
  private chunks: Buffer[] = [];
  private have = 0;
  private ended = false;
  private wake: (() => void) | null = null;

  constructor(readonly socket: Duplex) {
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.have += c.length;
      this.wake?.();
    });
    const end = () => {
      this.ended = true;
      this.wake?.();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  get buffered(): number {
    return this.have;
  }

  get closed(): boolean {
    return this.ended;
  }

  async read(n: number, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.have < n) {
      if (this.ended) throw new Error(`connection closed with ${this.have} of ${n} bytes`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} bytes (have ${this.have})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.wake = () => {
          clearTimeout(t);
          this.wake = null;
          r();
        };
      });
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.have = rest.length;
    return out;
  }

  /** Resolves when the server has closed the connection. */
  async closedWithin(timeoutMs = 5_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.ended;
  }
}

export function openSocket(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

export interface HandshakeOptions {
  version?: '3.3' | '3.7' | '3.8';
  password?: string;
  shared?: boolean;
}

export class RfbTestClient<S extends Duplex = Socket> {
  readonly reader: SocketReader;
  decoder!: ReferenceDecoder;
  name = '';
  serverFormat!: PixelFormat;

  private constructor(readonly socket: S) {
    this.reader = new SocketReader(socket);
  }

  static async open(port: number): Promise<RfbTestClient> {
    return new RfbTestClient(await openSocket(port));
  }

  /** A client over a byte stream that is already open (e.g. a WebSocket's, through the browser viewer). */
  static over<S extends Duplex>(stream: S): RfbTestClient<S> {
    return new RfbTestClient(stream);
  }

  /** Opens and goes through the whole handshake; throws when the server refuses. */
  static async connect(port: number, opts: HandshakeOptions = {}): Promise<RfbTestClient> {
    const c = await RfbTestClient.open(port);
    await c.handshake(opts);
    return c;
  }

  async handshake(opts: HandshakeOptions = {}): Promise<void> {
    const version = opts.version ?? '3.8';
    const server = (await this.reader.read(12)).toString('latin1');
    if (server !== 'RFB 003.008\n') throw new Error(`server version ${JSON.stringify(server)}`);
    this.write(Buffer.from(`RFB 003.00${version.slice(2)}\n`, 'latin1'));
    let type: number;
    if (version === '3.3') {
      type = (await this.reader.read(4)).readUInt32BE(0);
    } else {
      const n = (await this.reader.read(1))[0]!;
      if (n === 0) throw new Error(`refused: ${await this.reason()}`);
      const types = [...(await this.reader.read(n))];
      type = types.includes(2) && opts.password !== undefined ? 2 : types[0]!;
      this.write(Buffer.from([type]));
    }
    if (type === 2) {
      const challenge = await this.reader.read(16);
      this.write(Buffer.from(vncAuthResponse(opts.password ?? '', challenge)));
    }
    if (type === 2 || version === '3.8') {
      const result = (await this.reader.read(4)).readUInt32BE(0);
      if (result !== 0) throw new Error(version === '3.8' ? `security failed: ${await this.reason()}` : 'security failed');
    }
    this.write(Buffer.from([opts.shared === false ? 0 : 1]));
    const init = await this.reader.read(24);
    const width = init.readUInt16BE(0);
    const height = init.readUInt16BE(2);
    this.serverFormat = {
      bitsPerPixel: init[4]!,
      depth: init[5]!,
      bigEndian: init[6] !== 0,
      trueColour: init[7] !== 0,
      redMax: init.readUInt16BE(8),
      greenMax: init.readUInt16BE(10),
      blueMax: init.readUInt16BE(12),
      redShift: init[14]!,
      greenShift: init[15]!,
      blueShift: init[16]!,
    };
    this.name = (await this.reader.read(init.readUInt32BE(20))).toString('utf8');
    this.decoder = new ReferenceDecoder(width, height, this.serverFormat);
  }

  async reason(): Promise<string> {
    const n = (await this.reader.read(4)).readUInt32BE(0);
    return (await this.reader.read(n)).toString('utf8');
  }

  write(b: Uint8Array): void {
    this.socket.write(b);
  }

  setPixelFormat(pf: PixelFormat): void {
    this.write(Buffer.concat([Buffer.from([0, 0, 0, 0]), encodePixelFormat(pf)]));
    this.decoder.format = pf;
  }

  setEncodings(encodings: number[]): void {
    const b = Buffer.alloc(4 + encodings.length * 4);
    b[0] = 2;
    b.writeUInt16BE(encodings.length, 2);
    encodings.forEach((e, i) => b.writeInt32BE(e, 4 + i * 4));
    this.write(b);
  }

  request(incremental: boolean, x = 0, y = 0, width = this.decoder.width, height = this.decoder.height): void {
    const b = Buffer.alloc(10);
    b[0] = 3;
    b[1] = incremental ? 1 : 0;
    b.writeUInt16BE(x, 2);
    b.writeUInt16BE(y, 4);
    b.writeUInt16BE(width, 6);
    b.writeUInt16BE(height, 8);
    this.write(b);
  }

  pointer(x: number, y: number, buttons = 0): void {
    const b = Buffer.alloc(6);
    b[0] = 5;
    b[1] = buttons;
    b.writeUInt16BE(x, 2);
    b.writeUInt16BE(y, 4);
    this.write(b);
  }

  key(keysym: number, down: boolean): void {
    const b = Buffer.alloc(8);
    b[0] = 4;
    b[1] = down ? 1 : 0;
    b.writeUInt32BE(keysym, 4);
    this.write(b);
  }

  cutText(text: string): void {
    const t = Buffer.from(text, 'latin1');
    const b = Buffer.alloc(8);
    b[0] = 6;
    b.writeUInt32BE(t.length, 4);
    this.write(Buffer.concat([b, t]));
  }

  /** Reads and applies the next FramebufferUpdate. */
  nextUpdate(): Promise<DecodedUpdate> {
    return this.decoder.update(this.reader);
  }

  /**
   * The framebuffer's size once it is `width`x`height`, or after `updates` full updates. A client
   * that connects before the sink has the display's first mode is told 1x1; the mode then follows
   * as a DesktopSize, which this asks for.
   */
  async sizeOnceSettled(width: number, height: number, updates = 50): Promise<[number, number]> {
    this.setEncodings([Encoding.Raw, Encoding.DesktopSize]);
    for (let i = 0; i < updates && (this.decoder.width !== width || this.decoder.height !== height); i++) {
      this.request(false);
      await this.nextUpdate();
    }
    return [this.decoder.width, this.decoder.height];
  }

  /** True when nothing arrives within `ms`. */
  async quietFor(ms: number): Promise<boolean> {
    const before = this.reader.buffered;
    await new Promise((r) => setTimeout(r, ms));
    return this.reader.buffered === before;
  }

  close(): void {
    this.socket.destroy();
  }
}

export { SERVER_PIXEL_FORMAT };
