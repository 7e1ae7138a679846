// The virtio-pci transport (modern) with a minimal device behind it: the function's identity and
// capability layout, feature negotiation, queue setup through the common configuration, the
// doorbells, the ISR, MSI-X routing of queue and configuration interrupts through the table in
// BAR0, reset; every misuse — out-of-range queue_select, bad sizes, rings outside RAM, a doorbell
// for a missing queue, writes to read-only fields, wrong widths, vectors past the table, partial
// or unaligned table accesses, PBA writes — refused and counted, none throws. The MSI-X page
// takes aligned DWORDs and QWORDs.
import { describe, expect, it } from 'vitest';

import {
  PCI_CAP_ID_VNDR,
  PCI_CLASS_INPUT_OTHER,
  VIRTIO_F_VERSION_1,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_PCI_BAR_BYTES,
  VIRTIO_PCI_COMMON_CFG_BYTES,
  VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER,
  VirtioPciCap as Cap,
  VirtioPciCapType as CapType,
  VirtioPciCommon as C,
  VirtioPciRegion as Region,
  VirtioStatus as Status,
} from '../../../abi/generated/virtio.js';
import { createGuestMemory } from '../../../shared/guest-memory/index.js';
import { PciConfigSpace } from '../../../shared/pci/config-space.js';
import { loadPciConfig, savePciConfig } from '../../../shared/pci/config-snapshot.js';
import type { VirtioDeviceModel } from '../../../shared/virtio/virtio-core.js';
import { BAR, MSI_ADDRESS, virtioPciRig } from '../../support/virtio-pci-port.js';

const RAM = 0x4000_0000;
const OK = Status.Acknowledge | Status.Driver | Status.FeaturesOk;

class FakeDevice implements VirtioDeviceModel {
  readonly deviceId = 42;
  readonly features = 1n << 3n;
  readonly queueMax = [16, 4];
  readonly configBytes = 8;
  notified: number[] = [];
  resets = 0;
  config = new Uint8Array(8);
  configRead(offset: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.config[offset + i]!;
    return v;
  }
  configWrite(offset: number, size: number, value: number): boolean {
    if (size !== 1) return false;
    this.config[offset] = value;
    return true;
  }
  notify(index: number): void {
    this.notified.push(index);
  }
  reset(): void {
    this.resets++;
  }
}

function rig() {
  const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM, size: 0x10_0000 }] });
  const device = new FakeDevice();
  const r = virtioPciRig(memory, device);
  const t = r.transport;
  const cfg = t.config;
  const faults = () => Object.fromEntries(Object.entries(t.faults).filter(([, n]) => n > 0));
  const status = (v: number) => t.write(C.DeviceStatus, 1, v);
  /** Reset, ACKNOWLEDGE, DRIVER, the given feature words, FEATURES_OK; whether it stayed set. */
  const negotiate = (lo = 0, hi = 1 << (VIRTIO_F_VERSION_1 - 32)) => {
    status(0);
    status(Status.Acknowledge);
    status(Status.Acknowledge | Status.Driver);
    t.write(C.DriverFeatureSelect, 4, 0);
    t.write(C.DriverFeature, 4, lo);
    t.write(C.DriverFeatureSelect, 4, 1);
    t.write(C.DriverFeature, 4, hi);
    status(OK);
    return (t.read(C.DeviceStatus, 1) & Status.FeaturesOk) !== 0;
  };
  /** Queue `q` at `base` (table, then rings) with `size` entries; whether queue_enable reads 1 after. */
  const setUp = (q: number, base: number, size: number) => {
    t.write(C.QueueSelect, 2, q);
    t.write(C.QueueSize, 2, size);
    t.write(C.QueueDescLo, 4, base);
    t.write(C.QueueDescHi, 4, 0);
    t.write(C.QueueDriverLo, 4, base + 0x400);
    t.write(C.QueueDriverHi, 4, 0);
    t.write(C.QueueDeviceLo, 4, base + 0x800);
    t.write(C.QueueDeviceHi, 4, 0);
    t.write(C.QueueEnable, 2, 1);
    return t.read(C.QueueEnable, 2) === 1;
  };
  /** Table entry `entry`'s word at `field` (0 address low, 4 high, 8 data, 12 vector control), through BAR0. */
  const entryWord = (entry: number, field: number) => Region.MsixTable + 16 * entry + field;
  /**
   * MSI-X as Linux's msix_capability_init brings it up: memory space and bus mastering on, Enable
   * with Function Mask, every entry at vCPU 0 with data `vector + entry` (unmasked unless listed in
   * `masked`), then Function Mask off.
   */
  const enableMsix = (vector = 0x60, masked: number[] = []) => {
    cfg.write(0x10, 4, BAR);
    cfg.write(0x04, 2, 0x6);
    cfg.write(0x42, 2, 0xc000);
    for (let e = 0; e < 3; e++) {
      t.write(entryWord(e, 0), 4, MSI_ADDRESS);
      t.write(entryWord(e, 4), 4, 0);
      t.write(entryWord(e, 8), 4, vector + e);
      t.write(entryWord(e, 12), 4, masked.includes(e) ? 1 : 0);
    }
    cfg.write(0x42, 2, 0x8000);
  };
  const transportInterrupts = () => ({ ...t.interrupts });
  return { memory, device, t, cfg, msis: r.msis, bars: r.bars, intx: r.intx, faults, status, negotiate, setUp, enableMsix, entryWord, transportInterrupts };
}

describe('virtio-pci transport: the function', () => {
  it('is a modern virtio device: vendor 0x1AF4, device 0x1040 + type, revision 1, its class and subsystem', () => {
    const { cfg } = rig();
    expect(cfg.read(0x00, 2)).toBe(0x1af4);
    expect(cfg.read(0x02, 2)).toBe(0x1040 + 42);
    expect(cfg.read(0x08, 1)).toBe(1);
    expect(cfg.read(0x08, 4) >>> 8).toBe(PCI_CLASS_INPUT_OTHER << 8);
    expect([cfg.read(0x2c, 2), cfg.read(0x2e, 2)]).toEqual([0x1af4, 42]);
    expect(cfg.read(0x3d, 1)).toBe(1); // INTA#, for a driver that leaves MSI-X off
  });

  it('sizes BAR0 at 32 KiB and chains MSI-X, then the common, notify, ISR and device capabilities, each inside BAR0', () => {
    const { cfg } = rig();
    cfg.write(0x10, 4, 0xffffffff);
    expect((~(cfg.read(0x10, 4) & ~0xf) + 1) >>> 0).toBe(VIRTIO_PCI_BAR_BYTES);
    expect(cfg.read(0x06, 2) & 0x10).toBe(0x10);
    const caps: { at: number; id: number; type?: number; bar?: number; offset?: number; length?: number; len?: number }[] = [];
    for (let at = cfg.read(0x34, 1); at !== 0; at = cfg.read(at + 1, 1)) {
      const id = cfg.read(at, 1);
      caps.push(
        id === PCI_CAP_ID_VNDR
          ? {
              at,
              id,
              len: cfg.read(at + Cap.Len, 1),
              type: cfg.read(at + Cap.CfgType, 1),
              bar: cfg.read(at + Cap.Bar, 1),
              offset: cfg.read(at + Cap.Offset, 4),
              length: cfg.read(at + Cap.Length, 4),
            }
          : { at, id },
      );
      expect(caps.length).toBeLessThan(10);
    }
    expect(caps).toEqual([
      { at: 0x40, id: 0x11 },
      { at: 0x60, id: 9, len: 16, type: CapType.Common, bar: 0, offset: Region.Common, length: VIRTIO_PCI_COMMON_CFG_BYTES },
      { at: 0x70, id: 9, len: 20, type: CapType.Notify, bar: 0, offset: Region.Notify, length: 2 * VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER },
      { at: 0x84, id: 9, len: 16, type: CapType.Isr, bar: 0, offset: Region.Isr, length: 1 },
      { at: 0x94, id: 9, len: 16, type: CapType.Device, bar: 0, offset: Region.Device, length: 8 },
    ]);
    expect(cfg.read(0x70 + Cap.NotifyOffMultiplier, 4)).toBe(VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER);
    for (const c of caps.slice(1)) expect(c.offset! + c.length!).toBeLessThanOrEqual(Region.MsixTable);
    // MSI-X: queues + 1 vectors (Table Size - 1 = 2), table and PBA in BAR0 (BIR 0), past the virtio structures in a page of their own.
    expect([cfg.read(0x42, 2), cfg.read(0x44, 4), cfg.read(0x48, 4)]).toEqual([2, Region.MsixTable, Region.MsixPba]);
    expect(Region.MsixTable % 0x1000).toBe(0);
    expect(Region.MsixPba - Region.MsixTable).toBeLessThan(0x1000);
    expect(Region.MsixPba + 8).toBeLessThanOrEqual(VIRTIO_PCI_BAR_BYTES);
  });

  it('keeps the capabilities read-only', () => {
    const { cfg } = rig();
    const before = [0x60, 0x70, 0x84, 0x94].map((at) => cfg.read(at + Cap.Offset, 4));
    for (const at of [0x60, 0x70, 0x84, 0x94]) {
      cfg.write(at + Cap.Offset, 4, 0x1234);
      cfg.write(at + Cap.Bar, 1, 3);
      cfg.write(at + Cap.Next, 1, 0x60);
    }
    expect([0x60, 0x70, 0x84, 0x94].map((at) => cfg.read(at + Cap.Offset, 4))).toEqual(before);
    expect(cfg.read(0x94 + Cap.Next, 1)).toBe(0);
  });

  it('publishes where BAR0 decodes: only with memory space on', () => {
    const { cfg, bars } = rig();
    cfg.write(0x10, 4, BAR);
    expect(bars).toEqual([]);
    cfg.write(0x04, 2, 0x2);
    cfg.write(0x04, 2, 0x0);
    expect(bars).toEqual([BAR, null]);
  });
});

describe('virtio-pci transport: common configuration', () => {
  it('offers VERSION_1 with the device features, reads back what the driver accepted, keeps FEATURES_OK only for VERSION_1', () => {
    const r = rig();
    r.t.write(C.DeviceFeatureSelect, 4, 0);
    expect(r.t.read(C.DeviceFeature, 4)).toBe(1 << 3);
    r.t.write(C.DeviceFeatureSelect, 4, 1);
    expect(r.t.read(C.DeviceFeature, 4)).toBe(1 << (VIRTIO_F_VERSION_1 - 32));
    r.t.write(C.DeviceFeatureSelect, 4, 2);
    expect(r.t.read(C.DeviceFeature, 4)).toBe(0);
    expect(r.negotiate(1 << 3)).toBe(true);
    r.t.write(C.DriverFeatureSelect, 4, 0);
    expect(r.t.read(C.DriverFeature, 4)).toBe(1 << 3);
    expect(r.negotiate(0, 0)).toBe(false);
    expect(r.negotiate(1 << 5)).toBe(false);
    // Features after FEATURES_OK, and before DRIVER.
    r.negotiate();
    r.t.write(C.DriverFeature, 4, 0);
    r.status(0);
    r.t.write(C.DriverFeature, 4, 0);
    expect(r.faults()).toEqual({ 'features-refused': 2, 'features-out-of-order': 2 });
  });

  it('reports its queues, their maximum sizes and notify offsets; a queue_select past them reads size 0', () => {
    const { t, faults } = rig();
    expect(t.read(C.NumQueues, 2)).toBe(2);
    for (const [q, max] of [
      [0, 16],
      [1, 4],
    ] as const) {
      t.write(C.QueueSelect, 2, q);
      expect([t.read(C.QueueSelect, 2), t.read(C.QueueSize, 2), t.read(C.QueueNotifyOff, 2), t.read(C.QueueMsixVector, 2)]).toEqual([
        q,
        max,
        q,
        VIRTIO_MSI_NO_VECTOR,
      ]);
    }
    t.write(C.QueueSelect, 2, 0xffff);
    expect([t.read(C.QueueSize, 2), t.read(C.QueueEnable, 2), t.read(C.QueueNotifyOff, 2), t.read(C.QueueDescLo, 4)]).toEqual([0, 0, 0, 0]);
    t.write(C.QueueSize, 2, 4);
    t.write(C.QueueDescLo, 4, RAM);
    t.write(C.QueueMsixVector, 2, 1);
    t.write(C.QueueEnable, 2, 1);
    expect(faults()).toEqual({ 'no-such-queue': 4 });
  });

  it('sets a queue up and enables it; refuses bad sizes, rings outside RAM or misaligned, and changes while enabled', () => {
    const r = rig();
    expect(r.setUp(0, RAM, 8)).toBe(false); // before FEATURES_OK
    r.negotiate();
    r.t.write(C.QueueSelect, 2, 0);
    for (const bad of [0, 3, 32]) r.t.write(C.QueueSize, 2, bad);
    expect(r.t.read(C.QueueSize, 2)).toBe(16); // kept
    expect(r.setUp(0, RAM + 0x10_0000 - 0x100, 16)).toBe(false); // runs off the end of RAM
    expect(r.setUp(0, 0x1000, 16)).toBe(false); // below RAM
    expect(r.setUp(0, RAM + 8, 16)).toBe(false); // table not 16-aligned
    r.t.write(C.QueueDescLo, 4, RAM);
    r.t.write(C.QueueDescHi, 4, 1); // a 64-bit address past RAM
    r.t.write(C.QueueEnable, 2, 1);
    expect(r.t.read(C.QueueEnable, 2)).toBe(0);
    expect(r.setUp(0, RAM, 8)).toBe(true);
    expect([r.t.read(C.QueueSize, 2), r.t.read(C.QueueDescLo, 4), r.t.read(C.QueueDriverLo, 4), r.t.read(C.QueueDeviceLo, 4)]).toEqual([
      8,
      RAM,
      RAM + 0x400,
      RAM + 0x800,
    ]);
    r.t.write(C.QueueSize, 2, 4);
    r.t.write(C.QueueDescLo, 4, RAM + 0x1000);
    r.t.write(C.QueueEnable, 2, 0); // a driver must not disable a queue (§4.1.4.3.2)
    expect([r.t.read(C.QueueSize, 2), r.t.read(C.QueueDescLo, 4), r.t.read(C.QueueEnable, 2)]).toEqual([8, RAM, 1]);
    expect(r.faults()).toEqual({
      'ready-before-features-ok': 1,
      'bad-size': 3,
      'ring-outside-ram': 3,
      'ring-misaligned': 1,
      'queue-changed-while-ready': 3,
    });
  });

  it('refuses writes to read-only fields, accesses of the wrong width, and offsets with no field', () => {
    const r = rig();
    r.negotiate();
    r.t.write(C.DeviceFeature, 4, 0);
    r.t.write(C.NumQueues, 2, 9);
    r.t.write(C.ConfigGeneration, 1, 9);
    r.t.write(C.QueueNotifyOff, 2, 9);
    expect(r.t.read(C.NumQueues, 2)).toBe(2);
    r.t.write(C.DeviceStatus, 4, 0); // not a reset: the wrong width
    expect(r.t.read(C.DeviceStatus, 1)).toBe(OK);
    expect(r.t.read(C.QueueSelect, 4)).toBe(0);
    expect(r.t.read(C.DeviceFeature + 1, 1)).toBe(0);
    expect(r.t.read(VIRTIO_PCI_COMMON_CFG_BYTES + 2, 2)).toBe(0); // queue_reset: not offered
    r.t.write(Region.Isr, 1, 1);
    r.t.write(Region.Isr + 1, 1, 1);
    expect(r.t.read(Region.Notify, 2)).toBe(0); // doorbells are write-only
    expect(r.faults()).toEqual({ 'write-to-read-only': 5, 'bad-access-size': 2, 'unknown-register': 4 });
  });

  it('refuses DRIVER_OK before FEATURES_OK and status writes that clear bits', () => {
    const r = rig();
    r.status(Status.Acknowledge);
    r.status(Status.Acknowledge | Status.Driver | Status.DriverOk);
    expect(r.t.read(C.DeviceStatus, 1)).toBe(Status.Acknowledge | Status.Driver);
    r.status(Status.Acknowledge);
    expect(r.faults()).toEqual({ 'driver-ok-early': 1, 'status-bits-cleared': 1 });
  });

  it('resets on device_status 0: features, queues, vectors and selects; the device drops its state', () => {
    const r = rig();
    r.negotiate();
    expect(r.setUp(0, RAM, 8)).toBe(true);
    r.t.write(C.QueueMsixVector, 2, 1);
    r.t.write(C.MsixConfig, 2, 0);
    r.status(OK | Status.DriverOk);
    const resetsBefore = r.device.resets;
    r.status(0);
    expect(r.device.resets).toBe(resetsBefore + 1);
    expect([r.t.read(C.DeviceStatus, 1), r.t.read(C.QueueSelect, 2), r.t.read(C.MsixConfig, 2)]).toEqual([0, 0, VIRTIO_MSI_NO_VECTOR]);
    expect([r.t.read(C.QueueEnable, 2), r.t.read(C.QueueSize, 2), r.t.read(C.QueueDescLo, 4), r.t.read(C.QueueMsixVector, 2)]).toEqual([
      0,
      16,
      0,
      VIRTIO_MSI_NO_VECTOR,
    ]);
    r.t.write(C.DriverFeatureSelect, 4, 1);
    expect(r.t.read(C.DriverFeature, 4)).toBe(0);
    expect(r.t.queue(0)).toBeNull();
  });
});

describe('virtio-pci transport: doorbells, device configuration, interrupts', () => {
  it('rings queue q at notify + 4q; refuses a doorbell before DRIVER_OK, for a missing queue, misaligned or of the wrong width', () => {
    const r = rig();
    r.negotiate();
    expect(r.setUp(1, RAM, 4)).toBe(true);
    r.t.write(Region.Notify + 4, 2, 1); // not DRIVER_OK yet
    r.status(OK | Status.DriverOk);
    expect(r.device.notified).toEqual([1]); // DRIVER_OK looks at the ready queue
    r.t.write(Region.Notify + 4, 2, 1);
    r.t.write(Region.Notify + 4, 4, 1);
    r.t.write(Region.Notify, 2, 0); // queue 0 is not ready
    r.t.write(Region.Notify + 4 * 7, 2, 7); // no queue 7
    r.t.write(Region.Notify + 6, 2, 1);
    r.t.write(Region.Notify + 4, 1, 1);
    expect(r.device.notified).toEqual([1, 1, 1]);
    expect(r.t.counts.notifications).toBe(2);
    expect(r.faults()).toEqual({ 'notify-before-ready': 2, 'no-such-queue': 1, 'unknown-register': 1, 'bad-access-size': 1 });
  });

  it('reaches the device configuration at its structure; past it or refused by the device is counted', () => {
    const r = rig();
    r.t.write(Region.Device + 2, 1, 0x5a);
    expect(r.t.read(Region.Device + 2, 1)).toBe(0x5a);
    expect(r.t.read(Region.Device, 4)).toBe(0x5a0000);
    r.t.write(Region.Device, 2, 1); // the fake device takes bytes only
    expect(r.t.read(Region.Device + 6, 4)).toBe(0);
    expect(r.t.read(Region.Device + 1, 8)).toBe(0);
    expect(r.faults()).toEqual({ 'config-write-refused': 1, 'unknown-register': 1, 'bad-access-size': 1 });
  });

  it('sends a queue’s interrupt on its entry and a configuration change on msix_config’s; the ISR records both and a read clears it', () => {
    const r = rig();
    r.enableMsix(0x60);
    r.negotiate();
    r.t.write(C.MsixConfig, 2, 0);
    expect(r.setUp(0, RAM, 8)).toBe(true);
    r.t.write(C.QueueMsixVector, 2, 1);
    expect(r.setUp(1, RAM + 0x2000, 4)).toBe(true);
    r.t.write(C.QueueMsixVector, 2, 2);
    r.status(OK | Status.DriverOk);
    r.t.usedBuffers(0);
    r.t.usedBuffers(1);
    expect(r.msis).toEqual([
      { address: MSI_ADDRESS, data: 0x61 },
      { address: MSI_ADDRESS, data: 0x62 },
    ]);
    r.t.queueFault('chain-loop');
    expect(r.msis[2]).toEqual({ address: MSI_ADDRESS, data: 0x60 });
    expect(r.t.read(C.DeviceStatus, 1) & Status.DeviceNeedsReset).toBe(Status.DeviceNeedsReset);
    expect(r.t.read(Region.Isr, 1)).toBe(3);
    expect(r.t.read(Region.Isr, 1)).toBe(0);
    expect(r.t.read(Region.Isr, 4)).toBe(0); // the ISR is one byte
    expect(r.transportInterrupts()).toEqual({ sent: 3, disabled: 0, intx: 0, masked: 0, noVector: 0 });
  });

  it('two events may share an entry; an entry may be retargeted while MSI-X is on', () => {
    const r = rig();
    r.enableMsix(0x60);
    r.negotiate();
    r.t.write(C.MsixConfig, 2, 1);
    expect(r.setUp(0, RAM, 8)).toBe(true);
    r.t.write(C.QueueMsixVector, 2, 1);
    r.status(OK | Status.DriverOk);
    r.t.usedBuffers(0);
    r.t.write(r.entryWord(1, 0), 4, MSI_ADDRESS + 0x1000); // to vCPU 1 now
    r.t.queueFault('chain-loop');
    expect(r.msis).toEqual([
      { address: MSI_ADDRESS, data: 0x61 },
      { address: MSI_ADDRESS + 0x1000, data: 0x61 },
    ]);
  });

  it('counts an interrupt with MSI-X off, with no vector, and a masked one, which goes out once when unmasked', () => {
    const r = rig();
    r.negotiate();
    expect(r.setUp(0, RAM, 8)).toBe(true);
    r.t.write(C.QueueMsixVector, 2, 1);
    r.status(OK | Status.DriverOk);
    r.t.usedBuffers(0); // MSI-X not enabled: the ISR bit and INTx
    r.enableMsix(0x60, [1]);
    r.t.usedBuffers(0); // entry 1 masked
    r.t.usedBuffers(0); // still masked: one pending bit
    expect(r.msis).toEqual([]);
    expect(r.t.read(Region.MsixPba, 4)).toBe(0b10);
    r.t.write(C.QueueMsixVector, 2, VIRTIO_MSI_NO_VECTOR);
    r.t.usedBuffers(0); // unmapped: no interrupt (§4.1.5.3)
    r.t.write(r.entryWord(1, 12), 4, 0); // unmask
    expect(r.msis).toEqual([{ address: MSI_ADDRESS, data: 0x61 }]);
    expect(r.t.read(Region.MsixPba, 4)).toBe(0);
    r.t.write(r.entryWord(1, 12), 4, 0);
    expect(r.msis).toHaveLength(1);
    expect(r.t.read(Region.Isr, 1)).toBe(1);
    expect(r.transportInterrupts()).toEqual({ sent: 1, disabled: 1, intx: 1, masked: 2, noVector: 1 });
  });

  it('holds interrupts while Function Mask is set and sends each pending entry once when it clears', () => {
    const r = rig();
    r.enableMsix(0x60);
    r.negotiate();
    r.t.write(C.MsixConfig, 2, 0);
    expect(r.setUp(0, RAM, 8)).toBe(true);
    r.t.write(C.QueueMsixVector, 2, 1);
    r.status(OK | Status.DriverOk);
    r.cfg.write(0x43, 1, 0xc0); // Enable | Function Mask
    r.t.usedBuffers(0);
    r.t.usedBuffers(0); // entry 1 already pending: still one message to come
    r.t.queueFault('chain-loop');
    expect(r.msis).toEqual([]);
    r.cfg.write(0x43, 1, 0x80);
    expect(r.msis.map((m) => m.data).sort()).toEqual([0x60, 0x61]);
    expect(r.transportInterrupts()).toEqual({ sent: 2, disabled: 0, intx: 0, masked: 3, noVector: 0 });
  });

  it('reads back NO_VECTOR for an entry past the table (queues + 1 = 3 entries), as QEMU does', () => {
    const r = rig();
    r.t.write(C.MsixConfig, 2, 3);
    expect(r.t.read(C.MsixConfig, 2)).toBe(VIRTIO_MSI_NO_VECTOR);
    r.t.write(C.MsixConfig, 2, 0xfffe);
    expect(r.t.read(C.MsixConfig, 2)).toBe(VIRTIO_MSI_NO_VECTOR);
    r.t.write(C.QueueMsixVector, 2, 0x7ff);
    expect(r.t.read(C.QueueMsixVector, 2)).toBe(VIRTIO_MSI_NO_VECTOR);
    r.t.write(C.QueueMsixVector, 2, 2);
    expect(r.t.read(C.QueueMsixVector, 2)).toBe(2);
    r.t.write(C.QueueMsixVector, 2, VIRTIO_MSI_NO_VECTOR);
    expect(r.t.read(C.QueueMsixVector, 2)).toBe(VIRTIO_MSI_NO_VECTOR);
    r.t.write(C.MsixConfig, 4, 0); // the wrong width: not taken
    expect(r.faults()).toEqual({ 'bad-vector': 3, 'bad-access-size': 1 });
  });

  it('refuses partial, unaligned and out-of-table accesses to the MSI-X page, and PBA writes; the entry keeps its value', () => {
    const r = rig();
    r.t.write(r.entryWord(0, 8), 4, 0x60);
    r.t.write(r.entryWord(0, 8), 2, 0x1234);
    r.t.write(r.entryWord(0, 9), 1, 0x12);
    r.t.write(r.entryWord(0, 10), 4, 0x1234);
    r.t.write(r.entryWord(0, 12), 8, 0); // a QWORD that is not 8-aligned
    expect(r.t.read(r.entryWord(0, 8), 4)).toBe(0x60);
    expect(r.t.read(r.entryWord(0, 12), 4)).toBe(1); // still masked
    expect(r.t.read(r.entryWord(0, 8), 2)).toBe(0);
    r.t.write(Region.MsixPba, 4, 0xffffffff);
    expect(r.t.read(Region.MsixPba, 4)).toBe(0);
    expect(r.t.read(r.entryWord(3, 0), 4)).toBe(0); // past the 3 entries
    r.t.write(r.entryWord(3, 12), 4, 0);
    expect(r.t.read(Region.MsixPba + 8, 4)).toBe(0);
    expect(r.t.read(Region.MsixTable + 0xff0, 4)).toBe(0);
    expect(r.faults()).toEqual({ 'bad-access-size': 5, 'write-to-read-only': 1, 'unknown-register': 4 });
  });

  it('takes aligned QWORDs in the MSI-X table and PBA: an entry programmed in two, a pending vector read from the PBA, both halves back', () => {
    const r = rig();
    r.enableMsix(0x60, [1]);
    r.negotiate();
    expect(r.setUp(0, RAM, 16)).toBe(true);
    r.t.write(C.QueueMsixVector, 2, 1);
    r.status(OK | Status.DriverOk);
    r.t.usedBuffers(0); // queue 0's interrupt, held: entry 1 is masked
    const halves = new Uint32Array(2);
    r.t.readHalves(Region.MsixPba, 8, halves);
    expect([...halves]).toEqual([0b10, 0]);
    r.t.write(r.entryWord(1, 0), 8, MSI_ADDRESS + 0x2000, 0);
    r.t.write(r.entryWord(1, 8), 8, 0x71, 0); // data, then unmask: the pending message carries the new data
    expect(r.msis.at(-1)).toEqual({ address: MSI_ADDRESS + 0x2000, data: 0x71 });
    r.t.readHalves(r.entryWord(1, 0), 8, halves);
    expect([...halves]).toEqual([MSI_ADDRESS + 0x2000, 0]);
    r.t.readHalves(Region.MsixPba, 8, halves);
    expect([...halves]).toEqual([0, 0]);
    // Outside the MSI-X page a QWORD is still the wrong width; its high half reads 0.
    r.t.readHalves(C.QueueDescLo, 8, halves);
    expect([...halves]).toEqual([0, 0]);
    expect(r.faults()).toEqual({ 'bad-access-size': 1 });
  });

  it('a device reset unmaps every event and drops pending bits, keeping the table; a system reset also clears the table, MSI-X and BAR0', () => {
    const r = rig();
    r.enableMsix(0x60, [1]);
    r.negotiate();
    expect(r.setUp(0, RAM, 8)).toBe(true);
    r.t.write(C.QueueMsixVector, 2, 1);
    r.t.write(C.MsixConfig, 2, 0);
    r.status(OK | Status.DriverOk);
    r.t.usedBuffers(0);
    expect(r.t.read(Region.MsixPba, 4)).toBe(0b10);
    r.status(0);
    expect([r.t.read(C.MsixConfig, 2), r.t.read(C.QueueMsixVector, 2), r.t.read(Region.MsixPba, 4)]).toEqual([VIRTIO_MSI_NO_VECTOR, VIRTIO_MSI_NO_VECTOR, 0]);
    expect([r.t.read(r.entryWord(1, 8), 4), r.cfg.read(0x42, 2)]).toEqual([0x61, 0x8002]);
    r.t.write(r.entryWord(1, 12), 4, 0);
    expect(r.msis).toEqual([]); // nothing pending for the old driver
    r.t.reset();
    expect(r.cfg.read(0x10, 4)).toBe(0);
    expect(r.cfg.msix()).toEqual({ enabled: false, functionMask: false });
    expect([0, 4, 8, 12].map((f) => r.t.read(r.entryWord(1, f), 4))).toEqual([0, 0, 0, 1]);
    expect(r.bars.at(-1)).toBeNull();
    expect(r.t.read(C.DeviceStatus, 1)).toBe(0);
  });
});

describe('virtio-pci transport: INTx for a driver that leaves MSI-X off', () => {
  const STATUS = 0x06;
  const COMMAND = 0x04;
  const INTERRUPT_STATUS = 1 << 3;
  const INTERRUPT_DISABLE = 1 << 10;
  /** BAR0 placed, memory space and bus mastering on, a queue 0 at RAM, DRIVER_OK; MSI-X left off. */
  const intxRig = () => {
    const r = rig();
    r.cfg.write(0x10, 4, BAR);
    r.cfg.write(COMMAND, 2, 0x6);
    r.negotiate();
    expect(r.setUp(0, RAM, 8)).toBe(true);
    r.status(OK | Status.DriverOk);
    return r;
  };
  const interruptStatus = (r: ReturnType<typeof rig>) => (r.cfg.read(STATUS, 2) & INTERRUPT_STATUS) !== 0;

  it('asserts INTA# with ISR bit 0 for a queue and bit 1 for a configuration change; reading the ISR clears it and deasserts', () => {
    const r = intxRig();
    r.t.usedBuffers(0);
    expect(r.intx).toEqual([true]);
    expect(interruptStatus(r)).toBe(true);
    r.t.usedBuffers(0); // already asserted: the level stays, no second edge
    expect(r.intx).toEqual([true]);
    expect(r.t.read(Region.Isr, 1)).toBe(1);
    expect(r.intx).toEqual([true, false]);
    expect(interruptStatus(r)).toBe(false);
    expect(r.t.read(Region.Isr, 1)).toBe(0); // read-to-clear: nothing left
    // A refused ISR access (wrong width, a write) neither clears nor deasserts.
    r.t.usedBuffers(0);
    expect(r.t.read(Region.Isr, 4)).toBe(0);
    r.t.write(Region.Isr, 1, 0);
    expect(r.intx).toEqual([true, false, true]);
    expect(r.t.read(Region.Isr, 1)).toBe(1);
    r.t.queueFault('chain-loop'); // NEEDS_RESET: a configuration change
    expect(r.intx).toEqual([true, false, true, false, true]);
    expect(r.t.read(Region.Isr, 1)).toBe(2);
    expect(r.intx).toEqual([true, false, true, false, true, false]);
    expect(r.msis).toEqual([]);
    expect(r.transportInterrupts()).toEqual({ sent: 0, disabled: 4, intx: 3, masked: 0, noVector: 0 });
    expect(r.faults()).toEqual({ 'bad-access-size': 1, 'write-to-read-only': 1, 'chain-loop': 1 });
  });

  it('honours Interrupt Disable: Interrupt Status still records the interrupt, the pin follows the bit', () => {
    const r = intxRig();
    r.cfg.write(COMMAND, 2, 0x6 | INTERRUPT_DISABLE);
    expect(r.cfg.read(COMMAND, 2)).toBe(0x6 | INTERRUPT_DISABLE);
    r.t.usedBuffers(0);
    expect(r.intx).toEqual([]);
    expect(interruptStatus(r)).toBe(true); // PCI 3.0 §6.2.3: Interrupt Disable does not change Interrupt Status
    r.cfg.write(COMMAND, 2, 0x6); // enabled again with the interrupt still wanted: asserted now
    expect(r.intx).toEqual([true]);
    r.cfg.write(COMMAND, 2, 0x6 | INTERRUPT_DISABLE); // disabled while asserted: deasserted
    expect(r.intx).toEqual([true, false]);
    expect(r.t.read(Region.Isr, 1)).toBe(1);
    r.cfg.write(COMMAND, 2, 0x6);
    expect(r.intx).toEqual([true, false]); // nothing wanted any more
    // The status register's Interrupt Status bit is the device's: a guest write changes nothing.
    r.cfg.write(STATUS, 2, INTERRUPT_STATUS);
    expect(interruptStatus(r)).toBe(false);
  });

  it('switching MSI-X on deasserts INTx and sends messages instead; off again, INTx comes back', () => {
    const r = intxRig();
    r.t.usedBuffers(0);
    expect(r.intx).toEqual([true]);
    r.enableMsix(0x60);
    expect(r.intx).toEqual([true, false]); // PCI 3.0 §6.8.3.3: no INTx while MSI-X is on
    expect(interruptStatus(r)).toBe(false);
    r.t.write(C.QueueSelect, 2, 0);
    r.t.write(C.QueueMsixVector, 2, 1);
    r.t.usedBuffers(0);
    expect(r.msis).toEqual([{ address: MSI_ADDRESS, data: 0x61 }]);
    expect(r.intx).toEqual([true, false]);
    r.cfg.write(0x42, 2, 0); // MSI-X off
    r.t.usedBuffers(0);
    expect(r.intx).toEqual([true, false, true]);
    expect(r.msis).toHaveLength(1);
  });

  it('a device reset and a system reset deassert; a function without the pin is refused setInterruptStatus', () => {
    const r = intxRig();
    r.t.usedBuffers(0);
    r.status(0);
    expect(r.intx).toEqual([true, false]);
    expect(r.t.read(Region.Isr, 1)).toBe(0);
    r.negotiate();
    expect(r.setUp(0, RAM, 8)).toBe(true);
    r.status(OK | Status.DriverOk);
    r.t.usedBuffers(0);
    r.cfg.write(COMMAND, 2, 0x6 | INTERRUPT_DISABLE);
    r.t.reset();
    expect(r.intx).toEqual([true, false, true, false]);
    expect(r.cfg.read(COMMAND, 2)).toBe(0);
    expect(interruptStatus(r)).toBe(false);
    expect(() => new PciConfigSpace().setInterruptStatus(true)).toThrow(/no INTx pin/);
  });

  it('a saved transport with INTx asserted asserts it again when restored; a file with Interrupt Status on a pinless function is refused', () => {
    const r = intxRig();
    r.t.usedBuffers(0);
    const saved = r.t.saveState();
    const b = rig();
    b.t.loadState(saved);
    expect(b.intx).toEqual([true]);
    expect(b.t.read(Region.Isr, 1)).toBe(1);
    expect(b.intx).toEqual([true, false]);
    // apple-gfx-pci has no pin: its Interrupt Status bit is read-only 0, and a file that sets it is refused.
    const gfx = new PciConfigSpace();
    const bytes = savePciConfig(gfx);
    bytes[12 + STATUS]! |= INTERRUPT_STATUS; // after magic, version and length

    expect(() => loadPciConfig(gfx, bytes)).toThrow(/offset 0x6/);
  });
});
