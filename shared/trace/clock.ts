// Trace timestamps in microseconds of CLOCK_MONOTONIC, the clock the native side stamps its
// events with, so JS and C++ events share one timeline (flow arrows between them point the right
// way). performance.now() is cheap but has its own origin: one offset per thread, calibrated
// against the addon's clock (process.hrtime() came out ~0.6 ms off it here), fixes that.
import { native } from '../native/addon.js';

function calibrate(): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 5; i++) {
    const before = performance.now() * 1e3;
    const at = native.monotonicMicros();
    const after = performance.now() * 1e3;
    if (after - before < best) {
      best = after - before;
      offset = at - (before + after) / 2;
    }
  }
  return offset;
}

const offsetUs = calibrate();

export function monotonicMicros(): number {
  return performance.now() * 1e3 + offsetUs;
}
