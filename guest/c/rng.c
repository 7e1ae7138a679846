#include "rng.h"

void rng_init(struct rng* r, uint32_t seed) {
  r->state = seed != 0 ? seed : 0x9e3779b9u;  // `seed >>> 0 || 0x9e3779b9`
}

uint32_t rng_next(struct rng* r) {
  uint32_t x = r->state;
  x ^= x << 13;
  x ^= x >> 17;  // `>>>`: logical
  x ^= x << 5;
  r->state = x;
  return x;
}

uint32_t rng_below(struct rng* r, uint32_t n) { return n == 0 ? 0 : rng_next(r) % n; }
