// The characters a US keyboard's keys type, and the 3×5 glyphs paint draws them with: the tables
// are abi/schema/input-tables.ts, written into input_tables_data.h by npm run abi:gen, as the
// TypeScript guest reads them (keymap.ts, glyphs.ts).
#ifndef PVG_GUEST_INPUT_TABLES_H
#define PVG_GUEST_INPUT_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "input_tables_data.h"

/** The character `code` types (Shift held or not), or 0 for a key that types none. */
char key_char(uint32_t code, bool shift);
/**
 * The glyph of `ch` (lower case drawn as upper case; a filled box for a character without one):
 * GLYPH_HEIGHT rows, bit 2 the leftmost of the three dots.
 */
const uint8_t* glyph_rows(char ch);

#endif
