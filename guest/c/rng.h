// rng.ts: xorshift32, the same draws for the same seed (no workload ported here draws yet).
#ifndef PVG_GUEST_RNG_H
#define PVG_GUEST_RNG_H

#include <stdint.h>

struct rng {
  uint32_t state;
};

void rng_init(struct rng* r, uint32_t seed);
uint32_t rng_next(struct rng* r);
/** An integer in [0, n). */
uint32_t rng_below(struct rng* r, uint32_t n);

#endif
