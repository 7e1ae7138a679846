// Hostile register sequences against the virtio-pci transport with a virtio-input keyboard behind
// it, with the `virtio-pci` fuzz target's setup and checks (fuzz/js/targets/virtio-pci.ts), but
// structured programs from fast-check that hit the interesting offsets often: random programs of configuration-space and BAR0 accesses (any offset, any size, any value),
// guest RAM writes, injected keys and well-formed setups (so programs reach the queues). After
// every step: nothing threw; every MSI-X message was the address and data of an unmasked table
// entry, sent only while MSI-X was on and the function unmasked; pending bits only for masked
// vectors of the table; vectors read back inside the table or NO_VECTOR; the ISR holds only its
// two bits; queue_size never reads above the maximum; a ready queue has a valid size; events
// delivered plus waiting never exceed those injected.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { VirtioPciCommon as C, VirtioPciRegion as Region } from '../../../abi/generated/virtio.js';
import { createGuestMemory } from '../../../shared/guest-memory/index.js';
import { checkPciState, checkedPciKeyboard, setUpPci } from '../../../fuzz/js/targets/virtio-pci.js';

const RAM = 0x4000_0000;
const RAM_BYTES = 0x1_0000;
const SIZES = [1, 2, 4, 8] as const;
/** BAR0 offsets worth hitting often: every common field, the ISR, the device configuration, the doorbells, the MSI-X table and PBA. */
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
  ...[0, 1, 2, 3].flatMap((e) => [0, 4, 8, 12, 13].map((f) => Region.MsixTable + 16 * e + f)),
  Region.MsixPba,
  Region.MsixPba + 4,
  Region.MsixPba + 8,
];

type Step =
  | { op: 'cfg-write'; offset: number; size: number; value: number }
  | { op: 'cfg-read'; offset: number; size: number }
  | { op: 'bar-write'; offset: number; size: number; value: number }
  | { op: 'bar-read'; offset: number; size: number }
  | { op: 'ram'; at: number; bytes: Uint8Array }
  | { op: 'key'; code: number; down: boolean }
  | { op: 'setup'; slot: number; size: number; vector: number };

/** Config space offsets worth hitting often: command, BAR0, and the MSI-X capability's Message Control, Table and PBA. */
const offsetInConfig = fc.oneof(fc.constantFrom(0x04, 0x10, 0x42, 0x43, 0x44, 0x48), fc.integer({ min: 0, max: 0xff }));
const smallOrAny = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 70 }));
const offsetInBar = fc.oneof(fc.constantFrom(...FIELDS), fc.integer({ min: 0, max: 0x7fff }));
const step: fc.Arbitrary<Step> = fc.oneof(
  // MSI-X Enable and Function Mask, and the entries' mask bits, which decide whether an interrupt goes or waits.
  fc.record({ op: fc.constant('cfg-write' as const), offset: fc.constant(0x42), size: fc.constant(2), value: fc.constantFrom(0, 0x4000, 0x8000, 0xc000) }),
  fc.record({
    op: fc.constant('bar-write' as const),
    offset: fc.integer({ min: 0, max: 2 }).map((e) => Region.MsixTable + 16 * e + 12),
    size: fc.constant(4),
    value: fc.integer({ min: 0, max: 1 }),
  }),
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

function run(steps: Step[]): void {
  const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM, size: RAM_BYTES }] });
  // The fuzz target's checks: MSIs against what the guest programmed as they are sent, the state after every step.
  const { device, transport: t } = checkedPciKeyboard(memory);
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
        expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, `a BAR read of ${v}`).toBe(true);
        break;
      }
      case 'ram':
        memory.write(RAM + s.at, s.bytes.subarray(0, RAM_BYTES - s.at));
        break;
      case 'key':
        device.key(s.code, s.down);
        break;
      case 'setup':
        setUpPci(t, memory, RAM + s.slot * 0x2000, 1 << s.size, s.vector);
        break;
    }
    checkPciState(device, t);
  }
}

describe('virtio-pci transport under hostile register sequences', () => {
  it('never throws, sends MSI-X messages only from unmasked entries while enabled, and keeps its queues valid', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 150, size: 'max' }), (steps) => run(steps)),
      { numRuns: 500 },
    );
  });

  it('delivers a key through a well-formed setup (the property above reaches the queues)', () => {
    const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM, size: RAM_BYTES }] });
    const { device, transport, msis } = checkedPciKeyboard(memory);
    setUpPci(transport, memory, RAM, 8, 0x60);
    expect(device.key(30, true)).toBe(true);
    expect(device.stats().events).toMatchObject({ injected: 2, delivered: 2 });
    expect(msis).toEqual([0x61]);
  });
});
