// Fuzz target `virtqueue`: the split-virtqueue parser (shared/virtio/split-queue.ts) and the virtio-mmio transport with a virtio-input keyboard behind it, driven by a program of MMIO accesses, guest RAM writes, injected keys and direct pops.
// The input is a program over a 64 KiB guest RAM. Each step's first byte picks an operation:
// an MMIO read or write of the transport (any offset in the window, any size), a write of bytes
// into RAM (rings and descriptors), a key injected, a well-formed setup (so the fuzzer reaches
// chain parsing quickly), or a pop straight from a queue laid at input-chosen addresses. Checks:
// nothing throws (a write outside RAM would, in GuestMemory); every chain a pop returns has its
// head and length within the queue size and every buffer inside RAM for its access; a fault is
// one of the named ones; the interrupt level alternates (never raised twice without a lower in
// between); events delivered plus waiting never exceed those injected; a ready queue has a
// valid size.
import { createGuestMemory, type GuestMemory } from '../../../shared/guest-memory/index.js';
import { SplitQueue, VIRTQUEUE_FAULTS, isQueueSize } from '../../../shared/virtio/split-queue.js';
import { VirtioInputDevice } from '../../../actors/input/virtio-input.js';
import { VirtioMmioTransport } from '../../../shared/virtio/mmio-transport.js';
import { VIRTIO_INPUT_QUEUE_SIZE, VIRTQ_DESC_F_WRITE, VirtioMmioReg as Reg, VirtioStatus as Status } from '../../../abi/generated/virtio.js';
import { check } from '../chunks.js';
import { ByteReader } from '../byte-reader.js';

export const RAM = 0x4000_0000;
export const RAM_BYTES = 0x1_0000;
/** Operation codes: the first byte of each step, modulo their count. */
export const enum Op {
  MmioWrite = 0,
  MmioRead = 1,
  RamWrite = 2,
  Key = 3,
  Setup = 4,
  Pop = 5,
}
const OPS = 6;
const SIZES = [1, 2, 4, 8];

/** A queue at RAM offset `base` (desc, avail 0x400 above, used 0x800 above), buffers from `base` + 0x1000. */
function setup(device: VirtioInputDevice, memory: GuestMemory, base: number, size: number): void {
  const t = device.transport;
  t.write(Reg.Status, 4, 0);
  t.write(Reg.Status, 4, Status.Acknowledge | Status.Driver);
  t.write(Reg.DriverFeaturesSel, 4, 1);
  t.write(Reg.DriverFeatures, 4, 1);
  t.write(Reg.Status, 4, Status.Acknowledge | Status.Driver | Status.FeaturesOk);
  const desc = new DataView(new ArrayBuffer(16 * size));
  for (let i = 0; i < size; i++) {
    desc.setBigUint64(16 * i, BigInt(base + 0x1000 + 8 * i), true);
    desc.setUint32(16 * i + 8, 8, true);
    desc.setUint16(16 * i + 12, VIRTQ_DESC_F_WRITE, true);
  }
  memory.write(base, new Uint8Array(desc.buffer));
  const avail = new DataView(new ArrayBuffer(4 + 2 * size));
  avail.setUint16(2, size, true);
  for (let i = 0; i < size; i++) avail.setUint16(4 + 2 * i, i, true);
  memory.write(base + 0x400, new Uint8Array(avail.buffer));
  t.write(Reg.QueueSel, 4, 0);
  t.write(Reg.QueueNum, 4, size);
  t.write(Reg.QueueDescLow, 4, base);
  t.write(Reg.QueueDriverLow, 4, base + 0x400);
  t.write(Reg.QueueDeviceLow, 4, base + 0x800);
  t.write(Reg.QueueReady, 4, 1);
  t.write(Reg.Status, 4, Status.Acknowledge | Status.Driver | Status.FeaturesOk | Status.DriverOk);
}

export function fuzz(data: Buffer): void {
  run(data);
}

/** Runs a program; returns the device (the seeds' test reads its counters). */
export function run(data: Buffer): VirtioInputDevice {
  const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM, size: RAM_BYTES }] });
  let level = false;
  const device = new VirtioInputDevice(
    'keyboard',
    'fuzz',
    (model) =>
      new VirtioMmioTransport(memory, model, (high) => {
        check(high !== level, `the interrupt level was set to ${high} twice`);
        level = high;
      }),
  );
  const t = device.transport;
  const r = new ByteReader(data);
  for (let steps = 0; !r.done && steps < 512; steps++) {
    switch (r.u8() % OPS) {
      case Op.MmioWrite:
        t.write(r.u16() & 0x1ff, SIZES[r.u8() & 3]!, r.u32());
        break;
      case Op.MmioRead: {
        const v = t.read(r.u16() & 0x1ff, SIZES[r.u8() & 3]!);
        check(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, `a register read ${v}`);
        break;
      }
      case Op.RamWrite: {
        const at = r.u16() % RAM_BYTES;
        const bytes = r.bytes(Math.min(r.u8(), RAM_BYTES - at));
        memory.write(RAM + at, bytes);
        break;
      }
      case Op.Key:
        device.key(r.u8(), (r.u8() & 1) === 1);
        break;
      case Op.Setup:
        setup(device, memory, RAM + (r.u8() & 0x7) * 0x2000, 1 << (r.u8() % 7));
        break;
      case Op.Pop: {
        const size = 1 << (r.u8() % 8);
        const layout = { size, desc: BigInt(RAM) + BigInt(r.u16()) * 16n, avail: BigInt(RAM) + BigInt(r.u16()) * 2n, used: BigInt(RAM) + BigInt(r.u16()) * 4n };
        const q = SplitQueue.create(memory, layout, VIRTIO_INPUT_QUEUE_SIZE);
        if (typeof q === 'string') {
          check(VIRTQUEUE_FAULTS.includes(q), `an unnamed queue fault ${q}`);
          break;
        }
        for (let n = 0; n <= size + 1; n++) {
          const got = q.pop();
          if (got.kind === 'empty') break;
          if (got.kind === 'fault') {
            check(VIRTQUEUE_FAULTS.includes(got.fault), `an unnamed chain fault ${got.fault}`);
            break;
          }
          check(
            got.chain.head < size && got.chain.buffers.length >= 1 && got.chain.buffers.length <= size,
            `a chain of ${got.chain.buffers.length} from head ${got.chain.head} in a queue of ${size}`,
          );
          for (const b of got.chain.buffers)
            check(memory.translateOffset(b.gpa, b.len, b.writable ? 'write' : 'read') >= 0, `a buffer outside RAM: ${b.gpa} + ${b.len}`);
          q.pushUsed(got.chain.head, 0);
        }
        break;
      }
    }
    const s = device.stats();
    check(s.events.delivered + s.events.pending <= s.events.injected, `events: ${JSON.stringify(s.events)}`);
    for (const i of [0, 1]) {
      const q = t.queue(i);
      if (q) check(isQueueSize(q.size, VIRTIO_INPUT_QUEUE_SIZE), `ready queue ${i} of size ${q.size}`);
    }
  }
  return device;
}
