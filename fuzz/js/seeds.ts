// Writes the checked-in seeds of the JS fuzz targets (fuzz/js/corpus/TARGET/), each a small input
// that means something; run after changing a target's input format:
//   npm run build && node dist/fuzz/js/seeds.js
// Every input starts with the chunking byte (chunks.ts: 0 = the stream in one piece).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { vncAuthResponse } from '../../actors/compositor/vnc/des.js';
import { encodeSnapshot } from '../../vmm/snapshot/snapshot.js';
import { CHALLENGE, PASSWORD } from './targets/rfb-handshake.js';
import { FUZZ_VMM_VERSION } from './targets/snapshot-loader.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// dist/fuzz/js → fuzz/js (the seeds live beside the sources, not in dist/).
const corpus = path.resolve(here, '..', '..', '..', 'fuzz', 'js', 'corpus');

const u8 = (...v: number[]) => Buffer.from(v);
const u16 = (v: number) => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};
const s32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const cat = (...parts: Buffer[]) => Buffer.concat(parts);

// Client messages (RFC 6143 §7.5).
const pixelFormat = (bpp: number, depth: number, maxes: [number, number, number], shifts: [number, number, number]) =>
  cat(u8(0, 0, 0, 0, bpp, depth, 0, 1), u16(maxes[0]), u16(maxes[1]), u16(maxes[2]), u8(...shifts, 0, 0, 0));
const setEncodings = (...e: number[]) => cat(u8(2, 0), u16(e.length), ...e.map(s32));
const updateRequest = (inc: number, x: number, y: number, w: number, h: number) => cat(u8(3, inc), u16(x), u16(y), u16(w), u16(h));
const key = (down: number, sym: number) => cat(u8(4, down, 0, 0), u32(sym));
const pointer = (buttons: number, x: number, y: number) => cat(u8(5, buttons), u16(x), u16(y));
const cutText = (text: string) => cat(u8(6, 0, 0, 0), u32(text.length), Buffer.from(text, 'latin1'));

const session = cat(
  pixelFormat(32, 24, [255, 255, 255], [16, 8, 0]),
  setEncodings(7, 16, 1, 0, -223, -232, -239, -314, -250),
  updateRequest(0, 0, 0, 640, 480),
  pointer(1, 10, 20),
  key(1, 0x61),
  key(0, 0x61),
  cutText('hello'),
  updateRequest(1, 0, 0, 640, 480),
);

const messages: Record<string, Buffer> = {
  'session-whole': cat(u8(0), session),
  'session-chunked': cat(u8(7), session),
  'pixel-format-16': cat(u8(0), pixelFormat(16, 16, [31, 63, 31], [11, 5, 0])),
  'pixel-format-8': cat(u8(3), pixelFormat(8, 8, [7, 7, 3], [0, 3, 6])),
  'pixel-format-bad': cat(u8(0), pixelFormat(24, 24, [255, 255, 255], [16, 8, 0])),
  'encodings-many': cat(u8(9), setEncodings(...Array.from({ length: 64 }, (_, i) => i - 32))),
  'encodings-too-many': cat(u8(0), setEncodings(...Array.from({ length: 65 }, (_, i) => i))),
  'cut-text-split': cat(u8(2), cutText('a longer clipboard text that spans several chunks of the stream'), pointer(0, 1, 1)),
  'cut-text-too-long': cat(u8(0), u8(6, 0, 0, 0), u32(5000)),
  'unknown-type': cat(u8(0), pointer(0, 5, 5), u8(9, 1, 2, 3)),
  'partial-message': cat(u8(5), updateRequest(0, 1, 2, 3, 4).subarray(0, 7)),
};

// Handshakes: byte 0 chunking, byte 1 bit 0 = the server asks for VNC Authentication.
const version = (v: string) => Buffer.from(`RFB ${v}\n`, 'latin1');
const authResponse = Buffer.from(vncAuthResponse(PASSWORD, CHALLENGE));
const handshakes: Record<string, Buffer> = {
  'v38-none': cat(u8(0, 0), version('003.008'), u8(1), u8(1), updateRequest(0, 0, 0, 8, 8)),
  'v38-none-chunked': cat(u8(3, 0), version('003.008'), u8(1), u8(0), pointer(0, 1, 1)),
  'v37-none': cat(u8(0, 0), version('003.007'), u8(1), u8(1)),
  'v33-none': cat(u8(0, 0), version('003.003'), u8(1)),
  'v35-reads-as-33': cat(u8(0, 0), version('003.005'), u8(0)),
  'v38-auth-ok': cat(u8(0, 1), version('003.008'), u8(2), authResponse, u8(1), key(1, 0x20)),
  'v37-auth-ok-chunked': cat(u8(11, 1), version('003.007'), u8(2), authResponse, u8(0)),
  'v33-auth-ok': cat(u8(0, 1), version('003.003'), authResponse, u8(1)),
  'v38-auth-wrong': cat(u8(0, 1), version('003.008'), u8(2), Buffer.alloc(16, 0x55), u8(1)),
  'v38-wrong-security': cat(u8(0, 0), version('003.008'), u8(2), u8(1)),
  'bad-version': cat(u8(0, 0), Buffer.from('RFB 004.000\n', 'latin1')),
  'not-rfb': cat(u8(0, 0), Buffer.from('GET / HTTP/1.1\r\n\r\n', 'latin1')),
};

// WebSocket frames from a browser (RFC 6455 §5.2): masked, as a client must send them.
function frame(opcode: number, payload: Buffer, opts: { fin?: boolean; mask?: boolean; rsv?: number } = {}): Buffer {
  const fin = opts.fin ?? true;
  const mask = opts.mask ?? true;
  const head = [(fin ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opcode];
  const m = mask ? 0x80 : 0;
  let len: Buffer;
  if (payload.length < 126) len = u8(m | payload.length);
  else if (payload.length < 65536) len = cat(u8(m | 126), u16(payload.length));
  else len = cat(u8(m | 127), u32(0), u32(payload.length));
  if (!mask) return cat(u8(...head), len, payload);
  const key = u8(0x12, 0x34, 0x56, 0x78);
  const masked = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return cat(u8(...head), len, key, masked);
}
const hello = cat(version('003.008'), u8(1), u8(1));
const frames: Record<string, Buffer> = {
  'session-one-frame': cat(u8(0), frame(2, cat(hello, session))),
  'session-frame-per-message': cat(u8(0), frame(2, hello), frame(2, setEncodings(0, 7)), frame(2, updateRequest(0, 0, 0, 64, 64)), frame(2, pointer(1, 3, 4))),
  'session-chunked': cat(u8(13), frame(2, hello), frame(2, session)),
  fragmented: cat(u8(0), frame(2, hello.subarray(0, 5), { fin: false }), frame(0, hello.subarray(5), { fin: false }), frame(0, session)),
  'ping-pong-close': cat(u8(0), frame(2, hello), frame(9, Buffer.from('p')), frame(10, Buffer.alloc(0)), frame(8, cat(u16(1000), Buffer.from('bye')))),
  'text-frame': cat(u8(0), frame(2, hello), frame(1, Buffer.from('UkZCIDAwMy4wMDgK'))),
  'length-16': cat(u8(0), frame(2, cat(hello, cutText('x'.repeat(200))))),
  'too-big': cat(u8(0), frame(2, Buffer.alloc(5000))),
  'length-64': cat(u8(0), u8(0x82, 0xff), u32(0), u32(70000), u8(1, 2, 3, 4)),
  unmasked: cat(u8(0), frame(2, hello, { mask: false })),
  'rsv-bits': cat(u8(0), frame(2, hello, { rsv: 4 })),
  'bad-opcode': cat(u8(0), frame(3, hello)),
  'control-fragmented': cat(u8(0), frame(9, Buffer.from('ping'), { fin: false })),
  'close-bad-code': cat(u8(0), frame(8, cat(u16(999), Buffer.from('x')))),
  'handshake-fails': cat(u8(0), frame(2, cat(version('003.008'), u8(2)))),
  'rfb-error': cat(u8(0), frame(2, cat(hello, u8(200)))),
};

// Snapshot files: byte 0 bit 0 = make the checksums right before loading. 16 MiB of RAM, mostly
// zero pages, so a whole file fits the fuzzer's 4 KiB inputs.
const ram16 = (fill: (ram: Uint8Array) => void) => {
  const ram = new Uint8Array(16 * 1024 * 1024);
  fill(ram);
  return ram;
};
const snapshotFile = (options: object, ram: Uint8Array, version = FUZZ_VMM_VERSION) => Buffer.concat(encodeSnapshot({ options, ram }, version).parts);
const machine = { ramMiB: 16, devices: [{ variant: 'pci' }], workload: { name: 'desktop', frames: 10 } };
const zeroRam = snapshotFile(
  machine,
  ram16(() => {}),
);
const someRam = snapshotFile(
  machine,
  ram16((r) => {
    r.fill(7, 4096, 4096 + 300); // a page that deflates
    for (let i = 0; i < 4096; i++) r[8 * 4096 + i] = (i * 2654435761) >>> 24; // one that does not
    r.fill(1, r.length - 4096); // the last page
  }),
);
const snapshots: Record<string, Buffer> = {
  'zero-ram': cat(u8(0), zeroRam),
  'some-ram': cat(u8(0), someRam),
  'some-ram-fixed': cat(u8(1), someRam),
  'two-devices': cat(
    u8(1),
    snapshotFile(
      { ramMiB: 16, devices: [{}, { variant: 'pci', displays: 2 }], vcpus: 2 },
      ram16(() => {}),
    ),
  ),
  'other-version': cat(
    u8(1),
    snapshotFile(
      machine,
      ram16(() => {}),
      '9.9.9',
    ),
  ),
  truncated: cat(u8(1), someRam.subarray(0, someRam.length - 100)),
  'header-only': cat(u8(1), someRam.subarray(0, 64)),
};

const sets: Record<string, Record<string, Buffer>> = {
  'snapshot-loader': snapshots,
  'rfb-client-messages': messages,
  'rfb-handshake': handshakes,
  'ws-bridge-framing': frames,
};
for (const [target, seeds] of Object.entries(sets)) {
  const dir = path.join(corpus, target);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(seeds)) fs.writeFileSync(path.join(dir, name), bytes);
  console.log(`${target}: ${Object.keys(seeds).length} seeds in ${path.relative(process.cwd(), dir)}`);
}
