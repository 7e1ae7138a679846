// FAIL and DONE: set the state and the message first, since the host reads them once the
// hypercall exits; the host then never resumes this vCPU.
#include "fail.h"

#include "io.h"

void msg_init(struct msg* m) {
  m->len = 0;
  m->text[0] = 0;
}

static void msg_char(struct msg* m, char c) {
  if (m->len + 1 >= PVG_FAIL_MESSAGE_BYTES) return;  // truncate, keep the NUL
  m->text[m->len++] = c;
  m->text[m->len] = 0;
}

void msg_str(struct msg* m, const char* s) {
  while (*s) msg_char(m, *s++);
}

void msg_dec(struct msg* m, uint64_t v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) msg_char(m, digits[--n]);
}

void msg_hex(struct msg* m, uint64_t v) {
  msg_str(m, "0x");
  int shift = 60;
  while (shift > 0 && ((v >> shift) & 0xf) == 0) shift -= 4;  // no leading zeros
  for (; shift >= 0; shift -= 4) msg_char(m, "0123456789abcdef"[(v >> shift) & 0xf]);
}

void fail_msg(volatile struct pvg_boot* b, uint32_t code, const struct msg* m) {
  uint32_t i = 0;
  for (; i + 1 < PVG_FAIL_MESSAGE_BYTES && m->text[i]; i++) b->fail_message[i] = m->text[i];
  b->fail_message[i] = 0;
  b->state = PVG_STATE_FAILED;
  hypercall(PVG_HC_FAIL, code);
  spin_forever();
}

void fail(uint32_t code, const char* text) {
  struct msg m;
  msg_init(&m);
  msg_str(&m, text);
  fail_msg(boot_block(), code, &m);
}

void done(volatile struct pvg_boot* b) {
  b->state = PVG_STATE_DONE;
  hypercall(PVG_HC_DONE, 0);
  spin_forever();
}
