// The tables both guests' paint workload types and draws text with: the characters a US
// keyboard's keys type (Linux key codes, linux/input-event-codes.h) and the 3×5 glyphs. The
// TypeScript guest reads them from here (guest/ts/keymap.ts, glyphs.ts); the machine-code guest
// from guest/c/input_tables_data.h, which abi/gen/emit-c-tables.ts writes from them.

/** Runs of consecutive key codes: the first code, what the run types unshifted and shifted. */
export const KEY_ROWS: readonly (readonly [first: number, plain: string, shifted: string])[] = [
  [2, '1234567890-=', '!@#$%^&*()_+'], // KEY_1 .. KEY_EQUAL
  [16, 'qwertyuiop[]', 'QWERTYUIOP{}'], // KEY_Q .. KEY_RIGHTBRACE
  [30, "asdfghjkl;'`", 'ASDFGHJKL:"~'], // KEY_A .. KEY_GRAVE
  [43, '\\zxcvbnm,./', '|ZXCVBNM<>?'], // KEY_BACKSLASH .. KEY_SLASH
];

/** Keys the guests treat apart from KEY_ROWS, by their linux/input-event-codes.h names. */
export const KEY_CODES = {
  KEY_BACKSPACE: 14,
  KEY_ENTER: 28,
  KEY_LEFTSHIFT: 42,
  KEY_RIGHTSHIFT: 54,
  KEY_SPACE: 57,
} as const;

export const GLYPH_WIDTH = 3;
export const GLYPH_HEIGHT = 5;

/**
 * Upper-case letters, digits and common punctuation; lower case is drawn as upper case, and a
 * character with no glyph as GLYPH_BOX. Each glyph is GLYPH_HEIGHT rows of GLYPH_WIDTH dots, '#' set.
 */
export const GLYPH_ROWS: Readonly<Record<string, string>> = {
  A: '.#. #.# ### #.# #.#',
  B: '##. #.# ##. #.# ##.',
  C: '.## #.. #.. #.. .##',
  D: '##. #.# #.# #.# ##.',
  E: '### #.. ##. #.. ###',
  F: '### #.. ##. #.. #..',
  G: '.## #.. #.# #.# .##',
  H: '#.# #.# ### #.# #.#',
  I: '### .#. .#. .#. ###',
  J: '..# ..# ..# #.# .#.',
  K: '#.# #.# ##. #.# #.#',
  L: '#.. #.. #.. #.. ###',
  M: '#.# ### ### #.# #.#',
  N: '##. #.# #.# #.# #.#',
  O: '.#. #.# #.# #.# .#.',
  P: '##. #.# ##. #.. #..',
  Q: '.#. #.# #.# ##. .##',
  R: '##. #.# ##. #.# #.#',
  S: '.## #.. .#. ..# ##.',
  T: '### .#. .#. .#. .#.',
  U: '#.# #.# #.# #.# ###',
  V: '#.# #.# #.# #.# .#.',
  W: '#.# #.# ### ### #.#',
  X: '#.# #.# .#. #.# #.#',
  Y: '#.# #.# .#. .#. .#.',
  Z: '### ..# .#. #.. ###',
  '0': '### #.# #.# #.# ###',
  '1': '.#. ##. .#. .#. ###',
  '2': '##. ..# .#. #.. ###',
  '3': '##. ..# .#. ..# ##.',
  '4': '#.# #.# ### ..# ..#',
  '5': '### #.. ##. ..# ##.',
  '6': '.## #.. ### #.# ###',
  '7': '### ..# .#. .#. .#.',
  '8': '### #.# ### #.# ###',
  '9': '### #.# ### ..# ##.',
  ' ': '... ... ... ... ...',
  '.': '... ... ... ... .#.',
  ',': '... ... ... .#. #..',
  '!': '.#. .#. .#. ... .#.',
  '?': '##. ..# .#. ... .#.',
  '-': '... ... ### ... ...',
  '+': '... .#. ### .#. ...',
  '=': '... ### ... ### ...',
  ':': '... .#. ... .#. ...',
  ';': '... .#. ... .#. #..',
  '/': '..# ..# .#. #.. #..',
  "'": '.#. .#. ... ... ...',
  '"': '#.# #.# ... ... ...',
  _: '... ... ... ... ###',
  '(': '.#. #.. #.. #.. .#.',
  ')': '.#. ..# ..# ..# .#.',
};

export const GLYPH_BOX = '### ### ### ### ###';
