// The virtio-pci transport (modern) with a minimal device behind it: the function's identity and
// capability layout, feature negotiation, queue setup through the common configuration, the
// doorbells, the ISR, MSI routing of queue and configuration interrupts, reset; every misuse —
// out-of-range queue_select, bad sizes, rings outside RAM, a doorbell for a missing queue, writes
// to read-only fields, wrong widths — refused and counted, none throws.
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
  /** MSI at vCPU 0 with two vectors from `vector`, memory space and bus mastering on. */
  const enableMsi = (vector = 0x60) => {
    cfg.write(0x44, 4, MSI_ADDRESS);
    cfg.write(0x48, 4, 0);
    cfg.write(0x4c, 2, vector);
    cfg.write(0x42, 2, (cfg.read(0x42, 2) & ~0x70) | (1 << 4) | 1);
    cfg.write(0x10, 4, BAR);
    cfg.write(0x04, 2, 0x6);
  };
  const transportInterrupts = () => ({ ...t.interrupts });
  return { memory, device, t, cfg, msis: r.msis, bars: r.bars, faults, status, negotiate, setUp, enableMsi, transportInterrupts };
}

describe('virtio-pci transport: the function', () => {
  it('is a modern virtio device: vendor 0x1AF4, device 0x1040 + type, revision 1, its class and subsystem', () => {
    const { cfg } = rig();
    expect(cfg.read(0x00, 2)).toBe(0x1af4);
    expect(cfg.read(0x02, 2)).toBe(0x1040 + 42);
    expect(cfg.read(0x08, 1)).toBe(1);
    expect(cfg.read(0x08, 4) >>> 8).toBe(PCI_CLASS_INPUT_OTHER << 8);
    expect([cfg.read(0x2c, 2), cfg.read(0x2e, 2)]).toEqual([0x1af4, 42]);
    expect(cfg.read(0x3d, 1)).toBe(0); // no INTx pin: MSI only
  });

  it('sizes BAR0 at 16 KiB and chains MSI, then the common, notify, ISR and device capabilities, each inside BAR0', () => {
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
      { at: 0x40, id: 0x05 },
      { at: 0x60, id: 9, len: 16, type: CapType.Common, bar: 0, offset: Region.Common, length: VIRTIO_PCI_COMMON_CFG_BYTES },
      { at: 0x70, id: 9, len: 20, type: CapType.Notify, bar: 0, offset: Region.Notify, length: 2 * VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER },
      { at: 0x84, id: 9, len: 16, type: CapType.Isr, bar: 0, offset: Region.Isr, length: 1 },
      { at: 0x94, id: 9, len: 16, type: CapType.Device, bar: 0, offset: Region.Device, length: 8 },
    ]);
    expect(cfg.read(0x70 + Cap.NotifyOffMultiplier, 4)).toBe(VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER);
    for (const c of caps.slice(1)) expect(c.offset! + c.length!).toBeLessThanOrEqual(VIRTIO_PCI_BAR_BYTES);
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

  it('sends a queue’s MSI on its vector and a configuration change on msix_config’s, into the block the guest enabled; the ISR records both and a read clears it', () => {
    const r = rig();
    r.enableMsi(0x60);
    r.negotiate();
    r.t.write(C.MsixConfig, 2, 0);
    expect(r.setUp(0, RAM, 8)).toBe(true);
    r.t.write(C.QueueMsixVector, 2, 1);
    r.status(OK | Status.DriverOk);
    r.t.usedBuffers(0);
    expect(r.msis).toEqual([{ address: MSI_ADDRESS, data: 0x61 }]);
    r.t.queueFault('chain-loop');
    expect(r.msis[1]).toEqual({ address: MSI_ADDRESS, data: 0x60 });
    expect(r.t.read(C.DeviceStatus, 1) & Status.DeviceNeedsReset).toBe(Status.DeviceNeedsReset);
    expect(r.t.read(Region.Isr, 1)).toBe(3);
    expect(r.t.read(Region.Isr, 1)).toBe(0);
    expect(r.t.read(Region.Isr, 4)).toBe(0); // the ISR is one byte
    expect(r.transportInterrupts()).toEqual({ sent: 2, disabled: 0, masked: 0, noVector: 0 });
  });

  it('counts an interrupt with no vector, with MSI off, and a masked one, which goes out when unmasked', () => {
    const r = rig();
    r.negotiate();
    expect(r.setUp(0, RAM, 8)).toBe(true);
    r.status(OK | Status.DriverOk);
    r.t.usedBuffers(0); // queue_msix_vector is NO_VECTOR
    r.t.write(C.QueueMsixVector, 2, 1);
    r.t.usedBuffers(0); // MSI not enabled
    r.enableMsi(0x60);
    r.cfg.write(0x50, 4, 0b10); // mask vector 1
    r.t.usedBuffers(0);
    expect(r.msis).toEqual([]);
    expect(r.cfg.read(0x54, 4)).toBe(0b10); // pending
    r.cfg.write(0x50, 4, 0);
    expect(r.msis).toEqual([{ address: MSI_ADDRESS, data: 0x61 }]);
    expect(r.t.read(Region.Isr, 1)).toBe(1);
    expect(r.transportInterrupts()).toEqual({ sent: 1, disabled: 1, masked: 1, noVector: 1 });
  });

  it('reads back NO_VECTOR for a vector MSI cannot carry', () => {
    const r = rig();
    r.t.write(C.MsixConfig, 2, 32);
    expect(r.t.read(C.MsixConfig, 2)).toBe(VIRTIO_MSI_NO_VECTOR);
    r.t.write(C.QueueMsixVector, 2, 0x7fff);
    expect(r.t.read(C.QueueMsixVector, 2)).toBe(VIRTIO_MSI_NO_VECTOR);
    r.t.write(C.QueueMsixVector, 2, 31);
    expect(r.t.read(C.QueueMsixVector, 2)).toBe(31);
    expect(r.faults()).toEqual({ 'bad-vector': 2 });
  });

  it('a system reset also puts the configuration space back: BAR0 and MSI off', () => {
    const r = rig();
    r.enableMsi();
    r.negotiate();
    r.t.reset();
    expect(r.cfg.read(0x10, 4)).toBe(0);
    expect(r.cfg.msi().enabled).toBe(false);
    expect(r.bars.at(-1)).toBeNull();
    expect(r.t.read(C.DeviceStatus, 1)).toBe(0);
  });
});
