// vm.input(device, display): the embedder's way to press keys and move the pointer of a display
// bound to virtio-input devices (its keyboard and its tablet). Each call is one record into the
// input actor's mailbox, posted without waiting; false means the mailbox was full and the event
// was not sent (the caller may retry). Arguments are the embedder's and are checked here; once
// the VM stopped or failed, a call throws VmStoppedError as every other Vm call does.
import { InputKey, InputPointer } from '../abi/generated/input-records.js';
import { InputCode } from '../abi/generated/virtio.js';
import { scaleToAxis } from '../actors/input/axis.js';
import type { Mailbox } from '../shared/mailbox/mailbox.js';

export interface DisplayInput {
  /** A key (a Linux KEY_* code, 1..255) went down or up. */
  key(code: number, down: boolean): boolean;
  /**
   * The pointer is at pixel (x, y) of a frame of size `frame` (the display's mode as the caller
   * shows it), with `buttons` held (bit 0 left, 1 middle, 2 right, as RFB numbers them). The
   * position is scaled to the tablet's axis 0..VIRTIO_INPUT_ABS_MAX; a point outside the frame is
   * clamped to its edge.
   */
  pointer(x: number, y: number, buttons: number, frame: { width: number; height: number }): boolean;
}

export { scaleToAxis };

export class VmDisplayInput implements DisplayInput {
  constructor(
    private readonly mailbox: Mailbox,
    private readonly keyboard: number,
    private readonly tablet: number,
    /** VmStoppedError once the VM stopped or failed (vm.ts), else null. */
    private readonly refused: () => Error | null,
  ) {}

  key(code: number, down: boolean): boolean {
    this.ensureRunning();
    if (!Number.isInteger(code) || code < 1 || code > InputCode.KeyMax)
      throw new RangeError(`key code must be an integer in [1, ${InputCode.KeyMax}], got ${code}`);
    return InputKey.tryPost(this.mailbox, this.keyboard, code, down);
  }

  pointer(x: number, y: number, buttons: number, frame: { width: number; height: number }): boolean {
    this.ensureRunning();
    const { width, height } = frame;
    if (![x, y].every(Number.isFinite)) throw new RangeError(`pointer position must be finite numbers, got ${x}, ${y}`);
    if (!Number.isInteger(buttons) || buttons < 0 || buttons > 7) throw new RangeError(`buttons must be an integer in [0, 7], got ${buttons}`);
    if (![width, height].every((n) => Number.isInteger(n) && n >= 1)) throw new RangeError(`frame size must be positive integers, got ${width}x${height}`);
    return InputPointer.tryPost(this.mailbox, this.tablet, scaleToAxis(x, width), scaleToAxis(y, height), buttons);
  }

  private ensureRunning(): void {
    const refused = this.refused();
    if (refused) throw refused;
  }
}
