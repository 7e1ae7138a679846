// Building SVG as strings: escaping, elements, and the numbers written into charts.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text or an attribute value made safe for XML (path names and machine models are not ours). */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type Attrs = Record<string, string | number | undefined>;

function attrs(a: Attrs): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${esc(typeof v === 'number' ? px(v) : v!)}"`)
    .join('');
}

/** An element whose children are already SVG; none makes it self-closing. */
export function el(tag: string, a: Attrs, ...children: string[]): string {
  return children.length === 0 ? `<${tag}${attrs(a)}/>` : `<${tag}${attrs(a)}>${children.join('')}</${tag}>`;
}

/** An element holding plain text (escaped here). */
export function txt(tag: string, a: Attrs, text: string): string {
  return `<${tag}${attrs(a)}>${esc(text)}</${tag}>`;
}

/** Coordinates to one decimal: enough for a screen, and the files stay readable. */
export function px(x: number): string {
  return String(Math.round(x * 10) / 10);
}

/** A measured value as a chart label: 3 significant digits below 100, whole numbers above. */
export function fmtValue(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

/** An axis tick: short forms for round numbers (1k, 10M, 0.01). */
export function fmtTick(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e6) return `${+(x / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(x / 1e3).toPrecision(3)}k`;
  return String(+x.toPrecision(3));
}

/** A rough width of text in px (no font metrics here; sans-serif averages about 0.6 em). */
export function textWidth(s: string, fontSize: number): number {
  return [...s].length * fontSize * 0.6;
}
