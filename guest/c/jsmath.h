// The few JavaScript number operations the workloads use, bit for bit as V8 computes them on
// x86-64 (SSE2 doubles; build with -ffp-contract=off and no fast-math).
#ifndef PVG_GUEST_JSMATH_H
#define PVG_GUEST_JSMATH_H

#include <stdint.h>

/** Math.sqrt: sqrtsd, correctly rounded (needs -fno-math-errno to stay inline). */
static inline double js_sqrt(double x) { return __builtin_sqrt(x); }
/** Math.abs. */
static inline double js_abs(double x) { return __builtin_fabs(x); }
static inline int js_isnan(double x) { return x != x; }
/** Math.min of two numbers: NaN if either is (the sign of zero is not kept: nothing here sees it). */
static inline double js_min(double a, double b) {
  if (js_isnan(a) || js_isnan(b)) return a + b;
  return a < b ? a : b;
}

/** Math.floor (no SSE4.1 roundsd on baseline x86-64). */
double js_floor(double x);
/** Math.round: floor(x + 0.5) computed exactly, ties toward +Infinity. */
double js_round(double x);
/** `a % b` for integer-valued a and b below 2^63 in magnitude; NaN when b is 0 or either is NaN. */
double js_mod_int(double a, double b);
/** ToUint32 (`x >>> 0`): truncate toward zero, modulo 2^32; NaN and infinities give 0. */
uint32_t js_to_u32(double x);
/**
 * Math.sin as V8 computes it (fdlibm: __ieee754_rem_pio2's small and medium paths, then
 * __kernel_sin/__kernel_cos). |x| beyond 2^19·π/2, where fdlibm needs __kernel_rem_pio2, is not
 * implemented: the guest FAILs (PVG_FAIL_UNSUPPORTED) rather than draw something different.
 */
double js_sin(double x);

#endif
