// A VNC client's input, on the sink worker's thread, into the display's virtio-input devices:
// a KeyEvent becomes a key record for the display's keyboard (keysym → Linux key code,
// keysyms.ts), a PointerEvent a pointer record for its tablet (pixels of the frame the client is
// shown → the tablet's axes; buttons 1–3 as RFB numbers them, the wheel's 4 and 5 dropped). Each is
// one record posted into the input actor's mailbox without waiting: a full mailbox drops the event
// and counts it, as a slow guest must not stall the VNC server. The server calls this only for
// clients that finished the handshake (authenticated where a password is set), so input from an
// unauthenticated client never gets here; a view-only server routes nothing. Events from several
// clients interleave, as on a shared physical keyboard.
import { InputKey, InputPointer } from '../../abi/generated/input-records.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { scaleToAxis } from '../../actors/input/axis.js';
import { keysymToKey } from '../vnc/keysyms.js';

/** The display's keyboard and tablet: input devices of the input actor (VmOptions.input). */
export interface InputBinding {
  mailbox: SharedArrayBuffer;
  keyboard: number;
  tablet: number;
}

export interface InputRouteStats {
  /** Keys and pointer events posted to the display's input devices. */
  forwarded: number;
  /** Events dropped because the input actor's mailbox was full. */
  dropped: number;
  /** KeyEvents whose keysym no US key gives. */
  unmappedKeys: number;
  /** Events not routed: the display has no input devices, or the server is view-only. */
  notRouted: number;
}

export const emptyInputRouteStats = (): InputRouteStats => ({ forwarded: 0, dropped: 0, unmappedKeys: 0, notRouted: 0 });

const RFB_BUTTONS = 0b111;

export class InputRoute {
  private readonly mailbox: Mailbox | null;
  readonly counts = emptyInputRouteStats();

  constructor(
    private readonly binding: InputBinding | null,
    viewOnly: boolean,
  ) {
    this.mailbox = binding && !viewOnly ? new Mailbox(binding.mailbox, 'input') : null;
  }

  key(keysym: number, down: boolean): void {
    if (!this.mailbox) return void this.counts.notRouted++;
    const code = keysymToKey(keysym);
    if (code === 0) return void this.counts.unmappedKeys++;
    this.post(InputKey.tryPost(this.mailbox, this.binding!.keyboard, code, down));
  }

  /** (x, y) in pixels of the `width` × `height` frame the client is shown. */
  pointer(x: number, y: number, buttons: number, width: number, height: number): void {
    if (!this.mailbox) return void this.counts.notRouted++;
    this.post(InputPointer.tryPost(this.mailbox, this.binding!.tablet, scaleToAxis(x, width), scaleToAxis(y, height), buttons & RFB_BUTTONS));
  }

  private post(sent: boolean): void {
    if (sent) this.counts.forwarded++;
    else this.counts.dropped++;
  }
}
