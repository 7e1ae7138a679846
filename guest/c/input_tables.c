#define PVG_INPUT_TABLES_DATA  // this file holds the tables (input_tables_data.h)
#include "input_tables.h"

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

const uint8_t* glyph_rows(char ch) {
  if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
  for (uint32_t i = 0; i < sizeof GLYPHS / sizeof GLYPHS[0]; i++) {
    if (GLYPHS[i].ch == ch) return GLYPHS[i].rows;
  }
  return GLYPH_BOX;
}
