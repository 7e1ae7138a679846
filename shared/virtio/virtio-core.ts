// What every virtio transport shares (virtio 1.2 §2, §3.1): the device status and its rules,
// feature negotiation (VIRTIO_F_VERSION_1 required), each queue's size, areas and readiness, the
// reset, notifications, queue faults (DEVICE_NEEDS_RESET, §2.1.2, as QEMU's virtio_error) and
// used-buffer and configuration interrupts. A transport (virtio-mmio's registers in
// mmio-transport.ts, virtio-pci's structures in pci-transport.ts) maps its registers onto this
// and says how an interrupt reaches the driver. Every value here is guest input: refused and
// counted by reason, never thrown.
import type { GuestMemory } from '../guest-memory/index.js';
import { VIRTIO_F_VERSION_1, VirtioStatus as Status } from '../../abi/generated/virtio.js';
import { SplitQueue, VIRTQUEUE_FAULTS, isQueueSize, type VirtqueueFault } from './split-queue.js';
import type { VirtioTransportState } from './transport-snapshot.js';

/** What a virtio device supplies to its transport. */
export interface VirtioDeviceModel {
  readonly deviceId: number;
  /** Device-specific feature bits (below bit 24); the transport adds VIRTIO_F_VERSION_1. */
  readonly features: bigint;
  /** QueueNumMax of each of the device's queues. */
  readonly queueMax: readonly number[];
  /** Size of the device configuration space. */
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
  /** An access of a size or alignment the register does not take. */
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
  /** A queue's registers written while it is ready (virtio-pci: also queue_enable = 0, §4.1.4.3.2). */
  | 'queue-changed-while-ready'
  /** QueueReady = 1 before FEATURES_OK. */
  | 'ready-before-features-ok'
  /** QueueNotify for a queue that is not ready, or before DRIVER_OK. */
  | 'notify-before-ready'
  /** A configuration write the device refused. */
  | 'config-write-refused'
  /** virtio-pci: a vector past the MSI-X table (reads back VIRTIO_MSI_NO_VECTOR). */
  | 'bad-vector';

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
  'bad-vector',
];

export type VirtioFault = TransportFault | VirtqueueFault;

/** A queue's driver-written state: size, the three areas' addresses (two 32-bit halves each), ready. */
export interface QueueRegs {
  num: number;
  desc: [number, number];
  driver: [number, number];
  device: [number, number];
  ready: SplitQueue | null;
}

export type QueueArea = 'desc' | 'driver' | 'device';

/** A queue as a snapshot keeps it: its registers and, when ready, the device's positions in its rings. */
export interface QueueSavedState {
  num: number;
  desc: [number, number];
  driver: [number, number];
  device: [number, number];
  ready: { lastAvail: number; usedIdx: number } | null;
}

/** What the shared core holds between two register accesses (transport-snapshot.ts writes it). */
export interface VirtioCoreState {
  status: number;
  /** The driver's accepted features, two 32-bit words. */
  driverFeatures: [number, number];
  queues: QueueSavedState[];
}

const isU32 = (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
const isU16 = (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffff;

/** Why the transport must interrupt: used buffers in queue `queue`, or a configuration change. */
export type VirtioCause = { kind: 'vring'; queue: number } | { kind: 'config' };

/** What every transport offers its device model and the actor around it. */
export interface VirtioTransport {
  readonly faults: Record<VirtioFault, number>;
  readonly counts: { reads: number; writes: number; resets: number; notifications: number };
  readonly deviceStatus: number;
  readonly needsReset: boolean;
  queue(index: number): SplitQueue | null;
  usedBuffers(index: number): void;
  queueFault(fault: VirtqueueFault): void;
  /** A system reset (vm.reset()): as if the driver wrote 0 to the status. */
  reset(): void;
  /** The driver's register window: virtio-mmio's registers, virtio-pci's BAR0. */
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
  /** Its state between two accesses (a snapshot: transport-snapshot.ts). */
  saveState(): VirtioTransportState;
  /** A snapshot's state into a transport at reset; StateFormatError (and the transport at reset) when refused. */
  loadState(state: VirtioTransportState, component?: string): void;
}

const VERSION_1 = 1n << BigInt(VIRTIO_F_VERSION_1);
const u64 = ([lo, hi]: [number, number]): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

export class VirtioCore {
  readonly faults: Record<VirtioFault, number> = Object.fromEntries([...TRANSPORT_FAULTS, ...VIRTQUEUE_FAULTS].map((f) => [f, 0])) as Record<
    VirtioFault,
    number
  >;
  /** Register reads and writes handled (counted by the transport), resets and notifications. */
  readonly counts = { reads: 0, writes: 0, resets: 0, notifications: 0 };
  readonly offered: bigint;
  private statusBits = 0;
  private driverFeatures = 0n;
  private readonly queues: QueueRegs[];

  constructor(
    private readonly memory: GuestMemory,
    readonly device: VirtioDeviceModel,
    /** How the transport tells the driver. */
    private readonly interrupt: (cause: VirtioCause) => void,
    /** The transport's own state to clear on a reset (selects, interrupt status); runs before the device's reset. */
    private readonly onReset: () => void,
    /** A queue's size after a reset: virtio-mmio's QueueNum reads 0, virtio-pci's queue_size the maximum (§4.1.4.3). */
    private readonly sizeAtReset: 'zero' | 'max',
  ) {
    this.offered = device.features | VERSION_1;
    this.queues = device.queueMax.map((max) => emptyQueueRegs(sizeAtReset === 'max' ? max : 0));
  }

  get status(): number {
    return this.statusBits;
  }

  get needsReset(): boolean {
    return (this.statusBits & Status.DeviceNeedsReset) !== 0;
  }

  get queueCount(): number {
    return this.queues.length;
  }

  /** Queue `index`'s registers; undefined for a queue the device does not have. */
  regs(index: number): QueueRegs | undefined {
    return this.queues[index];
  }

  /** The maximum size of queue `index`; 0 for a queue the device does not have. */
  queueMax(index: number): number {
    return this.device.queueMax[index] ?? 0;
  }

  /** A ready queue of a driver-ok, working device; null otherwise. */
  queue(index: number): SplitQueue | null {
    if ((this.statusBits & Status.DriverOk) === 0 || (this.statusBits & Status.DeviceNeedsReset) !== 0) return null;
    return this.queues[index]?.ready ?? null;
  }

  /** The device put buffers in queue `index`'s used ring: interrupt unless the driver asked not to. */
  usedBuffers(index: number): void {
    const q = this.queue(index);
    if (q && q.wantsInterrupt()) this.interrupt({ kind: 'vring', queue: index });
  }

  /** A fault in queue data: counted, the device needs a reset (§2.1.2), the driver is told. */
  queueFault(fault: VirtqueueFault): void {
    this.faults[fault]++;
    if (this.statusBits & Status.DeviceNeedsReset) return;
    this.statusBits |= Status.DeviceNeedsReset;
    if (this.statusBits & Status.DriverOk) this.interrupt({ kind: 'config' });
  }

  /** 32 bits of the offered features (word 0 or 1; 0 above). */
  deviceFeatureWord(select: number): number {
    return select > 1 ? 0 : Number((this.offered >> BigInt(32 * select)) & 0xffffffffn);
  }

  /** 32 bits of what the driver accepted so far. */
  driverFeatureWord(select: number): number {
    return select > 1 ? 0 : Number((this.driverFeatures >> BigInt(32 * select)) & 0xffffffffn);
  }

  writeDriverFeatures(select: number, value: number): void {
    if ((this.statusBits & Status.Driver) === 0 || (this.statusBits & Status.FeaturesOk) !== 0) return void this.fault('features-out-of-order', 0);
    if (select > 1) return; // no features up there: nothing to accept
    const shift = BigInt(32 * select);
    this.driverFeatures = (this.driverFeatures & ~(0xffffffffn << shift)) | (BigInt(value >>> 0) << shift);
  }

  /** Sets queue `index`'s size; a size that could never be ready is refused and the old one kept. */
  setQueueSize(index: number, value: number): void {
    const q = this.writableQueue(index);
    if (!q) return;
    if (!isQueueSize(value, this.queueMax(index))) this.faults['bad-size']++;
    else q.num = value;
  }

  /** One 32-bit half (0 low, 1 high) of a queue area's address. */
  setQueueArea(index: number, area: QueueArea, half: 0 | 1, value: number): void {
    const q = this.writableQueue(index);
    if (q) q[area][half] = value >>> 0;
  }

  /**
   * Makes queue `index` ready: the whole queue is checked (sizes, alignment, RAM) and refused —
   * it stays not ready, which the driver reads back — if anything is wrong. Not ready again: only
   * virtio-mmio's QueueReady = 0 (a virtio-pci driver may not, §4.1.4.3.2).
   */
  setQueueReady(index: number, ready: boolean): void {
    const q = this.queues[index];
    if (!q) return void this.fault('no-such-queue', 0);
    if (!ready) {
      q.ready = null;
      return;
    }
    if (q.ready) return;
    if ((this.statusBits & Status.FeaturesOk) === 0) return void this.fault('ready-before-features-ok', 0);
    const made = SplitQueue.create(this.memory, { size: q.num, desc: u64(q.desc), avail: u64(q.driver), used: u64(q.device) }, this.queueMax(index));
    if (typeof made === 'string') this.faults[made]++;
    else q.ready = made;
  }

  /** The driver notified queue `index`. */
  notify(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.queues.length) return void this.fault('no-such-queue', 0);
    if (!this.queue(index)) return void this.fault('notify-before-ready', 0);
    this.counts.notifications++;
    this.device.notify(index);
  }

  writeStatus(value: number): void {
    if (value === 0) return this.reset();
    value &= 0xff;
    // Only a reset clears bits (§2.1.2); DEVICE_NEEDS_RESET is the device's to set.
    const kept = this.statusBits & Status.DeviceNeedsReset;
    if ((this.statusBits & ~Status.DeviceNeedsReset & ~value) !== 0) return void this.fault('status-bits-cleared', 0);
    let next = value | kept;
    if (next & Status.FeaturesOk && !(this.statusBits & Status.FeaturesOk)) {
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
    const becameOk = (next & Status.DriverOk) !== 0 && (this.statusBits & Status.DriverOk) === 0;
    this.statusBits = next;
    // Buffers the driver made available before DRIVER_OK are the device's to use now.
    if (becameOk) for (let i = 0; i < this.queues.length; i++) if (this.queues[i]!.ready) this.device.notify(i);
  }

  /** Status 0 written, or a system reset: features, queues, the transport's state and the device's. */
  reset(): void {
    this.statusBits = 0;
    this.driverFeatures = 0n;
    for (let i = 0; i < this.queues.length; i++) this.queues[i] = emptyQueueRegs(this.sizeAtReset === 'max' ? this.queueMax(i) : 0);
    this.onReset();
    this.device.reset();
    this.counts.resets++;
  }

  saveState(): VirtioCoreState {
    return {
      status: this.statusBits,
      driverFeatures: [this.driverFeatureWord(0), this.driverFeatureWord(1)],
      queues: this.queues.map((q) => ({
        num: q.num,
        desc: [...q.desc],
        driver: [...q.driver],
        device: [...q.device],
        ready: q.ready ? q.ready.positions : null,
      })),
    };
  }

  /**
   * Takes a snapshot's state (hostile: a file's) into a core that is at reset. Everything is
   * checked first against what register writes could have made — status bits in an order
   * writeStatus allows, features the device offers once FEATURES_OK, sizes a queue takes, a
   * ready queue's areas in RAM (SplitQueue.create) and its positions no further apart than its
   * size — and nothing changes when the answer is a reason (returned) instead of null.
   */
  loadState(s: VirtioCoreState): string | null {
    if (this.statusBits !== 0 || this.driverFeatures !== 0n) return 'the device is not at reset';
    if (!isU32(s.status) || s.status > 0xff) return `status 0x${s.status.toString(16)}`;
    if (!s.driverFeatures.every(isU32)) return 'driver features not two 32-bit words';
    const features = (BigInt(s.driverFeatures[1]) << 32n) | BigInt(s.driverFeatures[0]);
    const featuresOk = (s.status & Status.FeaturesOk) !== 0;
    if (featuresOk && ((features & ~this.offered) !== 0n || (features & VERSION_1) === 0n)) return 'FEATURES_OK with features the device does not offer';
    if (s.status & Status.DriverOk && !featuresOk) return 'DRIVER_OK without FEATURES_OK';
    if (s.queues.length !== this.queues.length) return `${s.queues.length} queues, the device has ${this.queues.length}`;
    const made: (SplitQueue | null)[] = [];
    for (const [i, q] of s.queues.entries()) {
      const max = this.queueMax(i);
      const atReset = this.sizeAtReset === 'max' ? max : 0;
      if (![...q.desc, ...q.driver, ...q.device].every(isU32)) return `queue ${i}: an area address that is not two 32-bit words`;
      if (q.num !== atReset && !isQueueSize(q.num, max)) return `queue ${i}: size ${q.num}`;
      if (!q.ready) {
        made.push(null);
        continue;
      }
      if (!featuresOk) return `queue ${i}: ready before FEATURES_OK`;
      const queue = SplitQueue.create(this.memory, { size: q.num, desc: u64(q.desc), avail: u64(q.driver), used: u64(q.device) }, max);
      if (typeof queue === 'string') return `queue ${i}: ${queue}`;
      const { lastAvail, usedIdx } = q.ready;
      if (!isU16(lastAvail) || !isU16(usedIdx) || ((lastAvail - usedIdx) & 0xffff) > q.num)
        return `queue ${i}: ring positions ${lastAvail} (available) and ${usedIdx} (used) of a ${q.num}-entry queue`;
      queue.restorePositions(lastAvail, usedIdx);
      made.push(queue);
    }
    this.statusBits = s.status;
    this.driverFeatures = features;
    s.queues.forEach((q, i) => (this.queues[i] = { num: q.num, desc: [...q.desc], driver: [...q.driver], device: [...q.device], ready: made[i]! }));
    return null;
  }

  fault<T>(fault: TransportFault, result: T): T {
    this.faults[fault]++;
    return result;
  }

  /** A queue whose registers may change now (it exists and is not ready); counted otherwise. */
  private writableQueue(index: number): QueueRegs | null {
    const q = this.queues[index];
    if (!q) return this.fault('no-such-queue', null);
    if (q.ready) return this.fault('queue-changed-while-ready', null);
    return q;
  }
}

function emptyQueueRegs(num: number): QueueRegs {
  return { num, desc: [0, 0], driver: [0, 0], device: [0, 0], ready: null };
}
