// Writes (x, js_sin(x)) pairs for test/guest/c/guest-math.test.ts to compare with V8's Math.sin: every argument
// desktop.ts uses (n/9, n/17, n/23 for n below a bound) and pseudo-random ones across the
// implemented range, near multiples of pi/2 and tiny. Usage: sin_dump <out> <n>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsmath.h"

struct msg;
struct pvg_boot;
void msg_init(struct msg* m) { (void)m; }
void msg_str(struct msg* m, const char* s) { (void)m, (void)s; }
void msg_hex(struct msg* m, uint64_t v) { (void)m, (void)v; }
volatile struct pvg_boot* sim_block(void) { return 0; }  // jsmath.c's failure path only
void fail_msg(volatile struct pvg_boot* b, uint32_t code, const struct msg* m) {
  (void)b, (void)m;
  fprintf(stderr, "js_sin failed (code %u)\n", code);
  exit(1);
}

#define LIMIT 823549.0  // fdlibm's medium reduction path ends at 2^19 * pi/2

static uint64_t state = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}
static double unit(uint64_t u) { return (double)(u >> 11) / 9007199254740992.0; }

static void put(FILE* f, double x) {
  if (!(x < LIMIT && x > -LIMIT)) return;
  double pair[2] = {x, js_sin(x)};
  fwrite(pair, 8, 2, f);
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  FILE* f = fopen(argv[1], "wb");
  long n = atol(argv[2]);
  for (long i = 0; i < n; i++) {
    put(f, (double)i / 9);
    put(f, (double)i / 17);
    put(f, (double)i / 23);
  }
  for (long k = 0; k < n; k++) {
    uint64_t u = next(), bits;
    double x;
    switch (k % 4) {
      case 0:
        x = (unit(u) * 2 - 1) * LIMIT;
        break;
      case 1:
        x = (unit(u) * 2 - 1) * 10;
        break;
      case 2:  // within 128 ulps of m * pi/2
        x = (double)((u >> 40) % 500000) * 1.5707963267948966;
        memcpy(&bits, &x, 8);
        bits += (u & 0xff) - 128;
        memcpy(&x, &bits, 8);
        break;
      default:  // tiny magnitudes, both signs
        bits = (u & 0x800fffffffffffffull) | ((0x3c0 + (u >> 52) % 0x56) << 52);
        memcpy(&x, &bits, 8);
        break;
    }
    put(f, x);
  }
  return fclose(f) == 0 ? 0 : 1;
}
