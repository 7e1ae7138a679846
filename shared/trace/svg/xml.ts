// Text and numbers as they go into the SVG: every string from a trace is escaped, and numbers are
// written the same way every time (the picture is deterministic).

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// Characters XML 1.0 cannot carry at all (control characters, lone surrogates, U+FFFE/U+FFFF).
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text for element content and quoted attribute values; characters XML cannot hold become U+FFFD. */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML, '\uFFFD').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A coordinate or length: at most two decimals, no exponent, no "-0". */
export function num(n: number): string {
  if (!Number.isFinite(n)) return '0';
  const r = Math.round(n * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** `name="value"` pairs in the order given, values escaped; undefined values are left out. */
export function attrs(a: Record<string, string | number | undefined>): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    out += ` ${k}="${typeof v === 'number' ? num(v) : escapeXml(v)}"`;
  }
  return out;
}

export function el(name: string, a: Record<string, string | number | undefined>, content?: string): string {
  return content === undefined ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${content}</${name}>`;
}

/** A duration for people: "0.4 µs", "115 µs", "1.25 ms". */
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

/** Rough width of text in the picture's sans-serif font (slightly generous, so labels never overflow). */
export function textWidth(text: string, fontPx: number): number {
  return [...text].length * fontPx * 0.6;
}
