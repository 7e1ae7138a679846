// Value axes for charts: where a value lands on [0, 1] and which ticks to draw.

export interface Scale {
  kind: 'linear' | 'log';
  /** Position of a value along the axis, 0..1; NaN where the value cannot be drawn (≤ 0 on log). */
  at(value: number): number;
  ticks: number[];
}

/** A log scale over whole decades around the positive finite values (none: 1..10). */
export function logScale(values: number[]): Scale {
  const drawable = values.filter((v) => Number.isFinite(v) && v > 0);
  // A value on the lowest decade would get a bar of no length: start a decade below it.
  const lo = drawable.length ? Math.ceil(Math.log10(Math.min(...drawable))) - 1 : 0;
  let hi = drawable.length ? Math.ceil(Math.log10(Math.max(...drawable))) : 1;
  if (hi <= lo) hi = lo + 1;
  const ticks: number[] = [];
  for (let d = lo; d <= hi; d++) {
    ticks.push(10 ** d);
    // Over one or two decades, 2 and 5 keep the axis readable.
    if (hi - lo <= 2 && d < hi) ticks.push(2 * 10 ** d, 5 * 10 ** d);
  }
  return {
    kind: 'log',
    at: (v) => (Number.isFinite(v) && v > 0 ? (Math.log10(v) - lo) / (hi - lo) : NaN),
    ticks: ticks.map((t) => +t.toPrecision(12)),
  };
}

/** A linear scale from 0 to a round number at or above the largest finite value (none: 0..1). */
export function linearScale(values: number[]): Scale {
  const finite = values.filter((v) => Number.isFinite(v));
  const max = Math.max(0, ...finite);
  const step = niceStep(max > 0 ? max / 5 : 0.2);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  for (let t = 0; t <= top + step / 2; t += step) ticks.push(+t.toPrecision(12));
  return { kind: 'linear', at: (v) => (Number.isFinite(v) ? Math.max(0, v) / top : NaN), ticks };
}

/** The smallest of 1, 2, 5 × 10^k that is at least `raw`. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
