// A split virtqueue (virtio 1.2 §2.7) over guest RAM, as the device side sees it: the driver's
// descriptor table and available ring are read, the used ring is written. Everything in them is
// guest input (docs/design.md rule 5): the three areas are checked against RAM once, when the
// queue is made ready (the registers cannot change while it is), and every descriptor chain is
// checked before a byte of its buffers is used — heads and next indices inside the table, the
// walk bounded by the queue size (a longer chain is a loop: §2.7.5.3.1 makes the size the
// longest possible chain), each buffer inside RAM for the access it allows, readable buffers
// before writable ones (§2.7.4.2), no indirect descriptors (not offered). A failure is a fault
// the caller counts; it never throws on guest data. Modelled on crosvm's
// devices/src/virtio/queue/split_descriptor_chain.rs (a chain whose count reaches the queue size
// is a loop; index bounds; readable after writable; unexpected flags refused) and QEMU's
// hw/virtio/virtio.c (virtqueue_num_heads: an available index that moved further than the queue
// size is an error).
import type { GuestMemory } from '../guest-memory/index.js';
import {
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_BYTES,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_MAX_SIZE,
} from '../../abi/generated/virtio.js';

/** Why a queue or a descriptor chain was refused. */
export type VirtqueueFault =
  /** QueueNum is 0, above QueueNumMax, or not a power of two. */
  | 'bad-size'
  /** The descriptor table, available or used ring is not (wholly) in guest RAM. */
  | 'ring-outside-ram'
  /** An area is not aligned as §2.7 requires (16, 2 and 4 bytes). */
  | 'ring-misaligned'
  /** The available index moved further than the queue size since the device last looked. */
  | 'avail-index-jump'
  /** A chain's head, or a descriptor's next, is not an index into the table. */
  | 'index-out-of-range'
  /** A chain longer than the queue size: it loops. */
  | 'chain-loop'
  /** A buffer that is not wholly in guest RAM (or a writable one in read-only memory). */
  | 'buffer-outside-ram'
  /** VIRTQ_DESC_F_INDIRECT, which this device did not offer. */
  | 'indirect'
  /** A device-readable buffer after a device-writable one. */
  | 'readable-after-writable'
  /** A chain too small for what the device must write into it (a device's own rule, e.g. an 8-byte input event). */
  | 'buffer-too-small';

export const VIRTQUEUE_FAULTS: readonly VirtqueueFault[] = [
  'bad-size',
  'ring-outside-ram',
  'ring-misaligned',
  'avail-index-jump',
  'index-out-of-range',
  'chain-loop',
  'buffer-outside-ram',
  'indirect',
  'readable-after-writable',
  'buffer-too-small',
];

/** Where the driver put a queue (64-bit guest-physical addresses as bigints: exact) and its size. */
export interface QueueLayout {
  size: number;
  desc: bigint;
  avail: bigint;
  used: bigint;
}

/** One buffer of a chain: guest-physical, already checked to lie in RAM for its access. */
export interface VirtqBuffer {
  gpa: number;
  len: number;
  /** Device-writable (VIRTQ_DESC_F_WRITE). */
  writable: boolean;
}

export interface Chain {
  head: number;
  buffers: VirtqBuffer[];
}

export type PopResult = { kind: 'chain'; chain: Chain } | { kind: 'empty' } | { kind: 'fault'; fault: VirtqueueFault };

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

export function isQueueSize(size: number, max: number): boolean {
  return Number.isInteger(size) && size > 0 && size <= Math.min(max, VIRTQ_MAX_SIZE) && (size & (size - 1)) === 0;
}

/** Bytes of each area for a queue of `size` entries (§2.7: without VIRTIO_F_EVENT_IDX the trailing event word is still laid out). */
export function areaBytes(size: number): { desc: number; avail: number; used: number } {
  return { desc: VIRTQ_DESC_BYTES * size, avail: 6 + 2 * size, used: 6 + 8 * size };
}

export class SplitQueue {
  /** The next available-ring entry the device takes (free-running u16, as the driver's idx). */
  private lastAvail = 0;
  /** The used index the device publishes next (free-running u16). */
  private usedIdx = 0;
  private readonly view: DataView;
  private readonly u16: Uint16Array;

  private constructor(
    private readonly memory: GuestMemory,
    readonly size: number,
    private readonly descOff: number,
    private readonly availOff: number,
    private readonly usedOff: number,
  ) {
    this.view = new DataView(memory.sab);
    this.u16 = new Uint16Array(memory.sab);
  }

  /** The queue the driver described, or why it is refused. `maxSize`: the device's QueueNumMax. */
  static create(memory: GuestMemory, layout: QueueLayout, maxSize: number): SplitQueue | VirtqueueFault {
    if (!isQueueSize(layout.size, maxSize)) return 'bad-size';
    if (layout.desc % 16n !== 0n || layout.avail % 2n !== 0n || layout.used % 4n !== 0n) return 'ring-misaligned';
    const bytes = areaBytes(layout.size);
    const place = (gpa: bigint, length: number, access: 'read' | 'write'): number => (gpa > MAX_SAFE_BIG ? -1 : memory.translateOffset(gpa, length, access));
    const desc = place(layout.desc, bytes.desc, 'read');
    const avail = place(layout.avail, bytes.avail, 'read');
    const used = place(layout.used, bytes.used, 'write');
    if (desc < 0 || avail < 0 || used < 0) return 'ring-outside-ram';
    // Atomic u16 access needs the SAB offsets aligned too (RAM regions start page-aligned, so this holds whenever the gpa is).
    if (avail % 2 !== 0 || used % 4 !== 0) return 'ring-misaligned';
    return new SplitQueue(memory, layout.size, desc, avail, used);
  }

  /** The device's two ring positions (a snapshot keeps them; virtio-core.ts). */
  get positions(): { lastAvail: number; usedIdx: number } {
    return { lastAvail: this.lastAvail, usedIdx: this.usedIdx };
  }

  /** Puts the device's ring positions back (a snapshot's, checked by the caller: u16 each). */
  restorePositions(lastAvail: number, usedIdx: number): void {
    this.lastAvail = lastAvail & 0xffff;
    this.usedIdx = usedIdx & 0xffff;
  }

  /** Whether the driver has made buffers available that the device has not taken. */
  get hasAvailable(): boolean {
    return this.availIdx() !== this.lastAvail;
  }

  /**
   * Takes the next available chain and checks it whole. A fault leaves the queue where it was:
   * the caller marks the device broken (the driver must reset it), as QEMU's virtio_error does.
   */
  pop(): PopResult {
    const idx = this.availIdx();
    const pending = (idx - this.lastAvail) & 0xffff;
    if (pending === 0) return { kind: 'empty' };
    if (pending > this.size) return { kind: 'fault', fault: 'avail-index-jump' };
    const head = this.view.getUint16(this.availOff + 4 + 2 * (this.lastAvail % this.size), true);
    const walked = this.walk(head);
    if (typeof walked === 'string') return { kind: 'fault', fault: walked };
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    return { kind: 'chain', chain: { head, buffers: walked } };
  }

  /** Returns a chain to the driver with `written` bytes written into its writable buffers. */
  pushUsed(head: number, written: number): void {
    const at = this.usedOff + 4 + 8 * (this.usedIdx % this.size);
    this.view.setUint32(at, head, true);
    this.view.setUint32(at + 4, written >>> 0, true);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    // The entry before the index (§2.7.8.2); Atomics.store orders it.
    Atomics.store(this.u16, (this.usedOff + 2) / 2, this.usedIdx);
  }

  /** Whether the driver wants an interrupt for used buffers (VIRTQ_AVAIL_F_NO_INTERRUPT clear). */
  wantsInterrupt(): boolean {
    return (Atomics.load(this.u16, this.availOff / 2) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /** Writes bytes into a checked writable buffer (the caller keeps to its length). */
  writeInto(buffer: VirtqBuffer, offset: number, bytes: Uint8Array): void {
    this.memory.write(buffer.gpa + offset, bytes);
  }

  /** Reads bytes out of a checked buffer. */
  readFrom(buffer: VirtqBuffer, offset: number, into: Uint8Array): void {
    this.memory.read(buffer.gpa + offset, into);
  }

  private availIdx(): number {
    return Atomics.load(this.u16, (this.availOff + 2) / 2);
  }

  /** The chain from `head`, each descriptor copied out once before it is checked (the guest may change the table meanwhile). */
  private walk(head: number): VirtqBuffer[] | VirtqueueFault {
    const buffers: VirtqBuffer[] = [];
    let index = head;
    let sawWritable = false;
    for (let n = 0; ; n++) {
      if (index >= this.size) return 'index-out-of-range';
      if (n >= this.size) return 'chain-loop';
      const at = this.descOff + VIRTQ_DESC_BYTES * index;
      const lo = this.view.getUint32(at, true);
      const hi = this.view.getUint32(at + 4, true);
      const len = this.view.getUint32(at + 8, true);
      const flags = this.view.getUint16(at + 12, true);
      const next = this.view.getUint16(at + 14, true);
      if (flags & VIRTQ_DESC_F_INDIRECT) return 'indirect';
      const writable = (flags & VIRTQ_DESC_F_WRITE) !== 0;
      if (!writable && sawWritable) return 'readable-after-writable';
      sawWritable ||= writable;
      // A gpa past 2^53 is outside any RAM this machine has; refused, never rounded.
      if (hi > 0x1fffff) return 'buffer-outside-ram';
      const gpa = hi * 0x1_0000_0000 + lo;
      if (this.memory.translateOffset(gpa, len, writable ? 'write' : 'read') < 0) return 'buffer-outside-ram';
      buffers.push({ gpa, len, writable });
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) return buffers;
      index = next;
    }
  }
}
