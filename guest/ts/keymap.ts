// Linux key codes (linux/input-event-codes.h) to the characters a US keyboard types, unshifted
// and shifted: the inverse of what the VNC route does with keysyms (outputs/vnc/keysyms.ts). The
// table is abi/schema/input-tables.ts, which the machine-code guest's table is generated from too.
import { KEY_CODES, KEY_ROWS } from '../../abi/schema/input-tables.js';

export const { KEY_BACKSPACE, KEY_ENTER, KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_SPACE } = KEY_CODES;

const PLAIN = new Map<number, string>();
const SHIFTED = new Map<number, string>();
for (const [first, plain, shifted] of KEY_ROWS) {
  for (let i = 0; i < plain.length; i++) {
    PLAIN.set(first + i, plain[i]!);
    SHIFTED.set(first + i, shifted[i]!);
  }
}
PLAIN.set(KEY_SPACE, ' ');
SHIFTED.set(KEY_SPACE, ' ');

/** The character `code` types (with Shift held or not), or null for a key that types none. */
export function keyChar(code: number, shift: boolean): string | null {
  return (shift ? SHIFTED : PLAIN).get(code) ?? null;
}
