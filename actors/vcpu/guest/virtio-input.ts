// The built-in guest's virtio-input driver (virtio-mmio version 2, split queues), as a kernel's
// virtio_mmio.c + virtio_input.c would drive the device: check the magic, version and device id,
// reset, ACKNOWLEDGE, DRIVER, accept VERSION_1 only, FEATURES_OK (read back), then the event
// queue — descriptor table, available and used rings and the 8-byte event buffers in one page of
// guest RAM from the page allocator — every buffer made available (before DRIVER_OK, which the
// device takes then; Linux offers them just after it), QueueReady, DRIVER_OK. Events
// are taken off the used ring and their buffers given back at once (Linux's virtinput_recv_events
// does the same), with one notify per batch. Interrupts: read InterruptStatus, write it to
// InterruptAck (the level drops), then the caller EOIs (docs/virtio.md "The paths").
// Modelled on Linux drivers/virtio/virtio_mmio.c (vm_find_vqs, vm_interrupt) and
// drivers/virtio/virtio_input.c (virtinput_probe, virtinput_fill_evt, virtinput_recv_events).
import {
  VIRTIO_F_VERSION_1,
  VIRTIO_ID_INPUT,
  VIRTIO_INPUT_EVENT_BYTES,
  VIRTIO_INPUT_QUEUE_SIZE,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_VERSION,
  VIRTQ_DESC_F_WRITE,
  VirtioInputCfg,
  VirtioMmioReg as Reg,
  VirtioStatus as Status,
} from '../../../abi/generated/virtio.js';
import type { GuestMemory } from '../../../shared/guest-memory/index.js';
import { DriverError } from './driver.js';
import type { PageAllocator } from './page-allocator.js';

/** One raw event as the device wrote it (struct virtio_input_event). */
export interface RawInputEvent {
  type: number;
  code: number;
  value: number;
}

/** MMIO of any size, as the vCPU's bus gives it (configuration bytes are read one at a time). */
export interface VirtioPort {
  read(address: number, size: number): number;
  write(address: number, size: number, value: number): void;
}

const QUEUE = VIRTIO_INPUT_QUEUE_SIZE;
// Offsets in the queue's page: table (16 * 64), available ring (6 + 2 * 64), used ring (6 + 8 * 64), buffers.
const DESC = 0;
const AVAIL = 1024;
const USED = 1280;
const BUFFERS = 2048;
const PAGE = 4096;

export class VirtioInputGuestDriver {
  /** The device's name (config ID_NAME), e.g. "PVG Virtio Tablet". */
  readonly name: string;
  private readonly u16: Uint16Array;
  private readonly view: DataView;
  private lastUsed = 0;
  private availIdx = 0;
  eventsTaken = 0;

  /** Probes and sets the device up; throws DriverError when it is not a virtio-input device that takes this driver. */
  constructor(
    private readonly port: VirtioPort,
    private readonly base: number,
    memory: GuestMemory,
    pages: PageAllocator,
  ) {
    if (this.reg(Reg.MagicValue) !== VIRTIO_MMIO_MAGIC || this.reg(Reg.Version) !== VIRTIO_MMIO_VERSION) {
      throw new DriverError(`no virtio-mmio version 2 device at 0x${base.toString(16)}`);
    }
    if (this.reg(Reg.DeviceId) !== VIRTIO_ID_INPUT) throw new DriverError(`the virtio device at 0x${base.toString(16)} is not an input device`);
    this.setReg(Reg.Status, 0);
    this.setReg(Reg.Status, Status.Acknowledge);
    this.setReg(Reg.Status, Status.Acknowledge | Status.Driver);
    this.setReg(Reg.DeviceFeaturesSel, 1);
    if ((this.reg(Reg.DeviceFeatures) & (1 << (VIRTIO_F_VERSION_1 - 32))) === 0) throw new DriverError('the device does not offer VIRTIO_F_VERSION_1');
    this.setReg(Reg.DriverFeaturesSel, 1);
    this.setReg(Reg.DriverFeatures, 1 << (VIRTIO_F_VERSION_1 - 32));
    this.setReg(Reg.DriverFeaturesSel, 0);
    this.setReg(Reg.DriverFeatures, 0);
    this.setReg(Reg.Status, Status.Acknowledge | Status.Driver | Status.FeaturesOk);
    if ((this.reg(Reg.Status) & Status.FeaturesOk) === 0) throw new DriverError('the device refused FEATURES_OK');
    this.name = this.configString(VirtioInputCfg.IdName);

    // The event queue, in one zeroed page: every descriptor a writable 8-byte buffer, all offered.
    const gpa = pages.allocate(PAGE);
    const bytes = memory.view(gpa, PAGE, 'write');
    bytes.fill(0);
    this.u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, PAGE / 2);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, PAGE);
    for (let i = 0; i < QUEUE; i++) {
      this.view.setBigUint64(DESC + 16 * i, BigInt(gpa + BUFFERS + VIRTIO_INPUT_EVENT_BYTES * i), true);
      this.view.setUint32(DESC + 16 * i + 8, VIRTIO_INPUT_EVENT_BYTES, true);
      this.view.setUint16(DESC + 16 * i + 12, VIRTQ_DESC_F_WRITE, true);
      this.offer(i);
    }
    this.setReg(Reg.QueueSel, 0);
    if (this.reg(Reg.QueueNumMax) < QUEUE) throw new DriverError('the event queue is smaller than 64 entries');
    this.setReg(Reg.QueueNum, QUEUE);
    this.setReg(Reg.QueueDescLow, gpa + DESC);
    this.setReg(Reg.QueueDescHigh, 0);
    this.setReg(Reg.QueueDriverLow, gpa + AVAIL);
    this.setReg(Reg.QueueDriverHigh, 0);
    this.setReg(Reg.QueueDeviceLow, gpa + USED);
    this.setReg(Reg.QueueDeviceHigh, 0);
    this.setReg(Reg.QueueReady, 1);
    if (this.reg(Reg.QueueReady) !== 1) throw new DriverError('the device refused the event queue');
    // The status queue (LEDs) is left unset: this guest has no LEDs to report.
    this.setReg(Reg.Status, Status.Acknowledge | Status.Driver | Status.FeaturesOk | Status.DriverOk);
  }

  /** Acknowledges what InterruptStatus holds (the level drops when it reaches 0); returns it. */
  acknowledge(): number {
    const status = this.reg(Reg.InterruptStatus);
    if (status !== 0) this.setReg(Reg.InterruptAck, status);
    return status;
  }

  /** Whether the device has used buffers the driver has not taken (no MMIO: reads the used index). */
  pending(): boolean {
    return Atomics.load(this.u16, (USED + 2) / 2) !== this.lastUsed;
  }

  /** Events written since the last call, in order; their buffers go back to the device (one notify). */
  take(into: RawInputEvent[]): void {
    const usedIdx = Atomics.load(this.u16, (USED + 2) / 2);
    if (usedIdx === this.lastUsed) return;
    while (this.lastUsed !== usedIdx) {
      const slot = USED + 4 + 8 * (this.lastUsed % QUEUE);
      const id = this.view.getUint32(slot, true);
      const len = this.view.getUint32(slot + 4, true);
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
      // A device's used entry is input to the guest too: an id outside the table is skipped.
      if (id >= QUEUE) continue;
      if (len === VIRTIO_INPUT_EVENT_BYTES) {
        const at = BUFFERS + VIRTIO_INPUT_EVENT_BYTES * id;
        into.push({ type: this.view.getUint16(at, true), code: this.view.getUint16(at + 2, true), value: this.view.getInt32(at + 4, true) });
        this.eventsTaken++;
      }
      this.offer(id);
    }
    this.setReg(Reg.QueueNotify, 0);
  }

  /** Puts buffer `id` in the available ring and publishes the index (entry first, §2.7.13). */
  private offer(id: number): void {
    this.view.setUint16(AVAIL + 4 + 2 * (this.availIdx % QUEUE), id, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    Atomics.store(this.u16, (AVAIL + 2) / 2, this.availIdx);
  }

  private configString(select: number): string {
    this.port.write(this.base + Reg.Config, 1, select);
    this.port.write(this.base + Reg.Config + 1, 1, 0);
    const size = Math.min(this.port.read(this.base + Reg.Config + 2, 1) & 0xff, 128);
    let s = '';
    for (let i = 0; i < size; i++) s += String.fromCharCode(this.port.read(this.base + Reg.Config + 8 + i, 1) & 0xff);
    return s;
  }

  private reg(offset: number): number {
    return this.port.read(this.base + offset, 4) >>> 0;
  }

  private setReg(offset: number, value: number): void {
    this.port.write(this.base + offset, 4, value >>> 0);
  }
}
