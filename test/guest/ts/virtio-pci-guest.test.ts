// The built-in guest's virtio-pci transport against the real virtio-pci function (no VM): it
// finds the function, places BAR0, walks the capabilities, enables MSI-X with its table programmed
// and sets the event queue up so the virtio-input driver takes events exactly as over
// virtio-mmio, or leaves MSI-X off and takes INTx; a function that lies about itself (another device, a capability list that loops, a
// structure outside BAR0, no MSI-X, a table of one entry or outside BAR0, a refused vector) is
// refused with a DriverError rather than trusted.
import { describe, expect, it } from 'vitest';

import {
  InputCode,
  InputEv,
  VIRTIO_ID_INPUT,
  VirtioPciCap as Cap,
  VirtioPciCommon,
  VirtioPciRegion as Region,
  VirtioStatus as Status,
} from '../../../abi/generated/virtio.js';
import { VirtioInputDevice } from '../../../actors/input/virtio-input.js';
import { PageAllocator } from '../../../guest/ts/page-allocator.js';
import { VirtioInputGuestDriver, type RawInputEvent } from '../../../guest/ts/virtio-input.js';
import { GuestVirtioPci } from '../../../guest/ts/virtio-pci-guest.js';
import { negotiateVersion1, type VirtioPort } from '../../../guest/ts/virtio-transport.js';
import { createGuestMemory } from '../../../shared/guest-memory/index.js';
import { BAR, ECAM, MSI_ADDRESS, virtioPciRig, type PciRig } from '../../support/virtio-pci-port.js';

const RAM = 0x4000_0000;
const PLACE = { ecam: ECAM, bar: BAR, msiAddress: MSI_ADDRESS, vectors: { config: 0x60, queues: 0x61 } };
/** The config-space offset of the MSI-X capability's Message Control, Table and PBA registers. */
const MSIX = { control: 0x42, table: 0x44, pba: 0x48 };

function rig() {
  const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM, size: 1 << 20 }] });
  let pci: PciRig | null = null;
  const device = new VirtioInputDevice('keyboard', 'k', (model) => {
    pci = virtioPciRig(memory, model);
    return pci.transport;
  });
  return { memory, device, pci: pci!, pages: new PageAllocator(RAM, RAM + (1 << 20)) };
}

/** The port with some config-space reads answered otherwise (a function that lies). */
function lying(port: VirtioPort, answers: Map<number, number>): VirtioPort {
  return {
    read: (a, s) => answers.get(a - ECAM) ?? port.read(a, s),
    write: (a, s, v) => port.write(a, s, v),
  };
}

describe('the guest virtio-pci transport', () => {
  it('with interrupts: intx leaves MSI-X off, programs no vector, clears Interrupt Disable, and acknowledges by reading the ISR', () => {
    const { memory, device, pci, pages } = rig();
    // Interrupt Disable set beforehand (as firmware may leave it): the driver clears it.
    pci.port.write(ECAM + 0x04, 2, 0x400);
    const driver = new VirtioInputGuestDriver(new GuestVirtioPci(pci.port, { ...PLACE, interrupts: 'intx', intxVector: 0x50 }, VIRTIO_ID_INPUT), memory, pages);
    expect(driver.vectors).toEqual([0x50]);
    expect(pci.transport.config.msix()).toEqual({ enabled: false, functionMask: false });
    expect(pci.transport.config.read(0x04, 2)).toBe(0x6);
    pci.transport.write(VirtioPciCommon.QueueSelect, 2, 0);
    expect(pci.transport.read(VirtioPciCommon.QueueMsixVector, 2)).toBe(0xffff);
    expect(pci.transport.read(VirtioPciCommon.MsixConfig, 2)).toBe(0xffff);

    expect(device.key(30, true)).toBe(true);
    expect(pci.intx).toEqual([true]);
    expect(pci.msis).toEqual([]);
    expect(driver.acknowledge(0x50)).toBe(1); // ISR bit 0: the queue
    expect(pci.intx).toEqual([true, false]);
    expect(driver.acknowledge(0x50)).toBe(0); // nothing new: a spurious one
    const got: RawInputEvent[] = [];
    driver.take(got);
    expect(got.map((e) => e.code)).toEqual([30, InputCode.SynReport]);
    expect(device.stats().msix).toEqual({ sent: 0, disabled: 1, intx: 1, masked: 0, noVector: 0 });
  });

  it('with interrupts: intx refuses a function without a pin, and a placement without the vector', () => {
    const { memory, pci, pages } = rig();
    const place = { ...PLACE, interrupts: 'intx' as const, intxVector: 0x50 };
    expect(() => new GuestVirtioPci(lying(pci.port, new Map([[0x3d, 0]])), place, VIRTIO_ID_INPUT)).toThrow(/no INTx pin/);
    expect(() => new GuestVirtioPci(pci.port, { ...PLACE, interrupts: 'intx' }, VIRTIO_ID_INPUT)).toThrow(/vector its pin/);
    expect(() => new VirtioInputGuestDriver(new GuestVirtioPci(pci.port, place, VIRTIO_ID_INPUT), memory, pages)).not.toThrow();
  });

  it('brings the function up — BAR0 placed, MSI-X on with every entry programmed — and the input driver takes events over it', () => {
    const { memory, device, pci, pages } = rig();
    const driver = new VirtioInputGuestDriver(new GuestVirtioPci(pci.port, PLACE, VIRTIO_ID_INPUT), memory, pages);
    expect(driver.name).toBe('PVG Virtio Keyboard');
    expect(pci.bars).toEqual([BAR]);
    expect(pci.transport.config.msix()).toEqual({ enabled: true, functionMask: false });
    const entry = (e: number) => [0, 4, 8, 12].map((f) => pci.transport.read(Region.MsixTable + 16 * e + f, 4));
    expect([entry(0), entry(1), entry(2)]).toEqual([
      [MSI_ADDRESS, 0, 0x60, 0],
      [MSI_ADDRESS, 0, 0x61, 0],
      [MSI_ADDRESS, 0, 0x61, 0],
    ]);
    expect(device.stats().status).toBe(Status.Acknowledge | Status.Driver | Status.FeaturesOk | Status.DriverOk);
    expect(driver.vectors).toEqual([0x60, 0x61]);
    // The event queue on entry 1 (the driver sets no status queue up).
    pci.transport.write(VirtioPciCommon.QueueSelect, 2, 0);
    expect(pci.transport.read(VirtioPciCommon.QueueMsixVector, 2)).toBe(1);

    expect(device.key(30, true)).toBe(true);
    expect(pci.msis).toEqual([{ address: MSI_ADDRESS, data: 0x61 }]); // the queue's vector
    expect(device.stats().msix).toEqual({ sent: 1, disabled: 0, intx: 0, masked: 0, noVector: 0 });
    expect(driver.acknowledge(0x61)).toBe(1);
    const got: RawInputEvent[] = [];
    driver.take(got);
    expect(got).toEqual([
      { type: InputEv.Key, code: 30, value: 1 },
      { type: InputEv.Syn, code: InputCode.SynReport, value: 0 },
    ]);
    // The buffers went back through the queue's doorbell.
    expect(pci.transport.counts.notifications).toBe(1);
    expect(device.stats().faults).toEqual({});
    // Configuration changes arrive on the other vector (set after the driver's reset).
    expect(pci.transport.read(VirtioPciCommon.MsixConfig, 2)).toBe(0);
    pci.transport.queueFault('chain-loop');
    expect(pci.msis.at(-1)).toEqual({ address: MSI_ADDRESS, data: 0x60 });
    expect(driver.acknowledge(0x60)).toBe(2);
  });

  it('refuses a function that is not a virtio device of the type it looks for', () => {
    const { pci } = rig();
    expect(() => new GuestVirtioPci(pci.port, PLACE, 1)).toThrow(/no virtio-pci device of type 1/);
    expect(() => new GuestVirtioPci(pci.port, { ...PLACE, ecam: ECAM + 0x8000 }, VIRTIO_ID_INPUT)).toThrow(/no virtio-pci device/);
  });

  it('refuses a capability list that loops', () => {
    const { pci } = rig();
    // The device capability (the last, at 0x94) points back at the common one.
    const port = lying(pci.port, new Map([[0x94 + Cap.Next, 0x60]]));
    expect(() => new GuestVirtioPci(port, PLACE, VIRTIO_ID_INPUT)).toThrow(/loops/);
  });

  it('refuses structures that do not fit BAR0, or are too short', () => {
    const { pci } = rig();
    expect(() => new GuestVirtioPci(lying(pci.port, new Map([[0x60 + Cap.Offset, 0x7ff0]])), PLACE, VIRTIO_ID_INPUT)).toThrow(/does not fit BAR0/);
    expect(() => new GuestVirtioPci(lying(pci.port, new Map([[0x60 + Cap.Length, 8]])), PLACE, VIRTIO_ID_INPUT)).toThrow(/does not fit BAR0/);
    expect(() => new GuestVirtioPci(lying(pci.port, new Map([[0x84 + Cap.CfgType, 7]])), PLACE, VIRTIO_ID_INPUT)).toThrow(/no virtio-pci capability of type 3/);
  });

  it('refuses a function without MSI-X, with a one-entry table, or with its table or PBA outside BAR0', () => {
    const { pci } = rig();
    const refuses = (answers: [number, number][], what: RegExp) =>
      expect(() => new GuestVirtioPci(lying(pci.port, new Map(answers)), PLACE, VIRTIO_ID_INPUT)).toThrow(what);
    refuses([[0x40, 0x05]], /no MSI-X capability/);
    refuses([[MSIX.control, 0]], /single entry/);
    refuses([[MSIX.table, Region.MsixTable | 1]], /not in BAR0/);
    refuses([[MSIX.pba, Region.MsixPba | 2]], /not in BAR0/);
    refuses([[MSIX.control, 0x7ff]], /does not fit BAR0/); // 2048 entries from 0x4000 run past 32 KiB
    refuses([[MSIX.pba, 0x8000]], /does not fit BAR0/);
  });

  it('gives queue q entry 1 + q, or entry 1 to every queue when the table has no entry per queue (Linux’s fallback)', () => {
    for (const [answers, entries] of [
      [[], [1, 2]],
      [[[MSIX.control, 1]], [1, 1]], // two entries, as the driver reads it
    ] as [[number, number][], number[]][]) {
      const { pci } = rig();
      const t = new GuestVirtioPci(lying(pci.port, new Map(answers)), PLACE, VIRTIO_ID_INPUT);
      negotiateVersion1(t);
      for (const q of [0, 1])
        t.setUpQueue(q, { size: 4, desc: RAM + 0x1000 * (1 + 3 * q), avail: RAM + 0x1000 * (2 + 3 * q), used: RAM + 0x1000 * (3 + 3 * q) });
      const queueEntry = (q: number) => (pci.transport.write(VirtioPciCommon.QueueSelect, 2, q), pci.transport.read(VirtioPciCommon.QueueMsixVector, 2));
      expect([pci.transport.read(VirtioPciCommon.MsixConfig, 2), queueEntry(0), queueEntry(1)]).toEqual([0, ...entries]);
    }
  });

  it('refuses a device that will not take the configuration or the queue vector', () => {
    for (const [field, what] of [
      [VirtioPciCommon.MsixConfig, /configuration vector/],
      [VirtioPciCommon.QueueMsixVector, /vector for queue 0/],
    ] as const) {
      const { memory, pci, pages } = rig();
      const port: VirtioPort = {
        read: (a, s) => (a === BAR + field && s === 2 ? 0xffff : pci.port.read(a, s)), // reads NO_VECTOR
        write: (a, s, v) => pci.port.write(a, s, v),
      };
      expect(() => new VirtioInputGuestDriver(new GuestVirtioPci(port, PLACE, VIRTIO_ID_INPUT), memory, pages)).toThrow(what);
      expect(pci.transport.deviceStatus & Status.DriverOk).toBe(0);
    }
  });
});
