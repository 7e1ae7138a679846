// The one way this project writes SVG/XML as strings (trace timelines, bench charts; the web
// viewer's HTML pages use its escaper too): every string is escaped, characters XML cannot carry
// are replaced, and numbers are written the same way every time, so a picture is deterministic
// and a file name or machine model cannot break it.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// Characters XML 1.0 cannot carry at all (control characters, lone surrogates, U+FFFE/U+FFFF).
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text for element content and quoted attribute values; characters XML cannot hold become U+FFFD. */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML, '\uFFFD').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A coordinate or length: at most two decimals, no exponent, no "-0"; not finite is 0. */
export function num(n: number): string {
  if (!Number.isFinite(n)) return '0';
  const r = Math.round(n * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

export type Attrs = Record<string, string | number | undefined>;

/** `name="value"` pairs in the order given, values escaped; undefined values are left out. */
export function attrs(a: Attrs): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    out += ` ${k}="${typeof v === 'number' ? num(v) : escapeXml(v)}"`;
  }
  return out;
}

/** An element whose children are already markup; none makes it self-closing. */
export function el(name: string, a: Attrs, ...children: string[]): string {
  return children.length === 0 ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${children.join('')}</${name}>`;
}

/** An element holding plain text (escaped here). */
export function txt(name: string, a: Attrs, text: string): string {
  return `<${name}${attrs(a)}>${escapeXml(text)}</${name}>`;
}

/** Rough width of text in a sans-serif font (about 0.6 em a character; slightly generous, so labels never overflow). */
export function textWidth(text: string, fontPx: number): number {
  return [...text].length * fontPx * 0.6;
}
