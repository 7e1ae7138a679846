// A vCPU's view of MMIO: the bus decodes an address to a device window and the access becomes a
// record in that device's mailbox. Reads wait on the vCPU's reply slot (after its posted writes
// have completed, so a read observes every earlier write); writes are posted within a window of
// outstanding writes (0 makes them synchronous). Unassigned reads return all ones, counted.
// Each device read's round trip (post to reply) goes into a small fixed-bucket histogram, so a
// reader of two stats snapshots can tell the latency over the time between them.
import { DeviceMmioRead, DeviceMmioWrite } from '../../abi/generated/device-records.js';
import { InMmioRead, InMmioWrite } from '../device/engine-records.js';
import { DeviceWindow } from '../device/messages.js';
import type { MmioPort } from '../../guest/ts/driver.js';
import { monotonicMicros } from '../../shared/trace/clock.js';
import { TRACE_EVENTS } from '../../shared/trace/events.js';
import { FLOW_INSET_US, mmioFlowId } from '../../shared/trace/flow-ids.js';
import { TracePhase } from '../../shared/trace/layout.js';
import type { TraceRingWriter } from '../../shared/trace/ring.js';
import type { BqlMmio } from './bql-mmio.js';
import { MmioBus } from './mmio-bus.js';
import { READ_LATENCY_BUCKETS, latencyBucket, type ReadLatencyStats } from './read-latency.js';
import {
  ECAM_FUNCTION_BYTES,
  GFX_WINDOW_BYTES,
  IOSFC_WINDOW_BYTES,
  VIRTIO_MMIO_WINDOW_BYTES,
  ecamBase,
  mmioGfxBase,
  mmioIosfcBase,
  virtioMmioBase,
  virtioPciEcamBase,
} from '../../machine/memory-map.js';
import { PCI_CONFIG_WINDOW } from '../input/messages.js';
import { VIRTIO_PCI_BAR_BYTES } from '../../abi/generated/virtio.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { BarTable } from '../../shared/mmio/bar-table.js';
import { PostedWrites } from '../../shared/mmio/completion.js';
import type { ReplyTable } from '../../shared/reply/reply-table.js';
import type { GiveUpCheck } from '../../shared/wait-abandoned.js';

/** What a bus entry is: an apple-gfx device's windows, or one virtio device's transport (docs/virtio.md). */
export type BusVariant = 'apple-gfx-mmio' | 'apple-gfx-pci' | 'virtio-mmio' | 'virtio-pci';

export interface BusDevice {
  /** apple-gfx: the device's index; virtio-mmio: the virtio device's index (its window's slot and the record's window). */
  index: number;
  variant: BusVariant;
  mailbox: Mailbox;
  /**
   * apple-gfx under the actor threading model: the engine's inbound mailbox, which the gfx and
   * IOSurface windows' accesses go straight into (as QEMU's vCPU thread dispatches straight to
   * PVG); the device actor then sees only config space. Null: every access goes to `mailbox`.
   */
  engine: Mailbox | null;
  /** A PCI function whose BAR0 another table than the vCPU's publishes (virtio-pci: the input actor's); slot = index. */
  bars?: BarTable | null;
}

/** A bus entry as the VM's assembly describes it (SharedArrayBuffers, for a worker's config). */
export interface BusDeviceConfig {
  index: number;
  variant: BusVariant;
  mailbox: SharedArrayBuffer;
  /** See BusDevice.engine. */
  engine?: SharedArrayBuffer;
  /** See BusDevice.bars. */
  bars?: SharedArrayBuffer;
}

/** The bus entries over their mailboxes, as a vCPU thread attaches them. */
export function attachBusDevices(configs: readonly BusDeviceConfig[]): BusDevice[] {
  return configs.map((d) => ({
    index: d.index,
    variant: d.variant,
    mailbox: new Mailbox(d.mailbox, d.variant.startsWith('virtio') ? 'input' : `device${d.index}`),
    engine: d.engine ? new Mailbox(d.engine, `device${d.index}-engine`) : null,
    bars: d.bars ? new BarTable(d.bars) : null,
  }));
}

interface Target {
  device: BusDevice;
  /** A DeviceWindow, or for virtio the virtio device's index in its actor (with PCI_CONFIG_WINDOW for its config space). */
  window: DeviceWindow | number;
  /** The engine's inbound mailbox when this window's accesses skip the device actor (BusDevice.engine). */
  engine: Mailbox | null;
}

export interface BusStats {
  reads: number;
  writes: number;
  unassignedReads: number;
  unassignedWrites: number;
  badAccesses: number;
  /** Device reads' round trips, cumulative: diff two snapshots for an interval. */
  readLatency: ReadLatencyStats;
}

export class VcpuBusPort implements MmioPort {
  private readonly bus = new MmioBus<Target>();
  /**
   * This vCPU's posted-write counter (the qemu model's BqlMmio waits on it too).
   * @internal
   */
  readonly writes: PostedWrites;
  private readonly bars: BarTable;
  /** PCI functions whose BAR0 window follows a BAR table: the window's name, the table and the function's slot in it. */
  private readonly pciDevices: { window: string; table: BarTable; slot: number; seen: number }[] = [];
  reads = 0;
  writesIssued = 0;
  /** Where MMIO reads are traced (spans and flow arrows); null: not traced. */
  trace: TraceRingWriter | null = null;
  /**
   * Under the `qemu` threading model: every device access holds the BQL and waits in AIO_WAIT_WHILE.
   * @internal
   */
  qemu: BqlMmio | null = null;
  private readonly latency = new Float64Array(READ_LATENCY_BUCKETS);
  /** read()'s [lo, hi]: one array, no allocation per read. */
  private readonly halves = new Uint32Array(2);
  /**
   * Devices with a posted write outstanding through their device actor (config space) while the
   * rest of the device goes straight to its engine (the actor model): the two mailboxes have no
   * order between them, so the next engine access waits for those writes first. An MSI enable
   * or mask then reaches the engine's interrupt route before anything the engine raises after a
   * later register write (docs/interrupts.md, "The engine raises its own"; design.md rule 4).
   */
  private readonly actorWrites = new Set<BusDevice>();
  private latencyCount = 0;
  private latencyTotalUs = 0;

  constructor(
    private readonly vcpu: number,
    devices: BusDevice[],
    private readonly replies: ReplyTable,
    private readonly slot: number,
    completion: SharedArrayBuffer,
    barTable: SharedArrayBuffer,
    writeWindow: number,
    /** When every wait on a device is given up (WaitAbandonedError): the VM is stopping. */
    private readonly giveUp: GiveUpCheck | null = null,
  ) {
    this.writes = new PostedWrites(new Int32Array(completion), vcpu, writeWindow, giveUp);
    this.bars = new BarTable(barTable);
    for (const device of devices) {
      device.mailbox.giveUpWaitsWhen(giveUp);
      device.engine?.giveUpWaitsWhen(giveUp);
      const engine = device.engine;
      if (device.variant === 'virtio-mmio') {
        this.bus.addWindow({
          name: `virtio${device.index}`,
          base: virtioMmioBase(device.index),
          size: VIRTIO_MMIO_WINDOW_BYTES,
          target: { device, window: device.index, engine: null },
        });
      } else if (device.variant === 'virtio-pci') {
        this.bus.addWindow({
          name: `virtio-ecam${device.index}`,
          base: virtioPciEcamBase(device.index),
          size: ECAM_FUNCTION_BYTES,
          target: { device, window: device.index | PCI_CONFIG_WINDOW, engine: null },
        });
        // BAR0 decodes nowhere until the guest programs it (the input actor publishes it).
        const name = `virtio-bar${device.index}`;
        this.bus.addWindow({ name, base: null, size: VIRTIO_PCI_BAR_BYTES, target: { device, window: device.index, engine: null } });
        this.pciDevices.push({ window: name, table: device.bars ?? this.bars, slot: device.index, seen: -1 });
      } else if (device.variant === 'apple-gfx-mmio') {
        this.bus.addWindow({
          name: `gfx${device.index}`,
          base: mmioGfxBase(device.index),
          size: GFX_WINDOW_BYTES,
          target: { device, window: DeviceWindow.Gfx, engine },
        });
        this.bus.addWindow({
          name: `iosfc${device.index}`,
          base: mmioIosfcBase(device.index),
          size: IOSFC_WINDOW_BYTES,
          target: { device, window: DeviceWindow.Iosfc, engine },
        });
      } else {
        this.bus.addWindow({
          name: `ecam${device.index}`,
          base: ecamBase(device.index),
          size: ECAM_FUNCTION_BYTES,
          target: { device, window: DeviceWindow.PciConfig, engine: null },
        });
        // BAR0 decodes nowhere until the guest programs it (the device publishes it).
        this.bus.addWindow({ name: `gfx${device.index}`, base: null, size: GFX_WINDOW_BYTES, target: { device, window: DeviceWindow.Gfx, engine } });
        this.pciDevices.push({ window: `gfx${device.index}`, table: device.bars ?? this.bars, slot: device.index, seen: -1 });
      }
    }
  }

  read32(address: number): number {
    return this.read(address, 4);
  }

  write32(address: number, value: number): void {
    this.write(address, 4, value);
  }

  /**
   * A read of 1, 2, 4 or 8 bytes as a number: hi × 2^32 + lo, exact below 2^53 (an 8-byte all
   * ones reads as 2^64, the nearest number). readHalves is exact for every value.
   */
  read(address: number, size: number): number {
    this.readHalves(address, size, this.halves);
    return this.halves[1]! * 0x1_0000_0000 + this.halves[0]!;
  }

  /** A read of 1, 2, 4 or 8 bytes into [lo, hi], exact. Unassigned space reads as all ones. */
  readHalves(address: number, size: number, into: Uint32Array): void {
    const d = this.decode(address, size, 'read');
    this.reads++;
    if (!d.ok) {
      into[0] = size >= 4 ? 0xffffffff : 2 ** (8 * size) - 1;
      into[1] = size === 8 ? 0xffffffff : 0;
      return;
    }
    // A read observes every earlier write of this vCPU: let posted writes finish first.
    this.writes.waitUntilOutstandingAtMost(0);
    this.actorWrites.clear();
    const slot = this.slot;
    const id = this.replies.begin(slot);
    const posted = performance.now();
    const traceStart = this.trace ? monotonicMicros() : 0;
    const { window, engine } = d.window.target;
    const lo = d.offset >>> 0;
    const hi = Math.floor(d.offset / 0x1_0000_0000);
    if (engine) {
      InMmioRead.post(engine, window, lo, hi, size, this.vcpu, slot, id);
      this.replies.wait(slot, 2000, 30_000, this.giveUp);
    } else if (this.qemu) {
      this.qemu.read(d.window.target.device.mailbox, (m) => DeviceMmioRead.tryPost(m, window, lo, hi, size, this.vcpu, slot, id));
      this.replies.wait(slot, 0, 0); // answered: idles the slot, throws if it was failed
    } else {
      DeviceMmioRead.post(d.window.target.device.mailbox, window, lo, hi, size, this.vcpu, slot, id);
      this.replies.wait(slot, 2000, 30_000, this.giveUp);
    }
    into[0] = this.replies.value(slot, 0);
    into[1] = this.replies.value(slot, 1);
    const us = (performance.now() - posted) * 1000;
    if (this.trace) {
      // The read as a span, and a flow arrow through the device actor and the engine back here
      // (its ends just inside the span, which Perfetto binds them to).
      const flow = mmioFlowId(this.vcpu, id);
      const end = monotonicMicros();
      this.trace.write(TRACE_EVENTS.apple_gfx_read, TracePhase.Complete, traceStart, end - traceStart, d.offset, into[1] * 0x1_0000_0000 + into[0]);
      this.trace.flowStart(TRACE_EVENTS.request, flow, traceStart + FLOW_INSET_US);
      this.trace.flowEnd(TRACE_EVENTS.request, flow, end - FLOW_INSET_US);
    }
    this.latency[latencyBucket(us)]!++;
    this.latencyCount++;
    this.latencyTotalUs += us;
  }

  /** A write of a number (exact below 2^53; writeHalves is exact for every value). */
  write(address: number, size: number, value: number): void {
    this.writeHalves(address, size, value >>> 0, Math.floor(value / 0x1_0000_0000) >>> 0);
  }

  /** A write of 1, 2, 4 or 8 bytes given as its two 32-bit halves. */
  writeHalves(address: number, size: number, lo: number, hi: number): void {
    const d = this.decode(address, size, 'write');
    if (!d.ok) return;
    this.writesIssued++;
    const t = d.window.target;
    const offLo = d.offset >>> 0;
    const offHi = Math.floor(d.offset / 0x1_0000_0000);
    if (t.engine) {
      if (this.actorWrites.size > 0 && this.actorWrites.has(t.device)) {
        this.writes.waitUntilOutstandingAtMost(0);
        this.actorWrites.clear();
      }
      this.writes.beforeWrite();
      InMmioWrite.post(t.engine, t.window, offLo, offHi, size, lo >>> 0, hi >>> 0, this.vcpu);
      this.writes.afterWrite();
      return;
    }
    if (this.qemu) {
      this.qemu.write(t.device.mailbox, (m) => DeviceMmioWrite.tryPost(m, t.window, offLo, offHi, size, lo >>> 0, hi >>> 0, this.vcpu));
      return;
    }
    this.writes.beforeWrite();
    DeviceMmioWrite.post(t.device.mailbox, t.window, offLo, offHi, size, lo >>> 0, hi >>> 0, this.vcpu);
    if (t.device.engine) this.actorWrites.add(t.device);
    this.writes.afterWrite();
  }

  /** Waits until every posted write has been carried out. */
  drainWrites(): void {
    this.writes.waitUntilOutstandingAtMost(0);
  }

  stats(): BusStats {
    const s = this.bus.stats();
    return {
      reads: this.reads,
      writes: this.writesIssued,
      unassignedReads: s.unassignedReads,
      unassignedWrites: s.unassignedWrites,
      badAccesses: s.badAccesses,
      readLatency: { count: this.latencyCount, totalUs: this.latencyTotalUs, buckets: Array.from(this.latency) },
    };
  }

  /**
   * Decodes an access. A miss while writes are still in flight may be a BAR the guest just
   * placed (a config write the device has not carried out yet): let the writes finish, follow
   * the BAR table, and decode once more.
   */
  private decode(address: number, size: number, access: 'read' | 'write') {
    this.followBars();
    const retryable = this.pciDevices.length > 0 && this.writes.outstanding() > 0;
    const d = this.bus.decode(address, size, access, !retryable);
    if (d.ok || !retryable) return d;
    this.writes.waitUntilOutstandingAtMost(0);
    this.followBars();
    return this.bus.decode(address, size, access);
  }

  /** Moves a PCI device's BAR0 window when its device published a new placement. */
  private followBars(): void {
    for (const p of this.pciDevices) {
      const seq = p.table.sequence(p.slot);
      if (seq === p.seen) continue;
      p.seen = seq;
      const bar = p.table.read(p.slot);
      // A placement that overlaps another window is refused by the bus: the BAR then decodes nowhere.
      if (!this.bus.moveWindow(p.window, bar.mapped ? bar.base : null).ok) this.bus.moveWindow(p.window, null);
    }
  }
}
