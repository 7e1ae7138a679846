// A minimal RFB client for benchmarks: handshakes (security None), asks for one encoding plus
// DesktopSize, then keeps an incremental update request outstanding by asking again whenever
// bytes arrive (a server holds one request per client, so asking early costs nothing). It does not
// decode: the server's own counters say how many bytes each frame cost.
import { connect, type Socket } from 'node:net';

import type { VncUpdateLog } from './vnc-update-log.js';

const ENCODINGS = { raw: 0, zrle: 16, tight: 7 } as const;
const DESKTOP_SIZE = -223;

export type LoadEncoding = keyof typeof ENCODINGS;

export class VncLoadClient {
  bytesReceived = 0;

  private constructor(private readonly socket: Socket) {}

  /** `log`: every server message after the handshake also goes there (bench/vnc-latency.ts). */
  static async connect(port: number, encoding: LoadEncoding, host = '127.0.0.1', log?: VncUpdateLog): Promise<VncLoadClient> {
    const socket = connect({ port, host });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let buf = Buffer.alloc(0);
    let want: { n: number; resolve: (b: Buffer) => void } | null = null;
    const feed = () => {
      if (want && buf.length >= want.n) {
        const w = want;
        want = null;
        const out = buf.subarray(0, w.n);
        buf = buf.subarray(w.n);
        w.resolve(out);
      }
    };
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      feed();
    };
    socket.on('data', onData);
    const read = (n: number) => new Promise<Buffer>((resolve) => ((want = { n, resolve }), feed()));
    await read(12);
    socket.write('RFB 003.008\n');
    const types = await read((await read(1))[0]!);
    if (!types.includes(1)) throw new Error('the server wants a password; the load client has none');
    socket.write(Buffer.of(1));
    if ((await read(4)).readUInt32BE(0) !== 0) throw new Error('security handshake failed');
    socket.write(Buffer.of(1));
    const init = await read(24);
    await read(init.readUInt32BE(20));
    socket.off('data', onData);
    const client = new VncLoadClient(socket);
    client.bytesReceived = buf.length;
    if (buf.length > 0) log?.feed(buf);
    const enc = Buffer.alloc(4 + 8);
    enc[0] = 2;
    enc.writeUInt16BE(2, 2);
    enc.writeInt32BE(ENCODINGS[encoding], 4);
    enc.writeInt32BE(DESKTOP_SIZE, 8);
    socket.write(enc);
    socket.on('data', (c: Buffer) => {
      client.bytesReceived += c.length;
      log?.feed(c);
      client.request(true);
    });
    client.request(false);
    return client;
  }

  private request(incremental: boolean): void {
    const b = Buffer.alloc(10);
    b[0] = 3;
    b[1] = incremental ? 1 : 0;
    b.writeUInt16BE(0xffff, 6); // the whole screen, whatever its size: the server clips
    b.writeUInt16BE(0xffff, 8);
    this.socket.write(b);
  }

  /** Sends a PointerEvent (RFB button mask: bit 0 left, 1 middle, 2 right). */
  pointer(x: number, y: number, buttons: number): void {
    const b = Buffer.alloc(6);
    b[0] = 5;
    b[1] = buttons;
    b.writeUInt16BE(x, 2);
    b.writeUInt16BE(y, 4);
    this.socket.write(b);
  }

  close(): void {
    this.socket.destroy();
  }
}
