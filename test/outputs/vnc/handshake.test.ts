// The handshake state machine, byte by byte: version negotiation (3.3, 3.7, 3.8 and the odd
// versions clients send), security None and VNC Authentication in each version, SecurityResult
// and its reason string, and refusals. Random input never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { vncAuthResponse } from '../../../outputs/vnc/des.js';
import { Handshake, type HandshakeResult } from '../../../outputs/vnc/handshake.js';

const CHALLENGE = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const challenge = () => Uint8Array.from(CHALLENGE);
const u32 = (v: number) => Buffer.from([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
const reason = (s: string) => Buffer.concat([u32(s.length), Buffer.from(s)]);

/** Feeds the chunks in order; returns everything sent and the final result. */
function run(h: Handshake, chunks: Buffer[]): { sent: Buffer; last: HandshakeResult } {
  let input = Buffer.alloc(0);
  const sent: Buffer[] = [];
  let last!: HandshakeResult;
  for (const c of chunks) {
    input = Buffer.concat([input, c]);
    last = h.feed(input);
    sent.push(...last.out);
    input = input.subarray(last.consumed);
  }
  return { sent: Buffer.concat(sent), last };
}

const v = (s: string) => Buffer.from(`RFB ${s}\n`, 'latin1');

describe('Handshake without a password', () => {
  it('3.8: lists None, sends SecurityResult OK, then reads ClientInit', () => {
    const h = new Handshake();
    expect(h.greeting().toString('latin1')).toBe('RFB 003.008\n');
    const { sent, last } = run(h, [v('003.008'), Buffer.from([1]), Buffer.from([1])]);
    expect(sent).toEqual(Buffer.from([1, 1, 0, 0, 0, 0]));
    expect(last).toMatchObject({ state: 'done', version: '3.8', shared: true });
  });

  it('3.7: lists None, no SecurityResult for None', () => {
    const { sent, last } = run(new Handshake(), [v('003.007'), Buffer.from([1]), Buffer.from([0])]);
    expect(sent).toEqual(Buffer.from([1, 1]));
    expect(last).toMatchObject({ state: 'done', version: '3.7', shared: false });
  });

  it('3.3: the server names None as a U32, then ClientInit', () => {
    const { sent, last } = run(new Handshake(), [v('003.003'), Buffer.from([1])]);
    expect(sent).toEqual(u32(1));
    expect(last).toMatchObject({ state: 'done', version: '3.3' });
  });

  it('reads 3.5 (and other 3.x below 3.7) as 3.3, anything above 3.8 as 3.8', () => {
    for (const [ask, got] of [
      ['003.005', '3.3'],
      ['003.004', '3.3'],
      ['003.006', '3.3'],
      ['003.889', '3.8'],
      ['003.010', '3.8'],
    ]) {
      const h = new Handshake();
      run(h, [v(ask!)]);
      expect(h.version).toBe(got);
    }
  });

  it('refuses versions it cannot speak and text that is no version', () => {
    for (const bad of ['RFB 004.000\n', 'RFB 003.002\n', 'RFB 3.8    \n', 'GET / HTTP/1', 'RFB 003.008 ']) {
      const { sent, last } = run(new Handshake(), [Buffer.from(bad, 'latin1')]);
      expect(sent.length).toBe(0);
      expect(last).toMatchObject({ state: 'failed', kind: 'malformed' });
    }
  });

  it('a security type that was not offered fails: with a reason in 3.8, silently in 3.7', () => {
    const a = run(new Handshake(), [v('003.008'), Buffer.from([2])]);
    expect(a.sent).toEqual(Buffer.concat([Buffer.from([1, 1]), u32(1), reason('security type 2 was not offered')]));
    expect(a.last).toMatchObject({ state: 'failed', kind: 'malformed' });
    const b = run(new Handshake(), [v('003.007'), Buffer.from([16])]);
    expect(b.sent).toEqual(Buffer.from([1, 1]));
    expect(b.last).toMatchObject({ state: 'failed', kind: 'malformed' });
  });
});

describe('Handshake with a password (VNC Authentication)', () => {
  const ok = Buffer.from(vncAuthResponse('s3cret', CHALLENGE));
  const wrong = Buffer.from(vncAuthResponse('guess', CHALLENGE));

  it('3.8: lists type 2, challenges, accepts the right response', () => {
    const { sent, last } = run(new Handshake({ password: 's3cret', challenge }), [v('003.008'), Buffer.from([2]), ok, Buffer.from([1])]);
    expect(sent).toEqual(Buffer.concat([Buffer.from([1, 2]), CHALLENGE, u32(0)]));
    expect(last).toMatchObject({ state: 'done', version: '3.8' });
  });

  it('3.8: refuses a wrong response with a reason', () => {
    const { sent, last } = run(new Handshake({ password: 's3cret', challenge }), [v('003.008'), Buffer.from([2]), wrong]);
    expect(sent).toEqual(Buffer.concat([Buffer.from([1, 2]), CHALLENGE, u32(1), reason('Authentication failed')]));
    expect(last).toMatchObject({ state: 'failed', kind: 'auth' });
  });

  it('3.7 and 3.3: SecurityResult without a reason', () => {
    const a = run(new Handshake({ password: 's3cret', challenge }), [v('003.007'), Buffer.from([2]), wrong]);
    expect(a.sent).toEqual(Buffer.concat([Buffer.from([1, 2]), CHALLENGE, u32(1)]));
    expect(a.last).toMatchObject({ state: 'failed', kind: 'auth' });
    const b = run(new Handshake({ password: 's3cret', challenge }), [v('003.003'), ok, Buffer.from([1])]);
    expect(b.sent).toEqual(Buffer.concat([u32(2), CHALLENGE, u32(0)]));
    expect(b.last).toMatchObject({ state: 'done', version: '3.3' });
  });

  it('a client that picks None when only VNC Authentication is offered is refused', () => {
    const { last } = run(new Handshake({ password: 'x', challenge }), [v('003.008'), Buffer.from([1])]);
    expect(last).toMatchObject({ state: 'failed', kind: 'malformed' });
  });

  it('uses fresh random challenges by default', () => {
    const a = run(new Handshake({ password: 'x' }), [v('003.003')]).sent.subarray(4);
    const b = run(new Handshake({ password: 'x' }), [v('003.003')]).sent.subarray(4);
    expect(a.length).toBe(16);
    expect(a.equals(b)).toBe(false);
  });
});

describe('Handshake as a state machine', () => {
  it('gives the same result whether the client sends everything at once or byte by byte', () => {
    const script = Buffer.concat([v('003.008'), Buffer.from([2]), Buffer.from(vncAuthResponse('pw', CHALLENGE)), Buffer.from([1]), Buffer.from([3, 0, 0, 0])]);
    const whole = run(new Handshake({ password: 'pw', challenge }), [script]);
    const bytes = run(
      new Handshake({ password: 'pw', challenge }),
      [...script].map((b) => Buffer.from([b])),
    );
    expect(bytes.sent).toEqual(whole.sent);
    expect(whole.last).toMatchObject({ state: 'done', consumed: 30 });
  });

  it('never throws on random input', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }), fc.boolean(), (chunks, pw) => {
        run(
          new Handshake(pw ? { password: 'pw', challenge } : {}),
          chunks.map((c) => Buffer.from(c)),
        );
      }),
      { numRuns: 500 },
    );
  });
});
