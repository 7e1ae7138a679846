// Simple 3×5 glyphs for the paint workload's text box (the engine has no font): upper-case
// letters, digits and common punctuation; lower case is drawn as upper case, and a character with
// no glyph as a filled box. Each glyph is five rows of three dots, '#' set.
const GLYPH_ROWS: Readonly<Record<string, string>> = {
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

export const GLYPH_WIDTH = 3;
export const GLYPH_HEIGHT = 5;
const BOX = '### ### ### ### ###';

/** The horizontal runs of set dots of `ch`'s glyph: [row, first column, length]. */
export function glyphRuns(ch: string): [number, number, number][] {
  const rows = (GLYPH_ROWS[ch.toUpperCase()] ?? BOX).split(' ');
  const runs: [number, number, number][] = [];
  rows.forEach((row, y) => {
    for (let x = 0; x < GLYPH_WIDTH; x++) {
      if (row[x] !== '#') continue;
      let end = x;
      while (row[end + 1] === '#') end++;
      runs.push([y, x, end - x + 1]);
      x = end;
    }
  });
  return runs;
}
