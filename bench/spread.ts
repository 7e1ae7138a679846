// Repeated measurements reported as the median with the range, as the 16-core machine is noisy
// and one run says little.
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/** "median (min–max)" with `digits` decimals. */
export function formatSpread(s: Spread, digits = 0): string {
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

/** How far the range reaches from the median, as a fraction of it (0.15: within ±15 %). */
export function relativeHalfRange(s: Spread): number {
  return Math.max(s.median - s.min, s.max - s.median) / s.median;
}
