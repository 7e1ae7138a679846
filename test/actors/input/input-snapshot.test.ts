// A virtio-input device's state in a snapshot (input-snapshot.ts, the transports' state,
// shared/virtio/transport-snapshot.ts), with the guest's driver state beside it: on both
// transports, a device with events delivered, taken and still waiting is saved with its guest
// driver and RAM, both are restored over a copy of the RAM, and the pair goes on exactly as the
// original (the same events, in order, and the same interrupts). The bytes are a file's: every
// kind of damage is refused with StateFormatError naming where, leaving the device at reset, and
// random damage is refused that way or loaded, never another error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { InputEv, VIRTIO_ID_INPUT, VirtioStatus as Status } from '../../../abi/generated/virtio.js';
import { decodeInputDeviceState, encodeInputDeviceState, loadInputDevice, saveInputDevice } from '../../../actors/input/input-snapshot.js';
import { PENDING_EVENTS_MAX, VirtioInputDevice } from '../../../actors/input/virtio-input.js';
import { PageAllocator } from '../../../guest/ts/page-allocator.js';
import { VirtioInputGuestDriver, type RawInputEvent } from '../../../guest/ts/virtio-input.js';
import { GuestVirtioMmio } from '../../../guest/ts/virtio-mmio-guest.js';
import { GuestVirtioPci } from '../../../guest/ts/virtio-pci-guest.js';
import type { GuestVirtioTransport, VirtioPort } from '../../../guest/ts/virtio-transport.js';
import { createGuestMemory, type GuestMemory } from '../../../shared/guest-memory/index.js';
import { StateFormatError } from '../../../shared/snapshot/state-bytes.js';
import { VirtioMmioTransport } from '../../../shared/virtio/mmio-transport.js';
import type { VirtioTransportState } from '../../../shared/virtio/transport-snapshot.js';
import { BAR, ECAM, MSI_ADDRESS, virtioPciRig } from '../../support/virtio-pci-port.js';

const RAM = 0x4000_0000;
const RAM_BYTES = 1 << 20;
const MMIO_BASE = 0x3100_0000;
const VECTOR = 0x60;
type Kind = 'mmio' | 'pci';

/** A keyboard on `kind`, over `memory`, with what it signals (levels or MSIs) recorded, and the guest's port to it. */
function device(kind: Kind, memory: GuestMemory) {
  const signals: string[] = [];
  let port: VirtioPort;
  const dev = new VirtioInputDevice('keyboard', 'k', (model) => {
    if (kind === 'pci') {
      const pci = virtioPciRig(memory, model);
      port = pci.port;
      const msis = pci.msis;
      msis.push = (...m) => (signals.push(...m.map((x) => `msi ${x.data}`)), m.length);
      return pci.transport;
    }
    const t = new VirtioMmioTransport(memory, model, (high) => signals.push(`level ${high}`));
    port = { read: (a, s) => t.read(a - MMIO_BASE, s), write: (a, s, v) => t.write(a - MMIO_BASE, s, v) };
    return t;
  });
  return { dev, port: port!, signals };
}

function guestTransport(kind: Kind, port: VirtioPort, saved?: number[]): GuestVirtioTransport {
  return kind === 'pci'
    ? new GuestVirtioPci(port, { ecam: ECAM, bar: BAR, msiAddress: MSI_ADDRESS, vectors: { config: VECTOR, queues: VECTOR + 1 } }, VIRTIO_ID_INPUT, saved)
    : new GuestVirtioMmio(port, MMIO_BASE, VIRTIO_ID_INPUT, VECTOR, saved === undefined);
}

const newMemory = () => createGuestMemory({ regions: [{ name: 'ram', base: RAM, size: RAM_BYTES }] });

/** A device and its guest driver mid-stream: 40 key presses (160 events), 52 taken, 64 in the queue, 44 waiting. */
function midStream(kind: Kind) {
  const memory = newMemory();
  const d = device(kind, memory);
  const driver = new VirtioInputGuestDriver(guestTransport(kind, d.port), memory, new PageAllocator(RAM, RAM + RAM_BYTES));
  const taken: RawInputEvent[] = [];
  for (let i = 0; i < 40; i++) {
    d.dev.key(2 + (i % 20), true);
    d.dev.key(2 + (i % 20), false);
    if (i === 12) driver.take(taken);
  }
  return { memory, ...d, driver, taken };
}

/** More input and the guest taking it until nothing waits: the events it took, and what was signalled. */
function goOn(dev: VirtioInputDevice, driver: VirtioInputGuestDriver, signals: string[]): { events: RawInputEvent[]; signals: string[] } {
  const events: RawInputEvent[] = [];
  const from = signals.length;
  for (let i = 0; i < 10; i++) dev.key(30 + i, i % 2 === 0);
  for (let n = 0; n < 100 && (dev.stats().events.pending > 0 || driver.pending()); n++) driver.take(events);
  return { events, signals: signals.slice(from) };
}

describe('a virtio-input device and its guest driver saved and restored', () => {
  it.each(['mmio', 'pci'] as const)('%s: the restored pair goes on exactly as the original', (kind) => {
    const a = midStream(kind);
    expect(a.dev.stats().events.pending).toBeGreaterThan(0);
    const bytes = saveInputDevice(a.dev);
    const guest = a.driver.saveState();

    const memory = newMemory();
    memory.bytes.set(a.memory.bytes);
    const b = device(kind, memory);
    loadInputDevice(b.dev, bytes);
    expect(b.dev.saveState()).toEqual(a.dev.saveState());
    const driver = new VirtioInputGuestDriver(guestTransport(kind, b.port, guest.transport), memory, guest);
    expect(driver.saveState()).toEqual(guest);

    const original = goOn(a.dev, a.driver, a.signals);
    const restored = goOn(b.dev, driver, b.signals);
    expect(restored).toEqual(original);
    expect(original.events.filter((e) => e.type === InputEv.Key).length).toBeGreaterThan(40);
    expect(b.dev.stats().events.pending).toBe(0);
  });
});

describe('a saved virtio-input device is hostile input', () => {
  const saved = () => {
    const a = midStream('mmio');
    return { state: a.dev.saveState(), memory: a.memory };
  };
  const refused = (edit: (s: ReturnType<typeof saved>['state']) => void, reason: RegExp, kind: Kind = 'mmio') => {
    const { state, memory } = saved();
    edit(state);
    const target = device(kind, memory).dev;
    let err: unknown = null;
    try {
      loadInputDevice(target, encodeInputDeviceState(state));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateFormatError);
    expect((err as StateFormatError).reason).toMatch(reason);
    // Refused whole: the device is still at reset, nothing waiting.
    expect(target.stats().status).toBe(0);
    expect(target.stats().events.pending).toBe(0);
  };
  const core = (s: { transport: VirtioTransportState }) => s.transport.core;

  it('refuses values no driver could have made, naming them, with the device left at reset', () => {
    refused((s) => (core(s).queues[0]!.ready!.lastAvail = (core(s).queues[0]!.ready!.usedIdx + 65) & 0xffff), /ring positions/);
    refused((s) => (core(s).queues[0]!.ready!.usedIdx = 0x10000), /ring positions/);
    refused((s) => (core(s).queues[0]!.desc = [RAM + RAM_BYTES, 0]), /ring-outside-ram/);
    refused((s) => (core(s).queues[0]!.num = 3), /size 3/);
    refused((s) => (core(s).status = Status.Acknowledge | Status.Driver | Status.DriverOk), /DRIVER_OK without FEATURES_OK/);
    refused((s) => (core(s).driverFeatures = [1 << 5, 1]), /features the device does not offer/);
    refused((s) => core(s).queues.pop(), /1 queues, the device has 2/);
    refused((s) => s.transport.transport === 'mmio' && (s.transport.interruptStatus = 4), /interrupt status/);
    refused((s) => (s.kind = 'tablet'), /a tablet's state for a keyboard/);
    refused((s) => s.pending.push(...new Array<number>(3 * PENDING_EVENTS_MAX).fill(1)), /events, at most/);
    refused((s) => (s.pending[0] = 0x17), /event 0: type 23/);
    refused((s) => (s.pointer.x = 1 << 20), /pointer/);
    refused(() => undefined, /a virtio-mmio transport's state/, 'pci');
  });

  it('refuses its bytes cut short, grown, or with another magic, naming the device', () => {
    const bytes = encodeInputDeviceState(saved().state);
    const cases: [Uint8Array, RegExp][] = [
      [bytes.slice(0, bytes.length - 1), /truncated/],
      [Uint8Array.from([...bytes, 0]), /1 bytes after the state/],
      [Uint8Array.from(bytes, (x, i) => (i === 0 ? x ^ 0xff : x)), /not this component's state/],
      [Uint8Array.from(bytes, (x, i) => (i === 31 ? 0xff : x)), /events, at most/],
    ];
    for (const [bad, reason] of cases) {
      expect(() => decodeInputDeviceState(bad, 'input device 3')).toThrow(StateFormatError);
      expect(() => decodeInputDeviceState(bad, 'input device 3')).toThrow(reason);
    }
  });

  it('random damage is refused with StateFormatError or loads, never another error (fast-check)', () => {
    const { state, memory } = saved();
    const bytes = encodeInputDeviceState(state);
    let refusals = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }), (hits) => {
        const bad = Uint8Array.from(bytes);
        for (const [at, x] of hits) bad[at % bad.length]! ^= x;
        try {
          loadInputDevice(device('mmio', memory).dev, bad);
        } catch (err) {
          if (!(err instanceof StateFormatError)) throw err;
          refusals++;
        }
      }),
      { numRuns: 400 },
    );
    expect(refusals).toBeGreaterThan(0);
  });
});
