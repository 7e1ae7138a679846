// Ending the program: DONE and FAIL hypercalls, and a small message builder for fail_message.
// Integer only (built with -mgeneral-regs-only): the exception handler uses it.
#ifndef PVG_GUEST_FAIL_H
#define PVG_GUEST_FAIL_H

#include <stdint.h>

#include "boot_abi.h"

struct msg {
  char text[PVG_FAIL_MESSAGE_BYTES];
  uint32_t len;  // excluding the NUL; text is always NUL-terminated
};

void msg_init(struct msg* m);
void msg_str(struct msg* m, const char* s);
void msg_dec(struct msg* m, uint64_t v);
void msg_hex(struct msg* m, uint64_t v);  // with a 0x prefix

/** state = FAILED, fail_message = m, FAIL(code); never returns. */
__attribute__((noreturn)) void fail_msg(volatile struct pvg_boot* b, uint32_t code, const struct msg* m);
/** The same with a plain text message, on the block GS points at. */
__attribute__((noreturn)) void fail(uint32_t code, const char* text);
/** state = DONE, DONE(0); never returns. */
__attribute__((noreturn)) void done(volatile struct pvg_boot* b);

#endif
