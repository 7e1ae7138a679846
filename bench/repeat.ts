// `--repeat N` for suites that measure each path once per run: the suite runs N times and its
// results merge into one of the same shape, every number the median of its N values, with the
// spread (min–max) of each number that varied kept beside it. A ratio is taken within each run
// (against a reference measured in that run) before the median, so noise between runs does not
// mix numerators and denominators of different runs.
import { formatSpread, spread, type Spread } from './spread.js';

export interface Merged<R> {
  /** The first run's shape with every number replaced by its median over the runs. */
  merged: R;
  /** Dotted path ("paths.spin.p50_us") → spread, for every number that is finite in every run. */
  spreads: Record<string, Spread>;
}

/** Merges runs of one suite; the runs must have the same shape (the same keys, array lengths). */
export function mergeRuns<R>(runs: readonly R[]): Merged<R> {
  if (runs.length === 0) throw new RangeError('mergeRuns: no runs');
  const spreads: Record<string, Spread> = {};
  const merged = mergeValues(runs, '', spreads) as R;
  return { merged, spreads };
}

function mergeValues(values: readonly unknown[], path: string, spreads: Record<string, Spread>): unknown {
  const first = values[0];
  if (typeof first === 'number') {
    const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    // A number missing or not finite in some run (a path that failed once) is not merged: the first
    // run's value stands, and no spread claims a range it does not have.
    if (numbers.length !== values.length) return first;
    const s = spread(numbers);
    spreads[path] = s;
    return s.median;
  }
  if (Array.isArray(first)) {
    return first.map((_, i) =>
      mergeValues(
        values.map((v) => (Array.isArray(v) ? (v as unknown[])[i] : undefined)),
        `${path}[${i}]`,
        spreads,
      ),
    );
  }
  if (first !== null && typeof first === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      const child = values.map((v) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined));
      out[key] = mergeValues(child, path === '' ? key : `${path}.${key}`, spreads);
    }
    return out;
  }
  return first;
}

/** A path pattern: exact, or ending in `.*` for every number under a prefix. */
function matches(pattern: string, path: string): boolean {
  return pattern.endsWith('.*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
}

/**
 * Warnings for references (the physical yardsticks each suite measures its paths against) whose
 * max is more than `factor` × their min within the run: their ratios then say little.
 */
export function referenceWarnings(spreads: Record<string, Spread>, references: readonly string[], factor = 2): string[] {
  const warnings: string[] = [];
  for (const [path, s] of Object.entries(spreads)) {
    if (!references.some((r) => matches(r, path))) continue;
    if (s.min > 0 && s.max / s.min > factor) {
      warnings.push(
        `reference ${path} varied ${(s.max / s.min).toFixed(1)}× within this run (${formatSpread(s, 2)}): the machine was noisy; ratios against it are uncertain`,
      );
    }
  }
  return warnings;
}

/** The spreads worth a table: every ratio_* figure and every reference, in path order. */
export function headlineSpreads(spreads: Record<string, Spread>, references: readonly string[]): [string, Spread][] {
  return Object.entries(spreads).filter(([path]) => /(^|\.)ratio_[^.]*$/.test(path) || references.some((r) => matches(r, path)));
}
