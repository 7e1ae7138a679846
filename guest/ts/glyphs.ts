// Simple 3×5 glyphs for the paint workload's text box (the engine has no font): upper-case
// letters, digits and common punctuation; lower case is drawn as upper case, and a character with
// no glyph as a filled box. The table is abi/schema/input-tables.ts, which the machine-code
// guest's table is generated from too.
import { GLYPH_BOX, GLYPH_HEIGHT, GLYPH_ROWS, GLYPH_WIDTH } from '../../abi/schema/input-tables.js';

export { GLYPH_HEIGHT, GLYPH_WIDTH };

/** The horizontal runs of set dots of `ch`'s glyph: [row, first column, length]. */
export function glyphRuns(ch: string): [number, number, number][] {
  const rows = (GLYPH_ROWS[ch.toUpperCase()] ?? GLYPH_BOX).split(' ');
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
