// The well-formedness check the SVG tests rely on finds what it should.
import { describe, expect, it } from 'vitest';

import { xmlProblems } from './xml-check.js';

describe('xmlProblems', () => {
  it('accepts well-formed XML', () => {
    expect(xmlProblems('<svg a="1" b="x &amp; y"><g><text>a &lt; b</text><rect/></g></svg>')).toEqual([]);
  });

  it.each([
    ['<svg><g></svg>', /closes <g>/],
    ['<svg><g>', /unclosed/],
    ['<svg a=1/>', /cannot read attributes/],
    ['<svg a="1" a="2"/>', /repeats a/],
    ['<svg><text>a & b</text></svg>', /bare "&"/],
    ['<svg t="a & b"/>', /bare "&"/],
    ['<svg/><svg/>', /second root/],
    ['<svg>a < b</svg>', /stray "<"/],
    ['', /no root/],
  ])('finds the problem in %j', (xml, problem) => {
    expect(xmlProblems(xml).join('\n')).toMatch(problem);
  });
});
