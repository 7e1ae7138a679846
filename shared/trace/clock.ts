// Trace timestamps in microseconds of CLOCK_MONOTONIC: the clock Node's process.hrtime reads
// and the one the native side uses, so JS and C++ events share one timeline. performance.now()
// is cheaper but has a per-thread origin; one offset per thread fixes that.
function hrtimeMicros(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}

const offsetUs = hrtimeMicros() - performance.now() * 1e3;

export function monotonicMicros(): number {
  return performance.now() * 1e3 + offsetUs;
}
