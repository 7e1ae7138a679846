// A virtio-input device (virtio 1.2 §5.8) on either virtio transport (virtio-mmio or
// virtio-pci, chosen by whoever makes it): queue 0 (eventq) takes
// the driver's empty 8-byte buffers and returns them filled with struct virtio_input_event;
// queue 1 (statusq) carries the driver's LED events, which are taken, counted and returned.
// Events the embedder injects wait in a bounded queue until the driver has buffers for them
// (a full queue drops the newest report whole, counted), as QEMU's virtio_input_send queues
// events and drops them when the guest gives none.
import type { VirtioDeviceModel, VirtioTransport } from '../../shared/virtio/virtio-core.js';
import { VirtioPciTransport, type VirtioPciInterrupts } from '../../shared/virtio/pci-transport.js';
import {
  InputAbs,
  InputCode,
  InputEv,
  VIRTIO_ID_INPUT,
  VIRTIO_INPUT_ABS_MAX,
  VIRTIO_INPUT_CONFIG_BYTES,
  VIRTIO_INPUT_EVENT_BYTES,
  VIRTIO_INPUT_QUEUE_SIZE,
} from '../../abi/generated/virtio.js';
import { InputConfigSpace, type InputDeviceKind } from './input-config.js';
import { StateFormatError } from '../../shared/snapshot/state-bytes.js';
import type { VirtioTransportState } from '../../shared/virtio/transport-snapshot.js';

/** What a device writes into the driver's buffers: key, axis and report events. */
const EVENT_TYPES: readonly number[] = [InputEv.Syn, InputEv.Key, InputEv.Abs];
const isInt = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;

/** A device's state in a snapshot (input-snapshot.ts). */
export interface InputDeviceState {
  kind: InputDeviceKind;
  transport: VirtioTransportState;
  /** The configuration space's select and subsel (select | subsel << 8). */
  select: number;
  /** Events waiting for the driver's buffers, [type, code, value] flattened. */
  pending: number[];
  /** The tablet's last reported state (-1: none yet). */
  pointer: { x: number; y: number; buttons: number };
}

const EVENT_QUEUE = 0;
const STATUS_QUEUE = 1;
/** Events waiting for the driver's buffers at most (a report is never split by the limit). */
export const PENDING_EVENTS_MAX = 1024;

/** RFB's button bits (0 left, 1 middle, 2 right) and the Linux codes they become. */
const BUTTONS: readonly [number, number][] = [
  [1, InputCode.BtnLeft],
  [2, InputCode.BtnMiddle],
  [4, InputCode.BtnRight],
];

export interface InputDeviceStats {
  kind: InputDeviceKind;
  /** Events injected, delivered into the driver's buffers, waiting for buffers now, and dropped (queue full). */
  events: { injected: number; delivered: number; pending: number; dropped: number };
  /** Injected events this device refused (a key code outside 1..KeyMax, a pointer on a keyboard, an axis value out of range). */
  refused: number;
  /** Status-queue events the driver sent (LEDs), taken and returned. */
  statusEvents: number;
  status: number;
  faults: Record<string, number>;
  transport: { reads: number; writes: number; resets: number; notifications: number };
  /** virtio-pci only: what became of the MSI-X interrupts it raised. */
  msix?: VirtioPciInterrupts;
}

/** Makes the device's transport around its model (virtio-mmio or virtio-pci). */
export type TransportFactory = (device: VirtioDeviceModel) => VirtioTransport;

export class VirtioInputDevice implements VirtioDeviceModel {
  readonly deviceId = VIRTIO_ID_INPUT;
  readonly features = 0n;
  readonly queueMax = [VIRTIO_INPUT_QUEUE_SIZE, VIRTIO_INPUT_QUEUE_SIZE];
  readonly configBytes = VIRTIO_INPUT_CONFIG_BYTES;
  readonly transport: VirtioTransport;
  private readonly config: InputConfigSpace;
  /** Waiting events as [type, code, value] triples, flattened. */
  private readonly pending: number[] = [];
  private pointerState = { x: -1, y: -1, buttons: 0 };
  private held = false;
  private readonly counts = { injected: 0, delivered: 0, dropped: 0, refused: 0, statusEvents: 0 };
  private readonly event = new Uint8Array(VIRTIO_INPUT_EVENT_BYTES);
  private readonly eventView = new DataView(this.event.buffer);

  constructor(
    readonly kind: InputDeviceKind,
    serial: string,
    makeTransport: TransportFactory,
  ) {
    this.config = new InputConfigSpace(kind, serial);
    this.transport = makeTransport(this);
  }

  /** A key went down or up (a Linux KEY_* code); false when refused. */
  key(code: number, down: boolean): boolean {
    if (this.kind !== 'keyboard' || !Number.isInteger(code) || code < 1 || code > InputCode.KeyMax) return this.refuse();
    return this.inject([InputEv.Key, code, down ? 1 : 0]);
  }

  /** The pointer is at (x, y) in 0..VIRTIO_INPUT_ABS_MAX with these RFB buttons held; false when refused. */
  pointer(x: number, y: number, buttons: number): boolean {
    const axis = (v: number) => Number.isInteger(v) && v >= 0 && v <= VIRTIO_INPUT_ABS_MAX;
    if (this.kind !== 'tablet' || !axis(x) || !axis(y) || !Number.isInteger(buttons)) return this.refuse();
    const report: number[] = [];
    const s = this.pointerState;
    if (x !== s.x) report.push(InputEv.Abs, InputAbs.X, x);
    if (y !== s.y) report.push(InputEv.Abs, InputAbs.Y, y);
    for (const [bit, code] of BUTTONS) if ((buttons & bit) !== (s.buttons & bit)) report.push(InputEv.Key, code, buttons & bit ? 1 : 0);
    if (report.length === 0) return true; // nothing changed: nothing to tell
    if (!this.inject(report)) return false;
    this.pointerState = { x, y, buttons: buttons & 7 };
    return true;
  }

  /** While held (the VM is paused), events wait and the driver's buffers are not touched. */
  hold(held: boolean): void {
    this.held = held;
    if (!held) this.deliver();
  }

  /** Fills as many of the driver's event buffers as there are waiting events. */
  deliver(): void {
    const q = this.transport.queue(EVENT_QUEUE);
    if (!q || this.held || this.pending.length === 0) return;
    let used = 0;
    while (this.pending.length > 0) {
      const got = q.pop();
      if (got.kind === 'empty') break;
      if (got.kind === 'fault') {
        this.transport.queueFault(got.fault);
        break;
      }
      const target = got.chain.buffers.find((b) => b.writable);
      if (!target || target.len < VIRTIO_INPUT_EVENT_BYTES) {
        this.transport.queueFault('buffer-too-small');
        break;
      }
      const [type, code, value] = this.pending.splice(0, 3) as [number, number, number];
      this.eventView.setUint16(0, type, true);
      this.eventView.setUint16(2, code, true);
      this.eventView.setUint32(4, value >>> 0, true);
      q.writeInto(target, 0, this.event);
      q.pushUsed(got.chain.head, VIRTIO_INPUT_EVENT_BYTES);
      this.counts.delivered++;
      used++;
    }
    if (used > 0) this.transport.usedBuffers(EVENT_QUEUE);
  }

  stats(): InputDeviceStats {
    const { injected, delivered, dropped, refused, statusEvents } = this.counts;
    return {
      kind: this.kind,
      events: { injected, delivered, pending: this.pending.length / 3, dropped },
      refused,
      statusEvents,
      status: this.transport.deviceStatus,
      faults: Object.fromEntries(Object.entries(this.transport.faults).filter(([, n]) => n > 0)),
      transport: { ...this.transport.counts },
      ...(this.transport instanceof VirtioPciTransport ? { msix: { ...this.transport.interrupts } } : {}),
    };
  }

  /** Its state between two records (a snapshot: input-snapshot.ts). */
  saveState(): InputDeviceState {
    return {
      kind: this.kind,
      transport: this.transport.saveState(),
      select: this.config.read(0, 2),
      pending: [...this.pending],
      pointer: { ...this.pointerState },
    };
  }

  /**
   * A snapshot's state (a file's: hostile) into a device that has not run: the events waiting, the
   * pointer as last reported, the configuration selection and the transport's. Checked whole
   * first; refused with StateFormatError with the device left as it was (the transport at reset).
   */
  loadState(s: InputDeviceState, component = 'input device'): void {
    const fail = (reason: string): never => {
      throw new StateFormatError(component, reason);
    };
    if (s.kind !== this.kind) fail(`a ${s.kind}'s state for a ${this.kind}`);
    if (!Number.isInteger(s.select) || s.select < 0 || s.select > 0xffff) fail(`configuration select 0x${s.select.toString(16)}`);
    if (s.pending.length % 3 !== 0 || s.pending.length / 3 > PENDING_EVENTS_MAX) fail(`${s.pending.length / 3} events waiting, at most ${PENDING_EVENTS_MAX}`);
    for (let i = 0; i < s.pending.length; i += 3) {
      const [type, code, value] = s.pending.slice(i, i + 3) as [number, number, number];
      if (!EVENT_TYPES.includes(type) || !isInt(code, 0, 0xffff) || !isInt(value, 0, 0xffffffff))
        fail(`event ${i / 3}: type ${type} code ${code} value ${value}`);
    }
    const p = s.pointer;
    if (!isInt(p.x, -1, VIRTIO_INPUT_ABS_MAX) || !isInt(p.y, -1, VIRTIO_INPUT_ABS_MAX) || !isInt(p.buttons, 0, 7))
      fail(`pointer ${p.x},${p.y} buttons ${p.buttons}`);
    this.transport.loadState(s.transport, `${component}: transport`);
    this.config.write(0, 2, s.select);
    this.pending.splice(0, this.pending.length, ...s.pending);
    this.pointerState = { ...p };
  }

  // VirtioDeviceModel

  configRead(offset: number, size: number): number {
    return this.config.read(offset, size);
  }

  configWrite(offset: number, size: number, value: number): boolean {
    return this.config.write(offset, size, value);
  }

  notify(index: number): void {
    if (index === EVENT_QUEUE) this.deliver();
    else if (index === STATUS_QUEUE) this.drainStatus();
  }

  reset(): void {
    this.config.reset();
    // Events for a driver that is gone (§5.8.6.1 lets a device drop what it cannot deliver).
    this.counts.dropped += this.pending.length / 3;
    this.pending.length = 0;
    this.pointerState = { x: -1, y: -1, buttons: 0 };
  }

  private inject(events: number[]): boolean {
    const count = events.length / 3 + 1;
    if (this.pending.length / 3 + count > PENDING_EVENTS_MAX) {
      this.counts.dropped += count;
      return false;
    }
    this.pending.push(...events, InputEv.Syn, InputCode.SynReport, 0);
    this.counts.injected += count;
    this.deliver();
    return true;
  }

  private refuse(): boolean {
    this.counts.refused++;
    return false;
  }

  private drainStatus(): void {
    const q = this.transport.queue(STATUS_QUEUE);
    if (!q) return;
    let used = 0;
    for (;;) {
      const got = q.pop();
      if (got.kind === 'empty') break;
      if (got.kind === 'fault') {
        this.transport.queueFault(got.fault);
        break;
      }
      // LED state is nothing this host shows: each readable event is counted, the buffer returned.
      for (const b of got.chain.buffers) if (!b.writable) this.counts.statusEvents += Math.floor(b.len / VIRTIO_INPUT_EVENT_BYTES);
      q.pushUsed(got.chain.head, 0);
      used++;
    }
    if (used > 0) this.transport.usedBuffers(STATUS_QUEUE);
  }
}
