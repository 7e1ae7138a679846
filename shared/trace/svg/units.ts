// Times as the trace timeline writes them for people.

/** A duration: "0.4 µs", "115 µs", "1.25 ms". */
export function duration(us: number): string {
  if (!Number.isFinite(us) || us < 0) return '?';
  if (us < 10) return `${(Math.round(us * 10) / 10).toFixed(1)} µs`;
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

/** A time since the trace's first event, in ms with as many decimals as the step needs. */
export function timeMs(us: number, stepUs: number): string {
  const stepMs = stepUs / 1000;
  let decimals = 0;
  while (decimals < 4 && Math.abs(Math.round(stepMs * 10 ** decimals) - stepMs * 10 ** decimals) > 1e-6) decimals++;
  return `${(us / 1000).toFixed(decimals)} ms`;
}
