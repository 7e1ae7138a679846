#include "input_tables.h"

// KEY_1 .. KEY_EQUAL, KEY_Q .. KEY_RIGHTBRACE, KEY_A .. KEY_GRAVE, KEY_BACKSLASH .. KEY_SLASH.
static const struct {
  uint8_t first;
  const char* plain;
  const char* shifted;
} KEY_ROWS[] = {
    {2, "1234567890-=", "!@#$%^&*()_+"},
    {16, "qwertyuiop[]", "QWERTYUIOP{}"},
    {30, "asdfghjkl;'`", "ASDFGHJKL:\"~"},
    {43, "\\zxcvbnm,./", "|ZXCVBNM<>?"},
};

char key_char(uint32_t code, bool shift) {
  if (code == KEY_SPACE) return ' ';
  for (uint32_t r = 0; r < sizeof KEY_ROWS / sizeof KEY_ROWS[0]; r++) {
    const char* s = shift ? KEY_ROWS[r].shifted : KEY_ROWS[r].plain;
    for (uint32_t i = 0; s[i] != 0; i++) {
      if (KEY_ROWS[r].first + i == code) return s[i];
    }
  }
  return 0;
}

// Rows as 3-bit numbers, the leftmost dot the highest bit: glyphs.ts's '#' patterns.
#define G(ch, a, b, c, d, e) {ch, {a, b, c, d, e}}
static const struct {
  char ch;
  uint8_t rows[GLYPH_HEIGHT];
} GLYPHS[] = {
    G('A', 2, 5, 7, 5, 5), G('B', 6, 5, 6, 5, 6), G('C', 3, 4, 4, 4, 3), G('D', 6, 5, 5, 5, 6), G('E', 7, 4, 6, 4, 7),
    G('F', 7, 4, 6, 4, 4), G('G', 3, 4, 5, 5, 3), G('H', 5, 5, 7, 5, 5), G('I', 7, 2, 2, 2, 7), G('J', 1, 1, 1, 5, 2),
    G('K', 5, 5, 6, 5, 5), G('L', 4, 4, 4, 4, 7), G('M', 5, 7, 7, 5, 5), G('N', 6, 5, 5, 5, 5), G('O', 2, 5, 5, 5, 2),
    G('P', 6, 5, 6, 4, 4), G('Q', 2, 5, 5, 6, 3), G('R', 6, 5, 6, 5, 5), G('S', 3, 4, 2, 1, 6), G('T', 7, 2, 2, 2, 2),
    G('U', 5, 5, 5, 5, 7), G('V', 5, 5, 5, 5, 2), G('W', 5, 5, 7, 7, 5), G('X', 5, 5, 2, 5, 5), G('Y', 5, 5, 2, 2, 2),
    G('Z', 7, 1, 2, 4, 7), G('0', 7, 5, 5, 5, 7), G('1', 2, 6, 2, 2, 7), G('2', 6, 1, 2, 4, 7), G('3', 6, 1, 2, 1, 6),
    G('4', 5, 5, 7, 1, 1), G('5', 7, 4, 6, 1, 6), G('6', 3, 4, 7, 5, 7), G('7', 7, 1, 2, 2, 2), G('8', 7, 5, 7, 5, 7),
    G('9', 7, 5, 7, 1, 6), G(' ', 0, 0, 0, 0, 0), G('.', 0, 0, 0, 0, 2), G(',', 0, 0, 0, 2, 4), G('!', 2, 2, 2, 0, 2),
    G('?', 6, 1, 2, 0, 2), G('-', 0, 0, 7, 0, 0), G('+', 0, 2, 7, 2, 0), G('=', 0, 7, 0, 7, 0), G(':', 0, 2, 0, 2, 0),
    G(';', 0, 2, 0, 2, 4), G('/', 1, 1, 2, 4, 4), G('\'', 2, 2, 0, 0, 0), G('"', 5, 5, 0, 0, 0), G('_', 0, 0, 0, 0, 7),
    G('(', 2, 4, 4, 4, 2), G(')', 2, 1, 1, 1, 2),
};
#undef G
static const uint8_t BOX[GLYPH_HEIGHT] = {7, 7, 7, 7, 7};

const uint8_t* glyph_rows(char ch) {
  if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
  for (uint32_t i = 0; i < sizeof GLYPHS / sizeof GLYPHS[0]; i++) {
    if (GLYPHS[i].ch == ch) return GLYPHS[i].rows;
  }
  return BOX;
}
