// A small XML well-formedness check for the SVG the report writes (no XML dependency for tests):
// one root element, every tag closed in order, attributes quoted and unique, `&` only in entities.
// Stricter than XML where our writer never goes (no comments, CDATA, DOCTYPE, or `>` in values).

const ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
const NAME = /^[A-Za-z_][\w.:-]*/;

export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const body = xml.replace(/^<\?xml[^?]*\?>/, '');
  const tokens = body.match(/<[^<>]*>|[^<>]+|[<>]/g) ?? [];
  for (const token of tokens) {
    if (!token.startsWith('<')) {
      if (token === '>') problems.push('a stray ">"');
      else if (ENTITY.test(token)) problems.push(`a bare "&" in text: ${token.slice(0, 40)}`);
      else if (stack.length === 0 && token.trim() !== '') problems.push(`text outside the root: ${token.slice(0, 40)}`);
      continue;
    }
    if (token === '<') {
      problems.push('a stray "<"');
      continue;
    }
    if (token.startsWith('</')) {
      const name = token.slice(2, -1).trim();
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
      continue;
    }
    const selfClosing = token.endsWith('/>');
    let rest = token.slice(1, selfClosing ? -2 : -1);
    const name = NAME.exec(rest)?.[0];
    if (!name) {
      problems.push(`not a tag: ${token.slice(0, 40)}`);
      continue;
    }
    rest = rest.slice(name.length);
    const seen = new Set<string>();
    for (;;) {
      const m = /^\s+([A-Za-z_][\w.:-]*)="([^"<]*)"/.exec(rest);
      if (!m) break;
      if (seen.has(m[1]!)) problems.push(`<${name}> repeats ${m[1]}`);
      seen.add(m[1]!);
      if (ENTITY.test(m[2]!)) problems.push(`a bare "&" in ${name}@${m[1]}`);
      rest = rest.slice(m[0].length);
    }
    if (rest.trim() !== '') problems.push(`<${name}>: cannot read attributes at ${rest.slice(0, 40)}`);
    if (stack.length === 0 && ++roots > 1) problems.push(`a second root <${name}>`);
    if (!selfClosing) stack.push(name);
  }
  if (roots === 0) problems.push('no root element');
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' > ')}`);
  return problems;
}

/** Every value of `attr` on `tag` elements, as numbers. */
export function numericAttrs(svg: string, tag: string, attr: string): number[] {
  const re = new RegExp(`<${tag}\\b[^>]*\\s${attr}="([^"]*)"`, 'g');
  return [...svg.matchAll(re)].map((m) => Number(m[1]));
}

/** The text content of every <text> element, unescaped. */
export function texts(svg: string): string[] {
  const unescape = (s: string) =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
      .replace(/&#x([0-9a-fA-F]+);/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
      .replace(/&amp;/g, '&');
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => unescape(m[1]!));
}
