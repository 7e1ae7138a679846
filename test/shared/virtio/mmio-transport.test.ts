// The virtio-mmio version 2 transport with a minimal device behind it: identification, feature
// negotiation (VERSION_1 required), status rules and reset, queue setup, notifications and the
// level interrupt; every register misuse is refused and counted, none throws.
import { describe, expect, it } from 'vitest';

import {
  VIRTIO_F_VERSION_1,
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_VENDOR_ID,
  VIRTQ_DESC_F_NEXT,
  VirtioMmioReg as Reg,
  VirtioStatus as Status,
} from '../../../abi/generated/virtio.js';
import { createGuestMemory } from '../../../shared/guest-memory/index.js';
import { VirtioMmioTransport, type VirtioDeviceModel } from '../../../shared/virtio/mmio-transport.js';
import { VirtioInputTestDriver, queueArea } from '../../support/virtio-input-driver.js';

const RAM = 0x4000_0000;
const BASE = 0x3100_0000;

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
  const levels: boolean[] = [];
  const transport = new VirtioMmioTransport(memory, device, (high) => levels.push(high));
  const port = {
    mmioRead: (a: number, s: number) => transport.read(a - BASE, s),
    mmioWrite: (a: number, s: number, v: number) => transport.write(a - BASE, s, v),
  };
  const driver = new VirtioInputTestDriver(port, memory, BASE, RAM);
  const faults = () => Object.fromEntries(Object.entries(transport.faults).filter(([, n]) => n > 0));
  return { memory, device, levels, transport, driver, faults };
}

describe('virtio-mmio transport', () => {
  it('identifies itself as a version 2 device and offers VERSION_1 with the device features', () => {
    const { driver } = rig();
    expect(driver.probe()).toEqual({ magic: VIRTIO_MMIO_MAGIC, version: 2, deviceId: 42, vendorId: VIRTIO_VENDOR_ID });
    expect(driver.deviceFeatures()).toBe((1n << BigInt(VIRTIO_F_VERSION_1)) | (1n << 3n));
  });

  it('keeps FEATURES_OK for VERSION_1 and refuses it without VERSION_1 or with features not offered', () => {
    const r = rig();
    expect(r.driver.negotiate()).toBe(true);
    expect(r.driver.negotiate(0, 0)).toBe(false);
    expect(r.driver.negotiate(1, 1 << 5)).toBe(false);
    expect(r.faults()).toEqual({ 'features-refused': 2 });
    expect(r.device.resets).toBe(3); // each negotiate() starts with a reset
  });

  it('refuses status writes that clear bits, DRIVER_OK before FEATURES_OK, features out of order', () => {
    const r = rig();
    r.driver.write(Reg.DriverFeatures, 1); // before DRIVER
    r.driver.write(Reg.Status, Status.Acknowledge | Status.Driver);
    r.driver.write(Reg.Status, Status.Acknowledge);
    r.driver.write(Reg.Status, Status.Acknowledge | Status.Driver | Status.DriverOk);
    expect(r.driver.read(Reg.Status)).toBe(Status.Acknowledge | Status.Driver);
    expect(r.faults()).toEqual({ 'features-out-of-order': 1, 'status-bits-cleared': 1, 'driver-ok-early': 1 });
  });

  it('refuses wrong access sizes, unknown registers and writes to read-only ones', () => {
    const r = rig();
    expect(r.transport.read(Reg.MagicValue, 2)).toBe(0);
    expect(r.transport.read(Reg.MagicValue + 1, 4)).toBe(0);
    expect(r.transport.read(0x0e0, 4)).toBe(0);
    r.transport.write(Reg.MagicValue, 4, 0);
    r.transport.write(Reg.Config + 6, 4, 0); // past the device's 8 configuration bytes
    r.transport.write(Reg.Config, 2, 0); // the device takes bytes only
    expect(r.transport.read(Reg.Config, 8)).toBe(0);
    expect(r.faults()).toEqual({ 'bad-access-size': 3, 'unknown-register': 2, 'write-to-read-only': 1, 'config-write-refused': 1 });
  });

  it('readies a queue only after FEATURES_OK, with a valid size and rings in RAM', () => {
    const r = rig();
    const a = queueArea(RAM);
    expect(r.driver.setupQueue(0, 8, a.desc, a.avail, a.used)).toBe(false); // before FEATURES_OK
    r.driver.negotiate();
    r.driver.write(Reg.QueueSel, 0);
    r.driver.write(Reg.QueueNum, 12); // not a power of two: the old size stays
    expect(r.driver.read(Reg.QueueNum)).toBe(0);
    // Above QueueNumMax 16: refused at QueueNum, and QueueReady then finds size 0 (counted again).
    expect(r.driver.setupQueue(0, 32, a.desc, a.avail, a.used)).toBe(false);
    expect(r.driver.setupQueue(0, 8, 0x1000, a.avail, a.used)).toBe(false); // descriptors outside RAM
    expect(r.driver.setupQueue(0, 8, a.desc, a.avail, 2n ** 63n)).toBe(false); // used ring at 2^63
    expect(r.driver.setupQueue(0, 8, a.desc, a.avail, a.used)).toBe(true);
    r.driver.write(Reg.QueueNum, 4); // while ready
    r.driver.write(Reg.QueueSel, 7);
    expect(r.driver.read(Reg.QueueNumMax)).toBe(0); // no such queue
    r.driver.write(Reg.QueueNum, 4);
    expect(r.faults()).toEqual({
      'ready-before-features-ok': 1,
      'bad-size': 3,
      'ring-outside-ram': 2,
      'queue-changed-while-ready': 1,
      'no-such-queue': 1,
    });
  });

  it('passes notifications on only for ready queues of a DRIVER_OK device', () => {
    const r = rig();
    const a = queueArea(RAM);
    r.driver.notify(0); // nothing set up
    r.driver.negotiate();
    r.driver.setupQueue(0, 8, a.desc, a.avail, a.used);
    r.driver.notify(0); // ready but not DRIVER_OK
    r.driver.notify(1); // not ready
    r.driver.notify(5); // no such queue
    r.driver.driverOk(); // DRIVER_OK tells the device about its ready queues
    r.driver.notify(0);
    expect(r.device.notified).toEqual([0, 0]);
    expect(r.faults()).toEqual({ 'notify-before-ready': 3, 'no-such-queue': 1 });
  });

  it('raises a level while InterruptStatus is not 0 and lowers it on acknowledge and reset', () => {
    const r = rig();
    const a = queueArea(RAM);
    r.driver.negotiate();
    r.driver.setupQueue(0, 8, a.desc, a.avail, a.used);
    r.driver.driverOk();
    r.transport.usedBuffers(0);
    r.transport.usedBuffers(0); // already high: no second edge
    expect(r.driver.read(Reg.InterruptStatus)).toBe(VIRTIO_MMIO_INT_VRING);
    r.driver.write(Reg.InterruptAck, VIRTIO_MMIO_INT_VRING);
    r.transport.usedBuffers(0);
    r.driver.write(Reg.Status, 0);
    expect(r.levels).toEqual([true, false, true, false]);
    expect(r.driver.read(Reg.QueueReady)).toBe(0);
  });

  it('a queue fault sets DEVICE_NEEDS_RESET with a configuration interrupt, and a reset clears it', () => {
    const r = rig();
    const a = queueArea(RAM);
    r.driver.negotiate();
    r.driver.setupQueue(0, 8, a.desc, a.avail, a.used);
    r.driver.driverOk();
    r.transport.queueFault('chain-loop');
    r.transport.queueFault('chain-loop'); // counted, interrupt once
    expect(r.driver.read(Reg.Status) & Status.DeviceNeedsReset).toBe(Status.DeviceNeedsReset);
    expect(r.driver.read(Reg.InterruptStatus)).toBe(VIRTIO_MMIO_INT_CONFIG);
    expect(r.transport.queue(0)).toBeNull();
    expect(r.transport.faults['chain-loop']).toBe(2);
    // The driver may not clear it by writing the status back without it.
    r.driver.write(Reg.Status, Status.Acknowledge | Status.Driver | Status.FeaturesOk | Status.DriverOk);
    expect(r.transport.needsReset).toBe(true);
    r.driver.write(Reg.Status, 0);
    expect(r.driver.read(Reg.Status)).toBe(0);
    expect(r.driver.read(Reg.InterruptStatus)).toBe(0);
  });

  it('takes descriptor chains from a ready queue through queue()', () => {
    const r = rig();
    r.driver.negotiate();
    r.driver.prepare(8);
    r.driver.writeDescriptor(0, BigInt(RAM + 0x8000), 8, VIRTQ_DESC_F_NEXT, 1);
    r.driver.writeDescriptor(1, BigInt(RAM + 0x8008), 8, 0, 0);
    r.driver.offer(0);
    const a = queueArea(RAM);
    r.driver.setupQueue(0, 8, a.desc, a.avail, a.used);
    r.driver.driverOk();
    const got = r.transport.queue(0)!.pop();
    expect(got.kind === 'chain' && got.chain.buffers.length).toBe(2);
  });
});
