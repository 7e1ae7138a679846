// A small guest-side virtio-input driver for tests, talking MMIO and guest RAM as the built-in
// TypeScript guest does: probe, negotiate (VERSION_1), read the configuration selects, set up
// the event queue with 8-byte buffers, take events off the used ring and give the buffers back.
// It also lets a test write hostile rings (descriptors anywhere, any chain) on purpose.
import type { GuestMemory } from '../../shared/guest-memory/index.js';
import { VIRTIO_F_VERSION_1, VIRTQ_DESC_F_WRITE, VirtioMmioReg as Reg, VirtioStatus as Status } from '../../abi/generated/virtio.js';

export interface MmioPort {
  mmioRead(address: number, size: number): number;
  mmioWrite(address: number, size: number, value: number): void;
}

export interface InputEvent {
  type: number;
  code: number;
  value: number;
}

/** Where one queue lives in guest RAM: descriptors, avail ring, used ring, then the buffers. */
export function queueArea(ram: number): { desc: number; avail: number; used: number; buffers: number } {
  return { desc: ram, avail: ram + 0x1000, used: ram + 0x2000, buffers: ram + 0x3000 };
}

export class VirtioInputTestDriver {
  private size = 0;
  private lastUsed = 0;
  private availIdx = 0;
  private readonly area: ReturnType<typeof queueArea>;

  constructor(
    private readonly port: MmioPort,
    private readonly memory: GuestMemory,
    private readonly base: number,
    ram: number,
  ) {
    this.area = queueArea(ram);
  }

  read(reg: number, size = 4): number {
    return this.port.mmioRead(this.base + reg, size) >>> 0;
  }

  write(reg: number, value: number, size = 4): void {
    this.port.mmioWrite(this.base + reg, size, value);
  }

  probe(): { magic: number; version: number; deviceId: number; vendorId: number } {
    return { magic: this.read(Reg.MagicValue), version: this.read(Reg.Version), deviceId: this.read(Reg.DeviceId), vendorId: this.read(Reg.VendorId) };
  }

  /** Reset, ACKNOWLEDGE, DRIVER, the driver's features, FEATURES_OK; true when the device kept FEATURES_OK. */
  negotiate(driverFeaturesHigh = 1 << (VIRTIO_F_VERSION_1 - 32), driverFeaturesLow = 0): boolean {
    this.write(Reg.Status, 0);
    this.write(Reg.Status, Status.Acknowledge);
    this.write(Reg.Status, Status.Acknowledge | Status.Driver);
    this.write(Reg.DriverFeaturesSel, 1);
    this.write(Reg.DriverFeatures, driverFeaturesHigh);
    this.write(Reg.DriverFeaturesSel, 0);
    this.write(Reg.DriverFeatures, driverFeaturesLow);
    this.write(Reg.Status, Status.Acknowledge | Status.Driver | Status.FeaturesOk);
    return (this.read(Reg.Status) & Status.FeaturesOk) !== 0;
  }

  deviceFeatures(): bigint {
    this.write(Reg.DeviceFeaturesSel, 1);
    const hi = this.read(Reg.DeviceFeatures);
    this.write(Reg.DeviceFeaturesSel, 0);
    return (BigInt(hi) << 32n) | BigInt(this.read(Reg.DeviceFeatures));
  }

  /** The answer to a configuration select: `size` bytes of the union. */
  config(select: number, subsel: number): Uint8Array {
    this.write(Reg.Config, select, 1);
    this.write(Reg.Config + 1, subsel, 1);
    const size = this.read(Reg.Config + 2, 1);
    return Uint8Array.from({ length: size }, (_, i) => this.read(Reg.Config + 8 + i, 1));
  }

  /** Queue `index` with `size` writable 8-byte buffers all made available; true when QueueReady reads back 1. */
  setupEventQueue(size: number, index = 0): boolean {
    this.prepare(size);
    const a = this.area;
    for (let i = 0; i < size; i++) this.writeDescriptor(i, BigInt(a.buffers + 8 * i), 8, VIRTQ_DESC_F_WRITE, 0);
    for (let i = 0; i < size; i++) this.offer(i);
    return this.setupQueue(index, size, a.desc, a.avail, a.used);
  }

  /** Zeroes the rings of a queue of `size` entries and starts the driver's indices over. */
  prepare(size: number): void {
    this.size = size;
    this.lastUsed = 0;
    this.availIdx = 0;
    this.memory.write(this.area.desc, new Uint8Array(16 * size));
    this.memory.write(this.area.avail, new Uint8Array(6 + 2 * size));
    this.memory.write(this.area.used, new Uint8Array(6 + 8 * size));
  }

  /** Writes a queue's registers and QueueReady = 1; true when it reads back 1. */
  setupQueue(index: number, size: number, desc: number | bigint, avail: number | bigint, used: number | bigint): boolean {
    this.write(Reg.QueueSel, index);
    this.write(Reg.QueueNum, size);
    const halves = (v: number | bigint) => [Number(BigInt(v) & 0xffffffffn), Number(BigInt(v) >> 32n)] as const;
    this.write(Reg.QueueDescLow, halves(desc)[0]);
    this.write(Reg.QueueDescHigh, halves(desc)[1]);
    this.write(Reg.QueueDriverLow, halves(avail)[0]);
    this.write(Reg.QueueDriverHigh, halves(avail)[1]);
    this.write(Reg.QueueDeviceLow, halves(used)[0]);
    this.write(Reg.QueueDeviceHigh, halves(used)[1]);
    this.write(Reg.QueueReady, 1);
    return this.read(Reg.QueueReady) === 1;
  }

  driverOk(): void {
    this.write(Reg.Status, this.read(Reg.Status) | Status.DriverOk);
  }

  notify(queue = 0): void {
    this.write(Reg.QueueNotify, queue);
  }

  /** Acknowledges whatever InterruptStatus holds; returns it. */
  acknowledge(): number {
    const status = this.read(Reg.InterruptStatus);
    if (status !== 0) this.write(Reg.InterruptAck, status);
    return status;
  }

  /** Events the device put in the used ring since the last call; their buffers go back to the device. */
  takeEvents(): InputEvent[] {
    const a = this.area;
    const view = this.view(a.used, 6 + 8 * this.size);
    const usedIdx = view.getUint16(2, true);
    const events: InputEvent[] = [];
    while (this.lastUsed !== usedIdx) {
      const slot = this.lastUsed % this.size;
      const id = view.getUint32(4 + 8 * slot, true);
      const len = view.getUint32(8 + 8 * slot, true);
      if (id >= this.size || len !== 8) throw new Error(`used entry ${this.lastUsed}: id ${id}, len ${len}`);
      const ev = this.view(a.buffers + 8 * id, 8);
      events.push({ type: ev.getUint16(0, true), code: ev.getUint16(2, true), value: ev.getInt32(4, true) });
      this.offer(id);
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
    }
    if (events.length > 0) this.notify(0);
    return events;
  }

  // Raw ring writes, for hostile tests.

  writeDescriptor(index: number, gpa: bigint, len: number, flags: number, next: number): void {
    const d = new DataView(new ArrayBuffer(16));
    d.setBigUint64(0, gpa, true);
    d.setUint32(8, len, true);
    d.setUint16(12, flags, true);
    d.setUint16(14, next, true);
    this.memory.write(this.area.desc + 16 * index, new Uint8Array(d.buffer));
  }

  /** Puts `head` in the avail ring and publishes the new index. */
  offer(head: number): void {
    const slot = new DataView(new ArrayBuffer(2));
    slot.setUint16(0, head, true);
    this.memory.write(this.area.avail + 4 + 2 * (this.availIdx % this.size), new Uint8Array(slot.buffer));
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.writeAvailHeader(0, this.availIdx);
  }

  writeAvailHeader(flags: number, idx: number): void {
    const h = new DataView(new ArrayBuffer(4));
    h.setUint16(0, flags, true);
    h.setUint16(2, idx, true);
    this.memory.write(this.area.avail, new Uint8Array(h.buffer));
  }

  private view(gpa: number, length: number): DataView {
    const bytes = new Uint8Array(length);
    this.memory.read(gpa, bytes);
    return new DataView(bytes.buffer);
  }
}
