// The control connection's line splitter (vmm/control/line-splitter.ts): the same lines whatever
// pieces the stream comes in, and a bound on how long a line may grow.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { LineSplitter } from '../../../vmm/control/line-splitter.js';

const feedAll = (s: LineSplitter, chunks: Buffer[]) => {
  const lines: string[] = [];
  let tooLong = false;
  for (const c of chunks) {
    const r = s.feed(c);
    lines.push(...r.lines);
    tooLong ||= r.tooLong;
  }
  return { lines, tooLong };
};

describe('LineSplitter', () => {
  it('splits on LF, drops a trailing CR and blank lines, keeps a partial line for later', () => {
    const s = new LineSplitter(100);
    expect(s.feed(Buffer.from('a\r\n\n  \nb'))).toEqual({ lines: ['a'], tooLong: false });
    expect(s.feed(Buffer.from('c\nd'))).toEqual({ lines: ['bc'], tooLong: false });
    expect(s.feed(Buffer.from('\n'))).toEqual({ lines: ['d'], tooLong: false });
  });

  it('decodes a UTF-8 character cut across chunks', () => {
    const bytes = Buffer.from('{"id":"é€😀"}\n');
    const s = new LineSplitter(100);
    const got = feedAll(
      s,
      [...bytes].map((b) => Buffer.from([b])),
    );
    expect(got.lines).toEqual(['{"id":"é€😀"}']);
  });

  it('refuses a line over the bound, whole or in pieces, and nothing after it', () => {
    expect(new LineSplitter(4).feed(Buffer.from('abcd\nabcde\nx\n'))).toEqual({ lines: ['abcd'], tooLong: true });
    const s = new LineSplitter(4);
    expect(s.feed(Buffer.from('ab'))).toEqual({ lines: [], tooLong: false });
    expect(s.feed(Buffer.from('cde'))).toEqual({ lines: [], tooLong: true });
    expect(s.feed(Buffer.from('\nok\n'))).toEqual({ lines: [], tooLong: true });
  });

  it('gives the same lines for any cut of the stream', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 }), { maxLength: 10 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }), (lines, cuts) => {
        const stream = Buffer.from(lines.map((l) => `${l.replace(/\n/g, '')}\n`).join(''));
        const chunks: Buffer[] = [];
        for (let at = 0, k = 0; at < stream.length; k++) {
          const n = cuts[k % cuts.length]!;
          chunks.push(stream.subarray(at, at + n));
          at += n;
        }
        const whole = feedAll(new LineSplitter(1000), [stream]);
        expect(feedAll(new LineSplitter(1000), chunks)).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });
});
