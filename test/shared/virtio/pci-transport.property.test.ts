// Hostile register sequences against the virtio-pci transport with a virtio-input keyboard behind
// it, as the `virtqueue` fuzz target drives the virtio-mmio one (fuzz/js/targets/virtqueue.ts):
// random programs of configuration-space and BAR0 accesses (any offset, any size, any value),
// guest RAM writes, injected keys and well-formed setups (so programs reach the queues). After
// every step: nothing threw; every MSI went to the address the guest programmed, with data in
// its enabled block, and only while MSI was enabled; the ISR holds only its two bits; queue_size
// never reads above the maximum; a ready queue has a valid size; events delivered plus waiting
// never exceed those injected.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  VIRTIO_INPUT_QUEUE_SIZE,
  VIRTQ_DESC_F_WRITE,
  VIRTIO_F_VERSION_1,
  VirtioPciCommon as C,
  VirtioPciRegion as Region,
  VirtioStatus as Status,
} from '../../../abi/generated/virtio.js';
import { VirtioInputDevice } from '../../../actors/input/virtio-input.js';
import { createGuestMemory, type GuestMemory } from '../../../shared/guest-memory/index.js';
import { isQueueSize } from '../../../shared/virtio/split-queue.js';
import { VirtioPciTransport } from '../../../shared/virtio/pci-transport.js';

const RAM = 0x4000_0000;
const RAM_BYTES = 0x1_0000;
const SIZES = [1, 2, 4, 8] as const;
/** BAR0 offsets worth hitting often: every common field, the ISR, the device configuration, the doorbells. */
const FIELDS = [
  C.DeviceFeatureSelect,
  C.DeviceFeature,
  C.DriverFeatureSelect,
  C.DriverFeature,
  C.MsixConfig,
  C.NumQueues,
  C.DeviceStatus,
  C.ConfigGeneration,
  C.QueueSelect,
  C.QueueSize,
  C.QueueMsixVector,
  C.QueueEnable,
  C.QueueNotifyOff,
  C.QueueDescLo,
  C.QueueDescHi,
  C.QueueDriverLo,
  C.QueueDriverHi,
  C.QueueDeviceLo,
  C.QueueDeviceHi,
  Region.Isr,
  Region.Device,
  Region.Device + 2,
  Region.Notify,
  Region.Notify + 4,
  Region.Notify + 8,
];

type Step =
  | { op: 'cfg-write'; offset: number; size: number; value: number }
  | { op: 'cfg-read'; offset: number; size: number }
  | { op: 'bar-write'; offset: number; size: number; value: number }
  | { op: 'bar-read'; offset: number; size: number }
  | { op: 'ram'; at: number; bytes: Uint8Array }
  | { op: 'key'; code: number; down: boolean }
  | { op: 'setup'; slot: number; size: number; vector: number };

/** Config space offsets worth hitting often: command, BAR0, and the MSI capability's flags, address, data and mask. */
const offsetInConfig = fc.oneof(fc.constantFrom(0x04, 0x10, 0x42, 0x44, 0x48, 0x4c, 0x50), fc.integer({ min: 0, max: 0xff }));
const smallOrAny = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 70 }));
const offsetInBar = fc.oneof(fc.constantFrom(...FIELDS), fc.integer({ min: 0, max: 0x3fff }));
const step: fc.Arbitrary<Step> = fc.oneof(
  // MSI enable, vector count and mask bits, which decide where (and whether) an interrupt goes.
  fc.record({ op: fc.constant('cfg-write' as const), offset: fc.constant(0x42), size: fc.constant(2), value: fc.integer({ min: 0, max: 0x7f }) }),
  fc.record({ op: fc.constant('cfg-write' as const), offset: fc.constant(0x50), size: fc.constant(4), value: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ op: fc.constant('cfg-write' as const), offset: offsetInConfig, size: fc.constantFrom(...SIZES), value: smallOrAny }),
  fc.record({ op: fc.constant('cfg-read' as const), offset: fc.integer({ min: 0, max: 0x1000 }), size: fc.constantFrom(...SIZES) }),
  fc.record({
    op: fc.constant('bar-write' as const),
    offset: offsetInBar,
    size: fc.constantFrom(...SIZES),
    value: smallOrAny,
  }),
  fc.record({ op: fc.constant('bar-read' as const), offset: offsetInBar, size: fc.constantFrom(...SIZES) }),
  fc.record({ op: fc.constant('ram' as const), at: fc.integer({ min: 0, max: RAM_BYTES - 1 }), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ op: fc.constant('key' as const), code: fc.integer({ min: 0, max: 300 }), down: fc.boolean() }),
  fc.record({ op: fc.constant('key' as const), code: fc.integer({ min: 1, max: 255 }), down: fc.boolean() }),
  fc.record({
    op: fc.constant('setup' as const),
    slot: fc.integer({ min: 0, max: 5 }),
    size: fc.integer({ min: 0, max: 7 }),
    vector: fc.integer({ min: 0x20, max: 0xfe }),
  }),
);

/** A well-formed setup: MSI enabled (two vectors from `vector`, even), VERSION_1, queue 0 with every buffer offered, DRIVER_OK. */
function setup(t: VirtioPciTransport, memory: GuestMemory, base: number, size: number, vector: number): void {
  const cfg = t.config;
  cfg.write(0x44, 4, 0xfee0_0000);
  cfg.write(0x4c, 2, vector & ~1);
  cfg.write(0x42, 2, (cfg.read(0x42, 2) & ~0x70) | (1 << 4) | 1);
  t.write(C.DeviceStatus, 1, 0);
  t.write(C.DeviceStatus, 1, Status.Acknowledge | Status.Driver);
  t.write(C.DriverFeatureSelect, 4, 1);
  t.write(C.DriverFeature, 4, 1 << (VIRTIO_F_VERSION_1 - 32));
  t.write(C.DeviceStatus, 1, Status.Acknowledge | Status.Driver | Status.FeaturesOk);
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
  t.write(C.MsixConfig, 2, 0);
  t.write(C.QueueSelect, 2, 0);
  t.write(C.QueueSize, 2, size);
  t.write(C.QueueDescLo, 4, base);
  t.write(C.QueueDriverLo, 4, base + 0x400);
  t.write(C.QueueDeviceLo, 4, base + 0x800);
  t.write(C.QueueMsixVector, 2, 1);
  t.write(C.QueueEnable, 2, 1);
  t.write(C.DeviceStatus, 1, Status.Acknowledge | Status.Driver | Status.FeaturesOk | Status.DriverOk);
}

function run(steps: Step[]): void {
  const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM, size: RAM_BYTES }] });
  const bad: string[] = [];
  let transport: VirtioPciTransport | null = null;
  const msi = {
    msi(address: number, data: number) {
      const m = transport!.config.msi();
      if (!m.enabled) bad.push('an MSI while MSI is disabled');
      if (address !== Number(m.address)) bad.push(`an MSI to ${address}, programmed ${m.address}`);
      if ((data & ~(m.vectors - 1)) !== (m.data & ~(m.vectors - 1))) bad.push(`MSI data ${data} outside the block at ${m.data}/${m.vectors}`);
    },
  };
  const device = new VirtioInputDevice('keyboard', 'property', (model) => (transport = new VirtioPciTransport(memory, model, { classCode: 0x098000, msi })));
  const t = transport!;
  for (const s of steps) {
    switch (s.op) {
      case 'cfg-write':
        t.config.write(s.offset, s.size, s.value);
        break;
      case 'cfg-read':
        t.config.read(s.offset, s.size);
        break;
      case 'bar-write':
        t.write(s.offset, s.size, s.value);
        break;
      case 'bar-read': {
        const v = t.read(s.offset, s.size);
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) bad.push(`a BAR read of ${v}`);
        break;
      }
      case 'ram':
        memory.write(RAM + s.at, s.bytes.subarray(0, RAM_BYTES - s.at));
        break;
      case 'key':
        device.key(s.code, s.down);
        break;
      case 'setup':
        setup(t, memory, RAM + s.slot * 0x2000, 1 << s.size, s.vector);
        break;
    }
    const isr = t.read(Region.Isr, 1);
    if ((isr & ~3) !== 0) bad.push(`ISR ${isr}`);
    const sel = t.read(C.QueueSelect, 2);
    const size = t.read(C.QueueSize, 2);
    if (size > (sel < 2 ? VIRTIO_INPUT_QUEUE_SIZE : 0)) bad.push(`queue ${sel} reads size ${size}`);
    for (const i of [0, 1]) {
      const q = t.queue(i);
      if (q && !isQueueSize(q.size, VIRTIO_INPUT_QUEUE_SIZE)) bad.push(`ready queue ${i} of size ${q.size}`);
    }
    const e = device.stats().events;
    if (e.delivered + e.pending > e.injected) bad.push(`events ${JSON.stringify(e)}`);
    if (bad.length > 0) break;
  }
  expect(bad).toEqual([]);
}

describe('virtio-pci transport under hostile register sequences', () => {
  it('never throws, sends MSIs only where and while the guest enabled them, and keeps its queues valid', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 150, size: 'max' }), (steps) => run(steps)),
      { numRuns: 500 },
    );
  });

  it('delivers a key through a well-formed setup (the property above reaches the queues)', () => {
    const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM, size: RAM_BYTES }] });
    const sent: number[] = [];
    const device = new VirtioInputDevice(
      'keyboard',
      'p',
      (model) => new VirtioPciTransport(memory, model, { classCode: 0, msi: { msi: (_a, d) => sent.push(d) } }),
    );
    setup(device.transport as VirtioPciTransport, memory, RAM, 8, 0x60);
    expect(device.key(30, true)).toBe(true);
    expect(device.stats().events).toMatchObject({ injected: 2, delivered: 2 });
    expect(sent).toEqual([0x61]);
  });
});
