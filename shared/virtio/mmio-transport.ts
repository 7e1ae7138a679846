// The virtio-mmio transport, version 2 (virtio 1.2 §4.2.2), for any virtio device model: the
// register file, feature negotiation (VIRTIO_F_VERSION_1 required), device status and reset,
// queue setup, notifications and the interrupt status. Written once; a device (virtio-input
// today) supplies its id, features, queue sizes, configuration space and what a notification
// does. Every register access is guest input: a wrong size, an unknown register, a write the
// current status does not allow, a queue the driver described badly — refused and counted by
// reason, never thrown; the VM runs on. A fault in a queue sets DEVICE_NEEDS_RESET and raises a
// configuration interrupt (§2.1.2), as QEMU's virtio_error does; the driver resets the device.
// The interrupt is level-triggered: asserted while InterruptStatus is not 0 (§4.2.3.4).
// Modelled on QEMU's hw/virtio/virtio-mmio.c (virtio_mmio_read/write, non-legacy paths) and
// Linux's include/uapi/linux/virtio_mmio.h for the register names.
import type { GuestMemory } from '../guest-memory/index.js';
import {
  VIRTIO_F_VERSION_1,
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_VERSION,
  VIRTIO_VENDOR_ID,
  VirtioMmioReg as Reg,
  VirtioStatus as Status,
} from '../../abi/generated/virtio.js';
import { SplitQueue, VIRTQUEUE_FAULTS, isQueueSize, type VirtqueueFault } from './split-queue.js';

/** What a virtio device supplies to its transport. */
export interface VirtioDeviceModel {
  readonly deviceId: number;
  /** Device-specific feature bits (below bit 24); the transport adds VIRTIO_F_VERSION_1. */
  readonly features: bigint;
  /** QueueNumMax of each of the device's queues. */
  readonly queueMax: readonly number[];
  /** Size of the device configuration space at Config. */
  readonly configBytes: number;
  configRead(offset: number, size: number): number;
  /** Returns false when the device refuses the write (counted by the transport). */
  configWrite(offset: number, size: number, value: number): boolean;
  /** The driver notified queue `index` (ready, with DRIVER_OK set). */
  notify(index: number): void;
  /** The device was reset (status 0 written): drop everything in flight. */
  reset(): void;
}

/** Refusals at the register level, next to the virtqueue faults. */
export type TransportFault =
  /** Not a 4-byte aligned access to a register, or a configuration access of a size other than 1, 2 or 4. */
  | 'bad-access-size'
  | 'unknown-register'
  | 'write-to-read-only'
  /** DriverFeatures written before DRIVER or after FEATURES_OK. */
  | 'features-out-of-order'
  /** FEATURES_OK with features the device does not offer, or without VIRTIO_F_VERSION_1. */
  | 'features-refused'
  /** A status write that clears bits (only writing 0, a reset, may). */
  | 'status-bits-cleared'
  /** DRIVER_OK before FEATURES_OK. */
  | 'driver-ok-early'
  /** A queue register written for a queue the device does not have. */
  | 'no-such-queue'
  /** A queue's registers written while it is ready. */
  | 'queue-changed-while-ready'
  /** QueueReady = 1 before FEATURES_OK. */
  | 'ready-before-features-ok'
  /** QueueNotify for a queue that is not ready, or before DRIVER_OK. */
  | 'notify-before-ready'
  /** A configuration write the device refused. */
  | 'config-write-refused';

export const TRANSPORT_FAULTS: readonly TransportFault[] = [
  'bad-access-size',
  'unknown-register',
  'write-to-read-only',
  'features-out-of-order',
  'features-refused',
  'status-bits-cleared',
  'driver-ok-early',
  'no-such-queue',
  'queue-changed-while-ready',
  'ready-before-features-ok',
  'notify-before-ready',
  'config-write-refused',
];

export type VirtioFault = TransportFault | VirtqueueFault;

interface QueueRegs {
  num: number;
  desc: [number, number];
  driver: [number, number];
  device: [number, number];
  ready: SplitQueue | null;
}

const VERSION_1 = 1n << BigInt(VIRTIO_F_VERSION_1);
const u64 = ([lo, hi]: [number, number]): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

export class VirtioMmioTransport {
  readonly faults: Record<VirtioFault, number> = Object.fromEntries([...TRANSPORT_FAULTS, ...VIRTQUEUE_FAULTS].map((f) => [f, 0])) as Record<
    VirtioFault,
    number
  >;
  /** Register reads and writes handled, and resets (status 0 written). */
  readonly counts = { reads: 0, writes: 0, resets: 0, notifications: 0 };
  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = 0n;
  private queueSel = 0;
  private interruptStatus = 0;
  private readonly queues: QueueRegs[];
  private readonly offered: bigint;

  constructor(
    private readonly memory: GuestMemory,
    private readonly device: VirtioDeviceModel,
    /** The interrupt line's level: called when InterruptStatus turns non-zero or back to zero. */
    private readonly setLevel: (high: boolean) => void,
  ) {
    this.offered = device.features | VERSION_1;
    this.queues = device.queueMax.map(() => emptyQueueRegs());
  }

  /** A ready queue of a driver-ok, working device; null otherwise. */
  queue(index: number): SplitQueue | null {
    if ((this.status & Status.DriverOk) === 0 || (this.status & Status.DeviceNeedsReset) !== 0) return null;
    return this.queues[index]?.ready ?? null;
  }

  /** The device put buffers in queue `index`'s used ring: interrupt unless the driver asked not to. */
  usedBuffers(index: number): void {
    const q = this.queue(index);
    if (q && q.wantsInterrupt()) this.raise(VIRTIO_MMIO_INT_VRING);
  }

  /** A fault in queue data: counted, the device needs a reset (§2.1.2), the driver is told. */
  queueFault(fault: VirtqueueFault): void {
    this.faults[fault]++;
    if (this.status & Status.DeviceNeedsReset) return;
    this.status |= Status.DeviceNeedsReset;
    if (this.status & Status.DriverOk) this.raise(VIRTIO_MMIO_INT_CONFIG);
  }

  get deviceStatus(): number {
    return this.status;
  }

  get needsReset(): boolean {
    return (this.status & Status.DeviceNeedsReset) !== 0;
  }

  read(offset: number, size: number): number {
    this.counts.reads++;
    if (offset >= Reg.Config) {
      if (!this.configAccess(offset, size)) return 0;
      return this.device.configRead(offset - Reg.Config, size) >>> 0;
    }
    if (size !== 4 || offset % 4 !== 0) return this.fault('bad-access-size', 0);
    const q = this.queues[this.queueSel];
    switch (offset) {
      case Reg.MagicValue:
        return VIRTIO_MMIO_MAGIC;
      case Reg.Version:
        return VIRTIO_MMIO_VERSION;
      case Reg.DeviceId:
        return this.device.deviceId;
      case Reg.VendorId:
        return VIRTIO_VENDOR_ID;
      case Reg.DeviceFeatures:
        return this.deviceFeaturesSel > 1 ? 0 : Number((this.offered >> BigInt(32 * this.deviceFeaturesSel)) & 0xffffffffn);
      case Reg.QueueNumMax:
        // 0: no such queue (§4.2.2.1).
        return q ? this.device.queueMax[this.queueSel]! : 0;
      case Reg.QueueReady:
        return q?.ready ? 1 : 0;
      case Reg.InterruptStatus:
        return this.interruptStatus;
      case Reg.Status:
        return this.status;
      case Reg.ConfigGeneration:
        // The configuration changes only when the driver selects something (virtio 1.2 §2.5: no generation to bump).
        return 0;
      case Reg.QueueNum:
      case Reg.QueueDescLow:
      case Reg.QueueDescHigh:
      case Reg.QueueDriverLow:
      case Reg.QueueDriverHigh:
      case Reg.QueueDeviceLow:
      case Reg.QueueDeviceHigh:
        return q ? this.queueRegister(q, offset) : 0;
      default:
        // No register, or a write-only one (the selects, DriverFeatures, QueueNotify,
        // InterruptAck): 0, as QEMU's virtio_mmio_read logs and answers.
        return this.fault('unknown-register', 0);
    }
  }

  write(offset: number, size: number, value: number): void {
    this.counts.writes++;
    value >>>= 0;
    if (offset >= Reg.Config) {
      if (this.configAccess(offset, size) && !this.device.configWrite(offset - Reg.Config, size, value)) this.faults['config-write-refused']++;
      return;
    }
    if (size !== 4 || offset % 4 !== 0) return void this.fault('bad-access-size', 0);
    switch (offset) {
      case Reg.DeviceFeaturesSel:
        this.deviceFeaturesSel = value;
        return;
      case Reg.DriverFeaturesSel:
        this.driverFeaturesSel = value;
        return;
      case Reg.DriverFeatures:
        return this.writeDriverFeatures(value);
      case Reg.QueueSel:
        this.queueSel = value;
        return;
      case Reg.QueueNum:
      case Reg.QueueReady:
      case Reg.QueueDescLow:
      case Reg.QueueDescHigh:
      case Reg.QueueDriverLow:
      case Reg.QueueDriverHigh:
      case Reg.QueueDeviceLow:
      case Reg.QueueDeviceHigh:
        return this.writeQueue(offset, value);
      case Reg.QueueNotify:
        return this.notify(value);
      case Reg.InterruptAck:
        return this.acknowledge(value);
      case Reg.Status:
        return this.writeStatus(value);
      case Reg.MagicValue:
      case Reg.Version:
      case Reg.DeviceId:
      case Reg.VendorId:
      case Reg.DeviceFeatures:
      case Reg.QueueNumMax:
      case Reg.InterruptStatus:
      case Reg.ConfigGeneration:
        return void this.fault('write-to-read-only', 0);
      default:
        return void this.fault('unknown-register', 0);
    }
  }

  /** A system reset (vm.reset()): as if the driver wrote 0 to Status. */
  reset(): void {
    this.status = 0;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.driverFeatures = 0n;
    this.queueSel = 0;
    for (let i = 0; i < this.queues.length; i++) this.queues[i] = emptyQueueRegs();
    this.device.reset();
    this.counts.resets++;
    if (this.interruptStatus !== 0) {
      this.interruptStatus = 0;
      this.setLevel(false);
    }
  }

  private configAccess(offset: number, size: number): boolean {
    if (size !== 1 && size !== 2 && size !== 4) return this.fault('bad-access-size', false);
    if (offset - Reg.Config + size > this.device.configBytes) return this.fault('unknown-register', false);
    return true;
  }

  private queueRegister(q: QueueRegs, offset: number): number {
    switch (offset) {
      case Reg.QueueNum:
        return q.num;
      case Reg.QueueDescLow:
        return q.desc[0];
      case Reg.QueueDescHigh:
        return q.desc[1];
      case Reg.QueueDriverLow:
        return q.driver[0];
      case Reg.QueueDriverHigh:
        return q.driver[1];
      case Reg.QueueDeviceLow:
        return q.device[0];
      default:
        return q.device[1];
    }
  }

  private writeDriverFeatures(value: number): void {
    if ((this.status & Status.Driver) === 0 || (this.status & Status.FeaturesOk) !== 0) return void this.fault('features-out-of-order', 0);
    if (this.driverFeaturesSel > 1) return; // no features up there: nothing to accept
    const shift = BigInt(32 * this.driverFeaturesSel);
    this.driverFeatures = (this.driverFeatures & ~(0xffffffffn << shift)) | (BigInt(value) << shift);
  }

  private writeQueue(offset: number, value: number): void {
    const index = this.queueSel;
    const q = this.queues[index];
    if (!q) return void this.fault('no-such-queue', 0);
    if (offset === Reg.QueueReady) {
      if (value === 0) {
        q.ready = null;
        return;
      }
      if (q.ready) return;
      if ((this.status & Status.FeaturesOk) === 0) return void this.fault('ready-before-features-ok', 0);
      const made = SplitQueue.create(this.memory, { size: q.num, desc: u64(q.desc), avail: u64(q.driver), used: u64(q.device) }, this.device.queueMax[index]!);
      // Refused: QueueReady stays 0, which the driver reads back (§4.2.3.2).
      if (typeof made === 'string') this.faults[made]++;
      else q.ready = made;
      return;
    }
    if (q.ready) return void this.fault('queue-changed-while-ready', 0);
    switch (offset) {
      case Reg.QueueNum:
        // A size that could never be ready is refused at once; the register keeps the old one.
        if (!isQueueSize(value, this.device.queueMax[index]!)) this.faults['bad-size']++;
        else q.num = value;
        return;
      case Reg.QueueDescLow:
        q.desc[0] = value;
        return;
      case Reg.QueueDescHigh:
        q.desc[1] = value;
        return;
      case Reg.QueueDriverLow:
        q.driver[0] = value;
        return;
      case Reg.QueueDriverHigh:
        q.driver[1] = value;
        return;
      case Reg.QueueDeviceLow:
        q.device[0] = value;
        return;
      default:
        q.device[1] = value;
    }
  }

  private notify(index: number): void {
    if (index >= this.queues.length) return void this.fault('no-such-queue', 0);
    if (!this.queue(index)) return void this.fault('notify-before-ready', 0);
    this.counts.notifications++;
    this.device.notify(index);
  }

  private acknowledge(bits: number): void {
    const before = this.interruptStatus;
    this.interruptStatus &= ~bits;
    if (before !== 0 && this.interruptStatus === 0) this.setLevel(false);
  }

  private writeStatus(value: number): void {
    if (value === 0) return this.reset();
    value &= 0xff;
    // Only a reset clears bits (§2.1.2); DEVICE_NEEDS_RESET is the device's to set.
    const kept = this.status & Status.DeviceNeedsReset;
    if ((this.status & ~Status.DeviceNeedsReset & ~value) !== 0) return void this.fault('status-bits-cleared', 0);
    let next = value | kept;
    if (next & Status.FeaturesOk && !(this.status & Status.FeaturesOk)) {
      const unknown = this.driverFeatures & ~this.offered;
      if (unknown !== 0n || (this.driverFeatures & VERSION_1) === 0n) {
        // FEATURES_OK stays clear: the driver reads it back and gives up (§3.1.1 step 6).
        this.faults['features-refused']++;
        next &= ~Status.FeaturesOk;
      }
    }
    if (next & Status.DriverOk && !(next & Status.FeaturesOk)) {
      this.faults['driver-ok-early']++;
      next &= ~Status.DriverOk;
    }
    const becameOk = (next & Status.DriverOk) !== 0 && (this.status & Status.DriverOk) === 0;
    this.status = next;
    // Buffers the driver made available before DRIVER_OK are the device's to use now.
    if (becameOk) for (let i = 0; i < this.queues.length; i++) if (this.queues[i]!.ready) this.device.notify(i);
  }

  private raise(bit: number): void {
    const before = this.interruptStatus;
    this.interruptStatus |= bit;
    if (before === 0) this.setLevel(true);
  }

  private fault<T>(fault: TransportFault, result: T): T {
    this.faults[fault]++;
    return result;
  }
}

function emptyQueueRegs(): QueueRegs {
  return { num: 0, desc: [0, 0], driver: [0, 0], device: [0, 0], ready: null };
}
