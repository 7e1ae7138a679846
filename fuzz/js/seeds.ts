// Writes the checked-in seeds of the JS fuzz targets (fuzz/js/corpus/TARGET/), each a small input
// that means something; run after changing a target's input format:
//   npm run build && node dist/fuzz/js/seeds.js
// Every input starts with the chunking byte (chunks.ts: 0 = the stream in one piece).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { vncAuthResponse } from '../../outputs/vnc/des.js';
import { encodeSnapshot } from '../../vmm/snapshot/snapshot.js';
import { encodeCompositorDisplay } from '../../actors/compositor/display-snapshot.js';
import { encodeTaskSpaceState } from '../../actors/device/task-space-snapshot.js';
import { encodeGuestProgramState } from '../../guest/ts/program-snapshot.js';
import { GuestProgram } from '../../guest/ts/program.js';
import { RAM_BASE } from '../../machine/memory-map.js';
import { saveInterruptTable } from '../../shared/irq/interrupt-table-snapshot.js';
import { InterruptTable, LINE_STATE_BITS, createInterruptTable } from '../../shared/irq/interrupt-table.js';
import { VcpuIrqWord } from '../../shared/irq/layout.js';
import { saveVcpuPending } from '../../shared/irq/vcpu-irq-snapshot.js';
import { VcpuIrqState, createVcpuIrqBuffer } from '../../shared/irq/vcpu-irq.js';
import { guestFor } from '../../vmm/assembly/guests.js';
import { interruptLines } from '../../vmm/assembly/wiring.js';
import { resolveConfig } from '../../vmm/config.js';
import type { MachineState } from '../../vmm/snapshot/machine-state.js';
import { saveInputDevice } from '../../actors/input/input-snapshot.js';
import { VirtioInputDevice } from '../../actors/input/virtio-input.js';
import { createGuestMemory } from '../../shared/guest-memory/index.js';
import { VirtioMmioTransport } from '../../shared/virtio/mmio-transport.js';
import { EngineRig } from '../../test/support/engine-rig.js';
import { guestVcpuSaved } from './kvm-vcpu-state.js';
import { encodeKvmVcpu } from '../../actors/vcpu/kvm/vcpu-state-snapshot.js';
import { CHALLENGE, PASSWORD } from './targets/rfb-handshake.js';
import { Op as VqOp, RAM } from './targets/virtqueue.js';
import { Op as PciOp } from './targets/virtio-pci.js';
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

// Virtqueue programs (targets/virtqueue.ts): one op byte, then its operands, little-endian.
const le16 = (v: number) => Buffer.from([v & 0xff, (v >> 8) & 0xff]);
const le32 = (v: number) => Buffer.from([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff]);
const mmioWrite = (offset: number, value: number, sizeCode = 2) => cat(u8(VqOp.MmioWrite), le16(offset), u8(sizeCode), le32(value));
const mmioRead = (offset: number, sizeCode = 2) => cat(u8(VqOp.MmioRead), le16(offset), u8(sizeCode));
const ramWrite = (offset: number, bytes: Buffer) => cat(u8(VqOp.RamWrite), le16(offset), u8(bytes.length), bytes);
const vqKey = (code: number, down: number) => u8(VqOp.Key, code, down);
/** A valid queue of 2^log2 buffers at RAM offset slot * 0x2000 (descriptors there, avail + 0x400, used + 0x800). */
const vqSetup = (slot: number, log2: number) => u8(VqOp.Setup, slot, log2);
const descriptor = (gpa: number, len: number, flags: number, next: number) => cat(le32(gpa), le32(0), le32(len), le16(flags), le16(next));
const vqPop = (log2: number, desc16: number, avail2: number, used4: number) => cat(u8(VqOp.Pop, log2), le16(desc16), le16(avail2), le16(used4));
const queues: Record<string, Buffer> = {
  'setup-keys': cat(vqSetup(0, 3), vqKey(30, 1), vqKey(30, 0), vqKey(44, 1)),
  'setup-overflow': cat(vqSetup(1, 1), ...Array.from({ length: 12 }, (_, i) => vqKey(2 + i, 1))),
  'chain-loop': cat(vqSetup(0, 3), ramWrite(0, cat(descriptor(RAM + 0x1000, 8, 3, 1), descriptor(RAM + 0x1008, 8, 3, 0))), vqKey(30, 1)),
  'buffer-outside-ram': cat(vqSetup(0, 3), ramWrite(0, descriptor(0x1000, 8, 2, 0)), vqKey(30, 1)),
  'buffer-too-small': cat(vqSetup(0, 3), ramWrite(0, descriptor(RAM + 0x1000, 4, 2, 0)), vqKey(30, 1)),
  'avail-index-jump': cat(vqSetup(0, 3), ramWrite(0x402, le16(200)), vqKey(30, 1)),
  indirect: cat(vqSetup(0, 2), ramWrite(0, descriptor(RAM + 0x1000, 16, 4, 0)), vqKey(30, 1)),
  registers: cat(
    ...[0x000, 0x004, 0x008, 0x00c, 0x010, 0x034, 0x044, 0x060, 0x070, 0x0fc, 0x100, 0x108].map((o) => mmioRead(o)),
    mmioRead(0x102, 0),
    mmioRead(0x000, 3),
  ),
  'bad-sizes': cat(
    mmioWrite(0x070, 1),
    mmioWrite(0x070, 3),
    mmioWrite(0x024, 1),
    mmioWrite(0x020, 1),
    mmioWrite(0x070, 11),
    mmioWrite(0x038, 6),
    mmioWrite(0x038, 128),
    mmioWrite(0x044, 1),
  ),
  'no-version-1': cat(mmioWrite(0x070, 3), mmioWrite(0x070, 11), mmioRead(0x070), mmioWrite(0x070, 15)),
  'notify-before-ready': cat(mmioWrite(0x050, 0), mmioWrite(0x050, 1), mmioWrite(0x050, 9)),
  'config-selects': cat(mmioWrite(0x100, 0x11, 0), mmioWrite(0x101, 1, 0), mmioRead(0x102, 0), mmioRead(0x108), mmioWrite(0x100, 0x0101, 1), mmioRead(0x108)),
  'status-queue': cat(
    vqSetup(2, 2),
    mmioWrite(0x030, 1),
    mmioWrite(0x038, 4),
    mmioWrite(0x080, RAM),
    mmioWrite(0x090, RAM + 0x400),
    mmioWrite(0x0a0, RAM + 0x800),
    mmioWrite(0x044, 1),
    mmioWrite(0x050, 1),
  ),
  'pop-direct': cat(
    ramWrite(0x10, cat(descriptor(RAM + 0x100, 8, 1, 1), descriptor(RAM + 0x108, 8, 2, 0))),
    ramWrite(0x800, cat(le16(0), le16(1), le16(1))),
    vqPop(1, 1, 0x400, 0x300),
  ),
  'reset-mid-queue': cat(vqSetup(0, 2), vqKey(30, 1), mmioWrite(0x070, 0), vqKey(31, 1), vqSetup(3, 2), vqKey(32, 1)),
};

// virtio-pci programs (targets/virtio-pci.ts): the same shape, over config space and BAR0.
const cfgWrite = (offset: number, value: number, sizeCode = 2) => cat(u8(PciOp.ConfigWrite), le16(offset), u8(sizeCode), le32(value));
const cfgRead = (offset: number, sizeCode = 2) => cat(u8(PciOp.ConfigRead), le16(offset), u8(sizeCode));
/** sizeCode: 0 one byte, 1 two, 2 four, 3 eight. */
const barWrite = (offset: number, value: number, sizeCode: number) => cat(u8(PciOp.BarWrite), le16(offset), u8(sizeCode), le32(value));
const barRead = (offset: number, sizeCode: number) => cat(u8(PciOp.BarRead), le16(offset), u8(sizeCode));
const pciRam = (offset: number, bytes: Buffer) => cat(u8(PciOp.RamWrite), le16(offset), u8(bytes.length), bytes);
const pciKey = (code: number, down: number) => u8(PciOp.Key, code, down);
/** MSI-X on with entry e's data `vector` + e, VERSION_1, queue 0 of 2^log2 buffers at RAM offset slot * 0x2000, DRIVER_OK. */
const pciSetup = (slot: number, log2: number, vector = 0x60) => u8(PciOp.Setup, slot, log2, vector);
// Common configuration offsets (VirtioPciCommon) and BAR0 regions (VirtioPciRegion).
const STATUS = 0x14;
const MSIX_TABLE = 0x4000;
const MSIX_PBA = 0x4800;
/** Message Control's upper byte: bit 7 Enable, bit 6 Function Mask. */
const msixControl = (bits: number) => cfgWrite(0x43, bits, 0);
const pciPrograms: Record<string, Buffer> = {
  'setup-keys': cat(pciSetup(0, 3), pciKey(30, 1), pciKey(30, 0), pciKey(44, 1)),
  'config-space': cat(
    ...[0x00, 0x02, 0x08, 0x2c, 0x34, 0x40, 0x60, 0x68, 0x6c, 0x70, 0x80, 0x84, 0x94].map((o) => cfgRead(o)),
    cfgWrite(0x10, 0xffffffff),
    cfgRead(0x10),
    cfgWrite(0x04, 6, 1),
  ),
  'bad-sizes': cat(barWrite(0x16, 0, 1), barWrite(0x18, 3, 1), barWrite(0x18, 0, 1), barWrite(0x18, 128, 1)),
  'no-version-1': cat(barWrite(STATUS, 3, 0), barWrite(STATUS, 11, 0), barRead(STATUS, 0), barWrite(STATUS, 15, 0)),
  'notify-before-ready': cat(barWrite(0x3000, 0, 1), barWrite(0x3000 + 4 * 9, 9, 1)),
  'read-only': cat(barWrite(0x04, 0, 2), barWrite(0x12, 9, 1), barWrite(0x1e, 9, 1), barWrite(0x1000, 1, 0)),
  widths: cat(barRead(STATUS, 2), barRead(0x01, 0), barRead(0x1000, 2), barRead(0x3000, 1), barWrite(0x2000, 1, 3)),
  'bad-vector': cat(barWrite(0x10, 40, 1), barRead(0x10, 1), barWrite(0x1a, 0x7fff, 1)),
  'ring-outside-ram': cat(
    barWrite(STATUS, 3, 0),
    barWrite(0x08, 1, 2),
    barWrite(0x0c, 1, 2),
    barWrite(STATUS, 11, 0),
    barWrite(0x24, 1, 2),
    barWrite(0x1c, 1, 1),
  ),
  'msix-masked': cat(pciSetup(0, 3), barWrite(MSIX_TABLE + 16 + 12, 1, 2), pciKey(30, 1), barRead(MSIX_PBA, 2), barWrite(MSIX_TABLE + 16 + 12, 0, 2)),
  'msix-function-mask': cat(pciSetup(0, 3), msixControl(0xc0), pciKey(30, 1), msixControl(0x80), msixControl(0x80)),
  'msix-disabled': cat(pciSetup(0, 3), msixControl(0), pciKey(30, 1)),
  'msix-table-hostile': cat(
    barWrite(MSIX_TABLE + 12, 0, 0),
    barWrite(MSIX_TABLE + 14, 0, 1),
    barWrite(MSIX_TABLE + 10, 0x60, 2),
    barRead(MSIX_TABLE + 4, 3), // a QWORD not 8-aligned (an aligned one is taken)
    barWrite(MSIX_PBA, 0xffffffff, 2),
    barRead(MSIX_TABLE + 16 * 3, 2),
    barRead(MSIX_PBA + 8, 2),
  ),
  'chain-loop': cat(pciSetup(0, 3), pciRam(0, cat(descriptor(RAM + 0x1000, 8, 3, 1), descriptor(RAM + 0x1008, 8, 3, 0))), pciKey(30, 1)),
  'reset-mid-queue': cat(pciSetup(0, 2), pciKey(30, 1), barWrite(STATUS, 0, 0), pciKey(31, 1), pciSetup(3, 2, 0x62), pciKey(32, 1)),
};

// Control-socket requests (docs/control.md): JSON lines, byte 0 chunking.
const lines = (...l: string[]) => Buffer.from(l.map((x) => `${x}\n`).join(''));
const controlSession = lines(
  '{"execute":"qmp_capabilities"}',
  '{"execute":"status","id":1}',
  '{"execute":"stats","id":"s"}',
  '{"execute":"snapshot","arguments":{"device":0,"display":0,"path":"/tmp/a.png"}}',
  '{"execute":"pause"}',
  '{"execute":"reset","arguments":{"clearRam":true},"id":null}',
  '{"execute":"resume"}',
  '{"execute":"save","arguments":{"path":"/tmp/vm.snap"}}',
  '{"execute":"stop","id":true}',
);
const controls: Record<string, Buffer> = {
  'session-whole': cat(u8(0), controlSession),
  'session-chunked': cat(u8(5), controlSession),
  'crlf-and-blank-lines': cat(u8(0), Buffer.from('{"execute":"status"}\r\n\r\n  \n{"execute":"commands"}\n')),
  'bad-json': cat(u8(0), lines('{"execute": }', 'garbage', "{'execute':'stats'}")),
  'not-objects': cat(u8(0), lines('[]', '"stats"', 'null', '42')),
  'bad-members': cat(u8(0), lines('{"execute":"stats","extra":1}', '{"id":1}', '{"execute":7}', '{"execute":"stats","id":[1]}')),
  'unknown-commands': cat(u8(0), lines('{"execute":"quit"}', '{"execute":"__proto__"}', '{"execute":"constructor"}')),
  'bad-arguments': cat(
    u8(3),
    lines(
      '{"execute":"reset","arguments":{"clearRam":"yes"}}',
      '{"execute":"snapshot","arguments":{"device":-1,"display":1.5}}',
      '{"execute":"snapshot","arguments":{"path":"relative.png"}}',
      '{"execute":"snapshot","arguments":{"path":"/a\\u0000b"}}',
      '{"execute":"save"}',
      '{"execute":"stats","arguments":[]}',
      '{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}',
    ),
  ),
  'deep-nesting': cat(u8(0), Buffer.from(`{"execute":"stats","id":${'['.repeat(200)}${']'.repeat(200)}}\n`)),
  'line-too-long': cat(u8(9), Buffer.from(`{"execute":"snapshot","arguments":{"path":"/${'a'.repeat(600)}"}}\n{"execute":"status"}\n`)),
  'utf8-split': cat(u8(1), lines('{"execute":"snapshot","arguments":{"path":"/tmp/é€😀.png"}}')),
  'no-newline': cat(u8(0), Buffer.from('{"execute":"status"}')),
};

// Snapshot files: byte 0 bit 0 = make the checksums right before loading. 16 MiB of RAM, mostly
// zero pages, so a whole file fits the fuzzer's 4 KiB inputs.
const ram16 = (fill: (ram: Uint8Array) => void) => {
  const ram = new Uint8Array(16 * 1024 * 1024);
  fill(ram);
  return ram;
};
const snapshotFile = (options: object, ram: Uint8Array, version = FUZZ_VMM_VERSION, state: MachineState | null = null) =>
  Buffer.concat(encodeSnapshot({ options, ram, state }, version).parts);
// A machine a guest ran on, small enough for 4 KiB: one MMIO device whose display has no mode yet
// (no frame pixels), an engine at power-on (a real engine's saved bytes: the loader checks them
// with checkEngineState) and so a task space without tasks that agrees with it, a line latched, a
// vector pending, a cursor glyph, the guest program before its boot, and the display's keyboard
// and tablet on virtio-mmio with events waiting for a driver.
const ranMachine = { ramMiB: 16, devices: [{}], workload: { name: 'desktop', frames: 10 }, input: true };
async function powerOnEngine(): Promise<Uint8Array> {
  const rig = new EngineRig({ modes: resolveConfig(ranMachine).devices[0]!.displays[0]!.modes });
  try {
    return rig.engine.saveState();
  } finally {
    await rig.stop();
  }
}
function inputDevices(): Uint8Array[] {
  const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM_BASE, size: 16 << 20 }] });
  const made = (['keyboard', 'tablet'] as const).map((kind) => new VirtioInputDevice(kind, 's', (m) => new VirtioMmioTransport(memory, m, () => undefined)));
  made[0]!.key(30, true);
  made[1]!.pointer(100, 200, 1);
  return made.map(saveInputDevice);
}
const ranEngine = await powerOnEngine();
function ranState(): MachineState {
  const config = resolveConfig(ranMachine);
  const table = new InterruptTable(createInterruptTable(interruptLines(config).lines, 1), null);
  const pending = new VcpuIrqState(createVcpuIrqBuffer());
  const words = new Int32Array(pending.buffer);
  words[VcpuIrqWord.Pending + 1] = 1 << 3; // vector 35
  const irq = new Uint8Array(saveInterruptTable(table));
  new DataView(irq.buffer).setUint32(12, LINE_STATE_BITS.latched, true); // line 0 (edge) latched
  return {
    devices: [
      {
        engine: ranEngine,
        taskSpace: encodeTaskSpaceState({ nextId: 3, nextSlot: 3, freeSlots: [1, 2], tasks: [] }),
        pci: null,
      },
    ],
    interruptTable: irq,
    vcpus: [
      {
        program: encodeGuestProgramState(new GuestProgram(null as never, guestFor(config, 0, config.workload!)).saveState()),
        kvm: null,
        pending: saveVcpuPending(pending),
      },
    ],
    displays: [
      [
        encodeCompositorDisplay({
          mode: null,
          generation: 0,
          keptGeneration: 0,
          frameSeq: 0,
          frameWanted: false,
          pixels: new Uint32Array(0),
          cursor: { visible: true, x: 5, y: -2, glyph: { width: 2, height: 2, hotX: 1, hotY: 0, argb: Uint32Array.of(0xff000000, 0, 0xffffffff, 0x80ff0000) } },
        }),
      ],
    ],
    inputDevices: inputDevices(),
  };
}
function kvmRanState(): MachineState {
  const state = ranState();
  return { ...state, vcpus: state.vcpus.map((v) => ({ ...v, program: null, kvm: encodeKvmVcpu(guestVcpuSaved(RAM_BASE)) })) };
}
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
  'guest-ran': cat(
    u8(1),
    snapshotFile(
      ranMachine,
      ram16(() => {}),
      FUZZ_VMM_VERSION,
      ranState(),
    ),
  ),
  'header-only': cat(u8(1), someRam.subarray(0, 64)),
  // The same machine on a KVM vCPU (its config says so; no host is asked): a kvm vcpu section in
  // place of the guest program's, so mutations reach its decoder and checks.
  'kvm-ran': cat(
    u8(1),
    snapshotFile(
      { ...ranMachine, cpu: 'kvm' },
      ram16(() => {}),
      FUZZ_VMM_VERSION,
      kvmRanState(),
    ),
  ),
};

const sets: Record<string, Record<string, Buffer>> = {
  'control-requests': controls,
  'snapshot-loader': snapshots,
  'rfb-client-messages': messages,
  'rfb-handshake': handshakes,
  'ws-bridge-framing': frames,
  virtqueue: queues,
  'virtio-pci': pciPrograms,
};
for (const [target, seeds] of Object.entries(sets)) {
  const dir = path.join(corpus, target);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(seeds)) fs.writeFileSync(path.join(dir, name), bytes);
  console.log(`${target}: ${Object.keys(seeds).length} seeds in ${path.relative(process.cwd(), dir)}`);
}
