import { describe, expect, it } from 'vitest';

import { attrs, el, escapeXml, num, textWidth, txt } from '../../../shared/svg/xml.js';

describe('the one SVG/XML helper', () => {
  it('escapes the five markup characters and replaces what XML cannot carry', () => {
    expect(escapeXml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&#39;f');
    expect(escapeXml('bell\u0007 nul\u0000 ok\ttab')).toBe('bell\uFFFD nul\uFFFD ok\ttab');
    expect(escapeXml('lone \uD800 surrogate, \uFFFE')).toBe('lone \uFFFD surrogate, \uFFFD');
    expect(escapeXml('emoji \u{1F600} stays')).toBe('emoji \u{1F600} stays');
  });

  it('writes numbers with at most two decimals, never -0, exponents or NaN', () => {
    expect(num(1.23456)).toBe('1.23');
    expect(num(-0.001)).toBe('0');
    expect(num(NaN)).toBe('0');
    expect(num(Infinity)).toBe('0');
    expect(num(12)).toBe('12');
  });

  it('builds elements: attributes in order and escaped, undefined left out, text escaped once', () => {
    expect(attrs({ a: 1.005, b: undefined, c: 'x"y' })).toBe(' a="1" c="x&quot;y"');
    expect(el('rect', { width: 2 })).toBe('<rect width="2"/>');
    expect(el('g', {}, '<a/>', '<b/>')).toBe('<g><a/><b/></g>');
    expect(txt('text', { x: 1 }, '<&>')).toBe('<text x="1">&lt;&amp;&gt;</text>');
  });

  it('measures text by characters, not UTF-16 units', () => {
    expect(textWidth('\u{1F600}\u{1F600}', 10)).toBe(12);
  });
});
