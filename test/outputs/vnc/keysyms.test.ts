// The keysym → Linux key code map: a few keys every user presses, shifted characters on their
// unshifted key, unknown keysyms unmapped, and every entry checked against the system's own
// X11/keysymdef.h and linux/input-event-codes.h where those headers are installed.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { KEYSYM_TO_KEY, keysymToKey } from '../../../outputs/vnc/keysyms.js';

const KEYSYMS = '/usr/include/X11/keysymdef.h';
const KEYCODES = '/usr/include/linux/input-event-codes.h';

function defines(file: string, pattern: RegExp): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of readFileSync(file, 'utf8').matchAll(pattern)) if (!out.has(m[1]!)) out.set(m[1]!, Number(m[2]));
  return out;
}

describe('keysymToKey', () => {
  it('maps letters, digits, shifted symbols, modifiers and editing keys of a US keyboard', () => {
    expect(keysymToKey(0x61)).toBe(30); // a → KEY_A
    expect(keysymToKey(0x41)).toBe(30); // A → KEY_A (Shift was sent before it)
    expect(keysymToKey(0x31)).toBe(2); // 1 → KEY_1
    expect(keysymToKey(0x21)).toBe(2); // ! → KEY_1
    expect(keysymToKey(0x20)).toBe(57); // space
    expect(keysymToKey(0xff0d)).toBe(28); // Return → KEY_ENTER
    expect(keysymToKey(0xffe1)).toBe(42); // Shift_L
    expect(keysymToKey(0xff08)).toBe(14); // BackSpace
    expect(keysymToKey(0xffbe)).toBe(59); // F1
  });

  it('leaves keysyms no US key gives unmapped (0), and every code in 1..255', () => {
    for (const keysym of [0, 0xe9 /* eacute */, 0x20ac /* EuroSign */, 0xffffff, 0xffffffff]) expect(keysymToKey(keysym), `keysym ${keysym}`).toBe(0);
    for (const [, code] of KEYSYM_TO_KEY) {
      expect(code).toBeGreaterThanOrEqual(1);
      expect(code).toBeLessThanOrEqual(255);
    }
    expect(new Set(KEYSYM_TO_KEY.map(([k]) => k)).size).toBe(KEYSYM_TO_KEY.length);
  });

  const headers = existsSync(KEYSYMS) && existsSync(KEYCODES);
  it.skipIf(!headers)(`every entry agrees with ${KEYSYMS} and ${KEYCODES} (the names in the table's comments)`, () => {
    const keysyms = defines(KEYSYMS, /^#define XK_(\w+)\s+(0x[0-9a-fA-F]+)/gm);
    const codes = defines(KEYCODES, /^#define (KEY_\w+)\s+(\d+)\b/gm);
    const source = readFileSync(new URL('../../../outputs/vnc/keysyms.ts', import.meta.url), 'utf8');
    const rows = [...source.matchAll(/\[0x([0-9a-f]+), (\d+)\], \/\/ XK_(\w+) → (KEY_\w+)/g)];
    expect(rows.length).toBe(KEYSYM_TO_KEY.length);
    for (const [, keysym, code, xk, key] of rows) {
      expect(keysyms.get(xk!), xk).toBe(parseInt(keysym!, 16));
      expect(codes.get(key!), key).toBe(Number(code));
    }
  });
});
