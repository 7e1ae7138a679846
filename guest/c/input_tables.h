// keymap.ts and glyphs.ts: the characters a US keyboard's keys type, and the 3×5 glyphs paint
// draws them with. test/guest/c/guest-input.test.ts checks both tables equal the TypeScript ones.
#ifndef PVG_GUEST_INPUT_TABLES_H
#define PVG_GUEST_INPUT_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#define KEY_BACKSPACE 14u
#define KEY_ENTER 28u
#define KEY_LEFTSHIFT 42u
#define KEY_RIGHTSHIFT 54u
#define KEY_SPACE 57u

#define GLYPH_WIDTH 3u
#define GLYPH_HEIGHT 5u

/** The character `code` types (Shift held or not), or 0 for a key that types none. */
char key_char(uint32_t code, bool shift);
/**
 * The glyph of `ch` (lower case drawn as upper case; a filled box for a character without one):
 * GLYPH_HEIGHT rows, bit 2 the leftmost of the three dots.
 */
const uint8_t* glyph_rows(char ch);

#endif
