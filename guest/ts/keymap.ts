// Linux key codes (linux/input-event-codes.h) to the characters a US keyboard types, unshifted
// and shifted: the inverse of what the VNC route does with keysyms (outputs/vnc/keysyms.ts).
const ROWS: [number, string, string][] = [
  [2, '1234567890-=', '!@#$%^&*()_+'], // KEY_1 .. KEY_EQUAL
  [16, 'qwertyuiop[]', 'QWERTYUIOP{}'], // KEY_Q .. KEY_RIGHTBRACE
  [30, "asdfghjkl;'`", 'ASDFGHJKL:"~'], // KEY_A .. KEY_GRAVE
  [43, '\\zxcvbnm,./', '|ZXCVBNM<>?'], // KEY_BACKSLASH .. KEY_SLASH
];

export const KEY_BACKSPACE = 14;
export const KEY_ENTER = 28;
export const KEY_LEFTSHIFT = 42;
export const KEY_RIGHTSHIFT = 54;
export const KEY_SPACE = 57;

const PLAIN = new Map<number, string>();
const SHIFTED = new Map<number, string>();
for (const [first, plain, shifted] of ROWS) {
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
