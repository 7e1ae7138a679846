// The built-in guest's virtio-mmio transport (version 2), as Linux's drivers/virtio/virtio_mmio.c
// drives it: identification registers checked, 32-bit registers, the queue registers under
// QueueSel, QueueReady read back, InterruptStatus acknowledged through InterruptAck (the level
// drops when it reaches 0; vm_interrupt does the same).
import { VIRTIO_MMIO_MAGIC, VIRTIO_MMIO_VERSION, VirtioMmioReg as Reg } from '../../abi/generated/virtio.js';
import { DriverError } from './driver.js';
import type { GuestQueueLayout, GuestVirtioTransport, VirtioPort } from './virtio-transport.js';

export class GuestVirtioMmio implements GuestVirtioTransport {
  readonly vectors: readonly number[];

  /**
   * Checks the window holds a virtio-mmio version 2 device of type `deviceId`; throws DriverError
   * otherwise. `probe` false: a restored guest, which probed before it was saved (no access).
   */
  constructor(
    private readonly port: VirtioPort,
    private readonly base: number,
    deviceId: number,
    /** The vector its level line is routed to. */
    vector: number,
    probe = true,
  ) {
    this.vectors = [vector];
    if (!probe) return;
    if (this.reg(Reg.MagicValue) !== VIRTIO_MMIO_MAGIC || this.reg(Reg.Version) !== VIRTIO_MMIO_VERSION) {
      throw new DriverError(`no virtio-mmio version 2 device at 0x${base.toString(16)}`);
    }
    if (this.reg(Reg.DeviceId) !== deviceId) throw new DriverError(`the virtio device at 0x${base.toString(16)} is not of type ${deviceId}`);
  }

  /** Nothing found by probing that the configuration does not say. */
  saveState(): number[] {
    return [];
  }

  status(): number {
    return this.reg(Reg.Status);
  }

  setStatus(value: number): void {
    this.setReg(Reg.Status, value);
  }

  deviceFeatures(word: number): number {
    this.setReg(Reg.DeviceFeaturesSel, word);
    return this.reg(Reg.DeviceFeatures);
  }

  setDriverFeatures(word: number, value: number): void {
    this.setReg(Reg.DriverFeaturesSel, word);
    this.setReg(Reg.DriverFeatures, value);
  }

  configRead8(offset: number): number {
    return this.port.read(this.base + Reg.Config + offset, 1) & 0xff;
  }

  configWrite8(offset: number, value: number): void {
    this.port.write(this.base + Reg.Config + offset, 1, value);
  }

  queueMax(index: number): number {
    this.setReg(Reg.QueueSel, index);
    return this.reg(Reg.QueueNumMax);
  }

  setUpQueue(index: number, q: GuestQueueLayout): void {
    this.setReg(Reg.QueueSel, index);
    this.setReg(Reg.QueueNum, q.size);
    this.setReg(Reg.QueueDescLow, q.desc);
    this.setReg(Reg.QueueDescHigh, 0);
    this.setReg(Reg.QueueDriverLow, q.avail);
    this.setReg(Reg.QueueDriverHigh, 0);
    this.setReg(Reg.QueueDeviceLow, q.used);
    this.setReg(Reg.QueueDeviceHigh, 0);
    this.setReg(Reg.QueueReady, 1);
    if (this.reg(Reg.QueueReady) !== 1) throw new DriverError(`the device refused queue ${index}`);
  }

  notify(index: number): void {
    this.setReg(Reg.QueueNotify, index);
  }

  acknowledge(): number {
    const status = this.reg(Reg.InterruptStatus);
    if (status !== 0) this.setReg(Reg.InterruptAck, status);
    return status;
  }

  private reg(offset: number): number {
    return this.port.read(this.base + offset, 4) >>> 0;
  }

  private setReg(offset: number, value: number): void {
    this.port.write(this.base + offset, 4, value >>> 0);
  }
}
