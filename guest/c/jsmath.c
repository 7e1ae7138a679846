// JavaScript number semantics for the workloads. sin is fdlibm (as in V8's src/base/ieee754.cc)
// restricted to the argument reduction paths the workloads reach; the coefficients are fdlibm's
// published ones, given here by their bit patterns so no decimal conversion can shift them.
#include "jsmath.h"

#include "boot_abi.h"
#include "fail.h"
#include "io.h"

static inline double from_bits(uint64_t bits) {
  union {
    uint64_t u;
    double d;
  } v = {.u = bits};
  return v.d;
}
static inline uint64_t to_bits(double d) {
  union {
    double d;
    uint64_t u;
  } v = {.d = d};
  return v.u;
}
static inline int32_t high_word(double d) { return (int32_t)(to_bits(d) >> 32); }
static inline double from_words(uint32_t high, uint32_t low) { return from_bits(((uint64_t)high << 32) | low); }

#define TWO52 4503599627370496.0
#define TWO63 9223372036854775808.0

double js_floor(double x) {
  if (js_isnan(x) || !(js_abs(x) < TWO52)) return x;  // NaN, infinities and integers as they are
  double t = (double)(int64_t)x;                      // truncation toward zero, exact here
  return t > x ? t - 1.0 : t;
}

double js_round(double x) {
  double f = js_floor(x);
  return x - f >= 0.5 ? f + 1.0 : f;  // x - f is exact for |x| < 2^52, 0 beyond
}

double js_mod_int(double a, double b) {
  if (js_isnan(a) || js_isnan(b) || b == 0.0) return __builtin_nan("");
  return (double)((int64_t)a % (int64_t)b);  // C truncates like JS: the sign of the dividend
}

uint32_t js_to_u32(double x) {
  if (js_isnan(x) || x - x != 0.0) return 0;
  if (js_abs(x) < TWO63) return (uint32_t)(uint64_t)(int64_t)x;
  // |x| >= 2^63 is an integer: x mod 2^32 is exact in doubles (scaling by 2^32 is exact).
  double r = x - 4294967296.0 * js_floor(x / 4294967296.0);
  return (uint32_t)(int64_t)r;
}

// ------------------------------------------------------------------ fdlibm sin

// __kernel_sin on [-pi/4, pi/4]; y is the tail of x, iy = 0 when y is known to be 0.
static double kernel_sin(double x, double y, int iy) {
  const double half = 0.5;
  const double S1 = from_bits(0xBFC5555555555549ull);  // -1.66666666666666324348e-01
  const double S2 = from_bits(0x3F8111111110F8A6ull);  //  8.33333333332248946124e-03
  const double S3 = from_bits(0xBF2A01A019C161D5ull);  // -1.98412698298579493134e-04
  const double S4 = from_bits(0x3EC71DE357B1FE7Dull);  //  2.75573137070700676789e-06
  const double S5 = from_bits(0xBE5AE5E68A2B9CEBull);  // -2.50507602534068634195e-08
  const double S6 = from_bits(0x3DE5D93A5ACFD57Cull);  //  1.58969099521155010221e-10
  int32_t ix = high_word(x) & 0x7fffffff;
  if (ix < 0x3e400000) {  // |x| < 2^-27
    if ((int)x == 0) return x;
  }
  double z = x * x;
  double v = z * x;
  double r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  if (iy == 0) return x + v * (S1 + z * r);
  return x - ((z * (half * y - v * r) - y) - v * S1);
}

// __kernel_cos on [-pi/4, pi/4] (the original fdlibm form with qx, as V8 has it).
static double kernel_cos(double x, double y) {
  const double one = 1.0;
  const double C1 = from_bits(0x3FA555555555554Cull);  //  4.16666666666666019037e-02
  const double C2 = from_bits(0xBF56C16C16C15177ull);  // -1.38888888888741095749e-03
  const double C3 = from_bits(0x3EFA01A019CB1590ull);  //  2.48015872894767294178e-05
  const double C4 = from_bits(0xBE927E4F809C52ADull);  // -2.75573143513906633035e-07
  const double C5 = from_bits(0x3E21EE9EBDB4B1C4ull);  //  2.08757232129817482790e-09
  const double C6 = from_bits(0xBDA8FAE9BE8838D4ull);  // -1.13596475577881948265e-11
  int32_t ix = high_word(x) & 0x7fffffff;
  if (ix < 0x3e400000) {  // |x| < 2^-27
    if ((int)x == 0) return one;
  }
  double z = x * x;
  double r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  if (ix < 0x3fd33333) return one - (0.5 * z - (z * r - x * y));                       // |x| < 0.3
  double qx = ix > 0x3fe90000 ? 0.28125 : from_words((uint32_t)(ix - 0x00200000), 0);  // x/4
  double iz = 0.5 * z - qx;
  double a = one - qx;
  return a - (iz - (z * r - x * y));
}

// __ieee754_rem_pio2 for |x| <= 2^19·pi/2: x - n·pi/2 in y[0] + y[1], returns n.
static int32_t rem_pio2(double x, double* y) {
  const double half = 0.5;
  const double invpio2 = from_bits(0x3FE45F306DC9C883ull);  // 6.36619772367581382433e-01
  const double pio2_1 = from_bits(0x3FF921FB54400000ull);   // first 33 bits of pi/2
  const double pio2_1t = from_bits(0x3DD0B4611A626331ull);  // pi/2 - pio2_1
  const double pio2_2 = from_bits(0x3DD0B4611A600000ull);   // second 33 bits of pi/2
  const double pio2_2t = from_bits(0x3BA3198A2E037073ull);  // pi/2 - (pio2_1 + pio2_2)
  const double pio2_3 = from_bits(0x3BA3198A2E000000ull);   // third 33 bits of pi/2
  const double pio2_3t = from_bits(0x397B839A252049C1ull);  // pi/2 - (pio2_1 + pio2_2 + pio2_3)
  // High words of n·pi/2 for n = 1..32: near them the quick reduction may cancel.
  static const int32_t npio2_hw[32] = {
      0x3FF921FB, 0x400921FB, 0x4012D97C, 0x401921FB, 0x401F6A7A, 0x4022D97C, 0x4025FDBB, 0x402921FB, 0x402C463A, 0x402F6A7A, 0x4031475C,
      0x4032D97C, 0x40346B9C, 0x4035FDBB, 0x40378FDB, 0x403921FB, 0x403AB41B, 0x403C463A, 0x403DD85A, 0x403F6A7A, 0x40407E4C, 0x4041475C,
      0x4042106C, 0x4042D97C, 0x4043A28C, 0x40446B9C, 0x404534AC, 0x4045FDBB, 0x4046C6CB, 0x40478FDB, 0x404858EB, 0x404921FB,
  };
  int32_t hx = high_word(x);
  int32_t ix = hx & 0x7fffffff;
  if (ix <= 0x3fe921fb) {  // |x| <= pi/4: no reduction
    y[0] = x;
    y[1] = 0;
    return 0;
  }
  if (ix < 0x4002d97c) {  // |x| < 3pi/4: n = +-1
    double z;
    if (hx > 0) {
      z = x - pio2_1;
      if (ix != 0x3ff921fb) {  // 33 + 53 bits of pi are enough
        y[0] = z - pio2_1t;
        y[1] = (z - y[0]) - pio2_1t;
      } else {  // near pi/2: 33 + 33 + 53 bits
        z -= pio2_2;
        y[0] = z - pio2_2t;
        y[1] = (z - y[0]) - pio2_2t;
      }
      return 1;
    }
    z = x + pio2_1;
    if (ix != 0x3ff921fb) {
      y[0] = z + pio2_1t;
      y[1] = (z - y[0]) + pio2_1t;
    } else {
      z += pio2_2;
      y[0] = z + pio2_2t;
      y[1] = (z - y[0]) + pio2_2t;
    }
    return -1;
  }
  if (ix > 0x413921fb) {
    struct msg m;
    msg_init(&m);
    msg_str(&m, "sin argument out of range: bits ");
    msg_hex(&m, to_bits(x));
    fail_msg(boot_block(), PVG_FAIL_UNSUPPORTED, &m);
  }
  // Medium: |x| ~<= 2^19·pi/2.
  double t = js_abs(x);
  int32_t n = (int32_t)(t * invpio2 + half);
  double fn = (double)n;
  double r = t - fn * pio2_1;
  double w = fn * pio2_1t;  // first round, good to 85 bits
  if (n < 32 && ix != npio2_hw[n - 1]) {
    y[0] = r - w;  // quick check: no cancellation
  } else {
    int32_t j = ix >> 20;
    y[0] = r - w;
    int32_t i = j - ((high_word(y[0]) >> 20) & 0x7ff);
    if (i > 16) {  // second iteration, good to 118 bits
      t = r;
      w = fn * pio2_2;
      r = t - w;
      w = fn * pio2_2t - ((t - r) - w);
      y[0] = r - w;
      i = j - ((high_word(y[0]) >> 20) & 0x7ff);
      if (i > 49) {  // third iteration, 151 bits
        t = r;
        w = fn * pio2_3;
        r = t - w;
        w = fn * pio2_3t - ((t - r) - w);
        y[0] = r - w;
      }
    }
  }
  y[1] = (r - y[0]) - w;
  if (hx < 0) {
    y[0] = -y[0];
    y[1] = -y[1];
    return -n;
  }
  return n;
}

double js_sin(double x) {
  int32_t ix = high_word(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernel_sin(x, 0.0, 0);  // |x| ~< pi/4
  if (ix >= 0x7ff00000) return x - x;                  // NaN or infinity: NaN
  double y[2];
  int32_t n = rem_pio2(x, y);
  switch (n & 3) {
    case 0:
      return kernel_sin(y[0], y[1], 1);
    case 1:
      return kernel_cos(y[0], y[1]);
    case 2:
      return -kernel_sin(y[0], y[1], 1);
    default:
      return -kernel_cos(y[0], y[1]);
  }
}
