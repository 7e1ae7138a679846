// The built-in guest's virtio-input driver over either transport (virtio-transport.ts: virtio-mmio
// or virtio-pci), as Linux's virtio_input.c drives the device through virtio_config_ops: the
// status sequence with VERSION_1 only and FEATURES_OK read back, then the event queue —
// descriptor table, available and used rings and the 8-byte event buffers in one page of guest
// RAM from the page allocator — every buffer made available (before DRIVER_OK, which the device
// takes then; Linux offers them just after it), the queue set up and ready, DRIVER_OK. Events
// are taken off the used ring and their buffers given back at once (Linux's
// virtinput_recv_events does the same), with one notify per batch. Interrupts: the transport
// acknowledges them at the device (virtio-mmio's InterruptAck; nothing for virtio-pci's MSI),
// then the caller EOIs (docs/virtio.md "The paths").
// Modelled on Linux drivers/virtio/virtio_input.c (virtinput_probe, virtinput_fill_evt,
// virtinput_recv_events).
import { VIRTIO_INPUT_EVENT_BYTES, VIRTIO_INPUT_QUEUE_SIZE, VIRTQ_DESC_F_WRITE, VirtioInputCfg, VirtioStatus as Status } from '../../abi/generated/virtio.js';
import type { GuestMemory } from '../../shared/guest-memory/index.js';
import { DriverError } from './driver.js';
import type { PageAllocator } from './page-allocator.js';
import { negotiateVersion1, type GuestVirtioTransport } from './virtio-transport.js';

export type { VirtioPort } from './virtio-transport.js';

/** One raw event as the device wrote it (struct virtio_input_event). */
export interface RawInputEvent {
  type: number;
  code: number;
  value: number;
}

const QUEUE = VIRTIO_INPUT_QUEUE_SIZE;
// Offsets in the queue's page: table (16 * 64), available ring (6 + 2 * 64), used ring (6 + 8 * 64), buffers.
const DESC = 0;
const AVAIL = 1024;
const USED = 1280;
const BUFFERS = 2048;
const PAGE = 4096;

/** What the driver keeps between steps (a snapshot of the guest: program-snapshot.ts); its queue's contents are in RAM. */
export interface VirtioInputDriverState {
  name: string;
  /** The page holding the event queue and its buffers. */
  queueGpa: number;
  lastUsed: number;
  availIdx: number;
  eventsTaken: number;
  /** The transport's own state (virtio-pci: where its structures are; virtio-mmio: none). */
  transport: number[];
}

export class VirtioInputGuestDriver {
  /** The device's name (config ID_NAME), e.g. "PVG Virtio Tablet". */
  readonly name: string;
  private readonly u16: Uint16Array;
  private readonly view: DataView;
  private readonly queueGpa: number;
  private lastUsed = 0;
  private availIdx = 0;
  eventsTaken = 0;

  /**
   * Sets the device up from `pages` (throws DriverError when it does not take this driver), or,
   * given a saved state, goes on from it with no device access (the device was restored with
   * it; the caller checked the state: checkSavedDriver).
   */
  constructor(
    private readonly transport: GuestVirtioTransport,
    memory: GuestMemory,
    from: PageAllocator | VirtioInputDriverState,
  ) {
    const saved = 'queueGpa' in from ? from : null;
    if (!saved) {
      negotiateVersion1(transport);
      this.name = this.configString(VirtioInputCfg.IdName);
    } else this.name = saved.name;

    // The event queue, in one zeroed page: every descriptor a writable 8-byte buffer, all offered.
    const gpa = saved ? saved.queueGpa : (from as PageAllocator).allocate(PAGE);
    this.queueGpa = gpa;
    const bytes = memory.view(gpa, PAGE, 'write');
    this.u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, PAGE / 2);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, PAGE);
    if (saved) {
      this.lastUsed = saved.lastUsed;
      this.availIdx = saved.availIdx;
      this.eventsTaken = saved.eventsTaken;
      return;
    }
    bytes.fill(0);
    for (let i = 0; i < QUEUE; i++) {
      this.view.setBigUint64(DESC + 16 * i, BigInt(gpa + BUFFERS + VIRTIO_INPUT_EVENT_BYTES * i), true);
      this.view.setUint32(DESC + 16 * i + 8, VIRTIO_INPUT_EVENT_BYTES, true);
      this.view.setUint16(DESC + 16 * i + 12, VIRTQ_DESC_F_WRITE, true);
      this.offer(i);
    }
    if (transport.queueMax(0) < QUEUE) throw new DriverError('the event queue is smaller than 64 entries');
    transport.setUpQueue(0, { size: QUEUE, desc: gpa + DESC, avail: gpa + AVAIL, used: gpa + USED });
    // The status queue (LEDs) is left unset: this guest has no LEDs to report.
    transport.setStatus(Status.Acknowledge | Status.Driver | Status.FeaturesOk | Status.DriverOk);
  }

  saveState(): VirtioInputDriverState {
    const { name, queueGpa, lastUsed, availIdx, eventsTaken } = this;
    return { name, queueGpa, lastUsed, availIdx, eventsTaken, transport: this.transport.saveState() };
  }

  /** The vectors the device interrupts on. */
  get vectors(): readonly number[] {
    return this.transport.vectors;
  }

  /** An interrupt on `vector`: acknowledged at the device (a level drops); returns its causes. */
  acknowledge(vector: number): number {
    return this.transport.acknowledge(vector);
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
    this.transport.notify(0);
  }

  /** Puts buffer `id` in the available ring and publishes the index (entry first, §2.7.13). */
  private offer(id: number): void {
    this.view.setUint16(AVAIL + 4 + 2 * (this.availIdx % QUEUE), id, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    Atomics.store(this.u16, (AVAIL + 2) / 2, this.availIdx);
  }

  private configString(select: number): string {
    this.transport.configWrite8(0, select);
    this.transport.configWrite8(1, 0);
    const size = Math.min(this.transport.configRead8(2), 128);
    let s = '';
    for (let i = 0; i < size; i++) s += String.fromCharCode(this.transport.configRead8(8 + i));
    return s;
  }
}

/**
 * Why a saved driver state cannot be this guest's (null: it can): its queue page inside the RAM
 * the guest had allocated, page-aligned, and every buffer offered (this driver gives each one
 * back as it takes it, so the available index is always a queue ahead of the used one it read).
 */
export function checkSavedDriver(s: VirtioInputDriverState, ram: { base: number; next: number }): string | null {
  if (!Number.isSafeInteger(s.queueGpa) || s.queueGpa % PAGE !== 0 || s.queueGpa < ram.base || s.queueGpa + PAGE > ram.next)
    return `queue page 0x${s.queueGpa.toString(16)} outside the guest's allocated RAM`;
  const u16 = (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffff;
  if (!u16(s.lastUsed) || !u16(s.availIdx) || ((s.availIdx - s.lastUsed) & 0xffff) !== QUEUE)
    return `queue indices ${s.availIdx} (available), ${s.lastUsed} (used)`;
  return Number.isSafeInteger(s.eventsTaken) && s.eventsTaken >= 0 ? null : `${s.eventsTaken} events taken`;
}
