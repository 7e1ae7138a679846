// Human-readable tables for benchmark results.
import type { LatencySummary } from './latency.js';

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function latencyTable(paths: Record<string, LatencySummary & { description?: string }>): string {
  const header = ['path', 'p50 µs', 'p99 µs', 'p99.9 µs', 'max µs', 'CPU µs/op', 'n', 'what'];
  const rows = Object.entries(paths).map(([name, s]) => [
    name,
    fmt(s.p50_us),
    fmt(s.p99_us),
    fmt(s.p999_us),
    fmt(s.max_us),
    fmt(s.cpu_us_per_op),
    String(s.iterations),
    s.description ?? '',
  ]);
  return markdownTable(header, rows);
}

export function ratioTable(ratios: Record<string, number>, targets: Record<string, string>): string {
  return markdownTable(
    ['ratio', 'value', 'target'],
    Object.entries(ratios).map(([k, v]) => [k, fmt(v), targets[k] ?? '']),
  );
}

export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
