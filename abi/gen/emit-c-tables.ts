// The machine-code guest's input tables (guest/c/input_tables_data.h) from abi/schema/input-tables.ts:
// the key rows as C strings and each glyph's rows as 3-bit numbers, the leftmost dot the highest bit.
import { GLYPH_BOX, GLYPH_HEIGHT, GLYPH_ROWS, GLYPH_WIDTH, KEY_CODES, KEY_ROWS } from '../schema/input-tables.js';
import { banner } from './names.js';

export const INPUT_TABLES_HEADER = 'guest/c/input_tables_data.h';

const cString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const cChar = (ch: string) => (ch === "'" || ch === '\\' ? `'\\${ch}'` : `'${ch}'`);

/** A glyph's rows as numbers: '#' set, the leftmost dot bit GLYPH_WIDTH - 1. */
export function glyphBits(pattern: string): number[] {
  const rows = pattern.split(' ');
  if (rows.length !== GLYPH_HEIGHT || rows.some((r) => r.length !== GLYPH_WIDTH || /[^#.]/.test(r)))
    throw new Error(`abi: glyph pattern ${JSON.stringify(pattern)} is not ${GLYPH_HEIGHT} rows of ${GLYPH_WIDTH} dots`);
  return rows.map((r) => [...r].reduce((bits, dot) => (bits << 1) | (dot === '#' ? 1 : 0), 0));
}

export function emitCTables(schemaFile: string): string {
  let out = banner('//', schemaFile);
  out += '// The key codes and glyph size for every file; the tables behind key_char() and glyph_rows() only\n';
  out += '// where PVG_INPUT_TABLES_DATA is defined (input_tables.c), so no other file carries a copy.\n';
  out += '#ifndef PVG_GUEST_INPUT_TABLES_DATA_H\n#define PVG_GUEST_INPUT_TABLES_DATA_H\n\n#include <stdint.h>\n\n';
  for (const [name, code] of Object.entries(KEY_CODES)) out += `#define ${name} ${code}u\n`;
  out += `\n#define GLYPH_WIDTH ${GLYPH_WIDTH}u\n#define GLYPH_HEIGHT ${GLYPH_HEIGHT}u\n\n`;
  out += '#ifdef PVG_INPUT_TABLES_DATA\n';
  out += 'static const struct {\n  uint8_t first;\n  const char* plain;\n  const char* shifted;\n} KEY_ROWS[] = {\n';
  for (const [first, plain, shifted] of KEY_ROWS) out += `    {${first}, ${cString(plain)}, ${cString(shifted)}},\n`;
  out += '};\n\nstatic const struct {\n  char ch;\n  uint8_t rows[GLYPH_HEIGHT];\n} GLYPHS[] = {\n';
  for (const [ch, pattern] of Object.entries(GLYPH_ROWS)) out += `    {${cChar(ch)}, {${glyphBits(pattern).join(', ')}}},\n`;
  out += `};\n\nstatic const uint8_t GLYPH_BOX[GLYPH_HEIGHT] = {${glyphBits(GLYPH_BOX).join(', ')}};\n#endif\n\n#endif\n`;
  return out;
}
