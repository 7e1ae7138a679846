// What the built-in guest's workloads see of its virtio-input keyboard and tablet: key presses and
// pointer reports, decoded from the raw events as Linux's evdev does (a tablet's axis and button
// changes take effect at SYN_REPORT), and a way to sleep until input comes. The program owns the
// drivers and the interrupts (program.ts); this turns their events into reports.
import { InputAbs, InputCode, InputEv, VIRTIO_INPUT_ABS_MAX } from '../../abi/generated/virtio.js';
import type { RawInputEvent, VirtioInputDriverState, VirtioInputGuestDriver } from './virtio-input.js';

/** A key went down or up (Linux KEY_* code), or the pointer's state after a report. */
export type InputReport =
  | { kind: 'key'; code: number; down: boolean }
  /** x, y: the tablet's axes (0..VIRTIO_INPUT_ABS_MAX); buttons: bit 0 left, 1 middle, 2 right (RFB's order). */
  | { kind: 'pointer'; x: number; y: number; buttons: number };

export interface GuestInput {
  /** Reports since the last call, in the order they happened (keyboard before tablet within one call). */
  take(): InputReport[];
  /** Halts (handling interrupts) until a device has events or `ms` pass; returns at once if one has. */
  waitForInput(ms: number): void;
}

/** A tablet axis value as a pixel of an axis `pixels` long (the inverse of actors/input/axis.ts scaleToAxis). */
export function axisToPixel(value: number, pixels: number): number {
  const v = Math.min(Math.max(value, 0), VIRTIO_INPUT_ABS_MAX);
  return Math.round((v * (pixels - 1)) / VIRTIO_INPUT_ABS_MAX);
}

const BUTTON_BITS: Record<number, number> = { [InputCode.BtnLeft]: 1, [InputCode.BtnMiddle]: 2, [InputCode.BtnRight]: 4 };

/** The tablet decoder's state between reports (a snapshot of the guest). */
export interface PointerDecoderState {
  x: number;
  y: number;
  buttons: number;
  changed: boolean;
}

/** The keyboard's and tablet's drivers and the tablet's decoder, as a snapshot of the guest keeps them. */
export interface GuestInputState {
  keyboard: VirtioInputDriverState;
  tablet: VirtioInputDriverState;
  pointer: PointerDecoderState;
}

/** The tablet's state between reports: changes collect until SYN_REPORT. */
class PointerDecoder {
  private x = 0;
  private y = 0;
  private buttons = 0;
  private changed = false;

  saveState(): PointerDecoderState {
    return { x: this.x, y: this.y, buttons: this.buttons, changed: this.changed };
  }

  /** Any int32 axis values (the device's events are decoded as they come) and buttons 0..7; false (nothing changed) otherwise. */
  loadState(s: PointerDecoderState): boolean {
    const int32 = (v: number) => Number.isInteger(v) && v >= -0x8000_0000 && v <= 0x7fff_ffff;
    if (!int32(s.x) || !int32(s.y) || !Number.isInteger(s.buttons) || s.buttons < 0 || s.buttons > 7) return false;
    Object.assign(this, s);
    return true;
  }

  feed(e: RawInputEvent, out: InputReport[]): void {
    if (e.type === InputEv.Abs && e.code === InputAbs.X) this.x = e.value;
    else if (e.type === InputEv.Abs && e.code === InputAbs.Y) this.y = e.value;
    else if (e.type === InputEv.Key && BUTTON_BITS[e.code] !== undefined) {
      const bit = BUTTON_BITS[e.code]!;
      this.buttons = e.value !== 0 ? this.buttons | bit : this.buttons & ~bit;
    } else if (e.type === InputEv.Syn && e.code === InputCode.SynReport) {
      if (this.changed) out.push({ kind: 'pointer', x: this.x, y: this.y, buttons: this.buttons });
      this.changed = false;
      return;
    } else return; // anything else a tablet should not send: ignored, as evdev ignores unknown codes
    this.changed = true;
  }
}

export class GuestInputDevices implements GuestInput {
  private readonly raw: RawInputEvent[] = [];
  private readonly pointer = new PointerDecoder();

  constructor(
    private readonly keyboard: VirtioInputGuestDriver,
    private readonly tablet: VirtioInputGuestDriver,
    /** Halts once for at most `ms`, handling whatever interrupts came (program.ts). */
    private readonly halt: (ms: number) => void,
    private readonly stopRequested: () => boolean,
  ) {}

  saveState(): GuestInputState {
    return { keyboard: this.keyboard.saveState(), tablet: this.tablet.saveState(), pointer: this.pointer.saveState() };
  }

  /** The tablet decoder's saved state (the drivers come restored); false when it cannot be one. */
  loadPointer(s: PointerDecoderState): boolean {
    return this.pointer.loadState(s);
  }

  take(): InputReport[] {
    const out: InputReport[] = [];
    this.raw.length = 0;
    this.keyboard.take(this.raw);
    for (const e of this.raw) {
      if (e.type === InputEv.Key && e.value !== 2) out.push({ kind: 'key', code: e.code, down: e.value !== 0 });
    }
    this.raw.length = 0;
    this.tablet.take(this.raw);
    for (const e of this.raw) this.pointer.feed(e, out);
    return out;
  }

  waitForInput(ms: number): void {
    const deadline = performance.now() + ms;
    for (;;) {
      if (this.keyboard.pending() || this.tablet.pending() || this.stopRequested()) return;
      const left = deadline - performance.now();
      if (left <= 0) return;
      this.halt(left);
    }
  }
}
