// The client-message parser: valid messages survive any chunking, random bytes never throw (and
// give the same answer however they are split), bad input is an error for the stream, and no
// length the client states is trusted before it is checked.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { MessageParser, type ClientMessage } from '../../../outputs/vnc/messages.js';
import { encodePixelFormat, type PixelFormat } from '../../../outputs/vnc/pixel-format.js';
import { validFormat } from './arbitraries.js';

/** The test's own encoder, from the message layouts in RFC 6143 section 7.5. */
function encode(m: ClientMessage): Buffer {
  switch (m.type) {
    case 'set-pixel-format':
      return Buffer.concat([Buffer.from([0, 0, 0, 0]), encodePixelFormat(m.format)]);
    case 'set-encodings': {
      const b = Buffer.alloc(4 + 4 * m.encodings.length);
      b[0] = 2;
      b.writeUInt16BE(m.encodings.length, 2);
      m.encodings.forEach((e, i) => b.writeInt32BE(e, 4 + 4 * i));
      return b;
    }
    case 'update-request': {
      const b = Buffer.alloc(10);
      b[0] = 3;
      b[1] = m.incremental ? 1 : 0;
      b.writeUInt16BE(m.x, 2);
      b.writeUInt16BE(m.y, 4);
      b.writeUInt16BE(m.width, 6);
      b.writeUInt16BE(m.height, 8);
      return b;
    }
    case 'key': {
      const b = Buffer.alloc(8);
      b[0] = 4;
      b[1] = m.down ? 1 : 0;
      b.writeUInt32BE(m.keysym, 4);
      return b;
    }
    case 'pointer': {
      const b = Buffer.alloc(6);
      b[0] = 5;
      b[1] = m.buttons;
      b.writeUInt16BE(m.x, 2);
      b.writeUInt16BE(m.y, 4);
      return b;
    }
    case 'cut-text': {
      const b = Buffer.alloc(8 + m.length, 0x41);
      b.fill(0, 0, 8);
      b[0] = 6;
      b.writeUInt32BE(m.length, 4);
      return b;
    }
  }
}

const u16 = fc.integer({ min: 0, max: 0xffff });

const message: fc.Arbitrary<ClientMessage> = fc.oneof(
  validFormat.map((format) => ({ type: 'set-pixel-format' as const, format })),
  fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { maxLength: 40 }).map((encodings) => ({ type: 'set-encodings' as const, encodings })),
  fc.record({ type: fc.constant('update-request' as const), incremental: fc.boolean(), x: u16, y: u16, width: u16, height: u16 }),
  fc.record({ type: fc.constant('key' as const), down: fc.boolean(), keysym: fc.nat({ max: 0xffffffff }) }),
  fc.record({ type: fc.constant('pointer' as const), buttons: fc.nat(255), x: u16, y: u16 }),
  fc.nat(3000).map((length) => ({ type: 'cut-text' as const, length })),
);

/** Splits bytes at the given (sorted, deduplicated) cut points. */
function split(b: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  out.push(b.subarray(prev));
  return out;
}

function feedAll(chunks: Buffer[]) {
  const p = new MessageParser({ maxEncodings: 1024, maxCutText: 1 << 20 });
  const messages: ClientMessage[] = [];
  let error: string | undefined;
  for (const c of chunks) {
    const r = p.feed(c);
    messages.push(...r.messages);
    error ??= r.error;
  }
  return { messages, error };
}

describe('MessageParser', () => {
  it('round-trips valid messages, however the bytes are split', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 40 }), (msgs, cuts) => {
        const bytes = Buffer.concat(msgs.map(encode));
        const r = feedAll(split(bytes, cuts));
        expect(r.error).toBeUndefined();
        expect(r.messages).toEqual(msgs);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on random bytes, and splitting does not change the outcome', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 30 }), (raw, cuts) => {
        const b = Buffer.from(raw);
        const whole = feedAll([b]);
        const pieces = feedAll(split(b, cuts));
        expect(pieces).toEqual(whole);
      }),
      { numRuns: 1000 },
    );
  });

  it('stops at the first error and accepts nothing after it', () => {
    const p = new MessageParser();
    const ok = encode({ type: 'pointer', buttons: 1, x: 2, y: 3 });
    const r = p.feed(Buffer.concat([ok, Buffer.from([99]), ok]));
    expect(r.messages).toEqual([{ type: 'pointer', buttons: 1, x: 2, y: 3 }]);
    expect(r.error).toBe('unknown message type 99');
    expect(p.feed(ok)).toEqual({ messages: [], error: 'unknown message type 99' });
    expect(p.error).toBe('unknown message type 99');
  });

  it('checks stated lengths before allocating for them', () => {
    const p = new MessageParser({ maxEncodings: 16, maxCutText: 100 });
    // 65535 encodings announced: refused from the 4-byte header alone.
    expect(p.feed(Buffer.from([2, 0, 0xff, 0xff])).error).toMatch(/65535 encodings/);
    const q = new MessageParser({ maxEncodings: 16, maxCutText: 100 });
    expect(q.feed(Buffer.from([6, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])).error).toMatch(/ClientCutText of 4294967295/);
  });

  it('skips cut text as it arrives, without keeping it', () => {
    const p = new MessageParser({ maxEncodings: 16, maxCutText: 1 << 20 });
    const head = Buffer.from([6, 0, 0, 0, 0, 0x10, 0, 0]); // 1 MiB
    expect(p.feed(head).messages).toEqual([{ type: 'cut-text', length: 1 << 20 }]);
    for (let i = 0; i < 16; i++) expect(p.feed(Buffer.alloc(1 << 16, 0x41))).toEqual({ messages: [] });
    expect(p.feed(encode({ type: 'key', down: true, keysym: 0x61 })).messages).toEqual([{ type: 'key', down: true, keysym: 0x61 }]);
  });

  it('refuses colour-map and nonsensical pixel formats', () => {
    const good: PixelFormat = {
      bitsPerPixel: 16,
      depth: 16,
      bigEndian: false,
      trueColour: true,
      redMax: 31,
      greenMax: 63,
      blueMax: 31,
      redShift: 11,
      greenShift: 5,
      blueShift: 0,
    };
    const bad: Array<[Partial<PixelFormat>, RegExp]> = [
      [{ trueColour: false }, /colour-map/],
      [{ bitsPerPixel: 24 }, /bits-per-pixel 24/],
      [{ depth: 0 }, /depth 0/],
      [{ depth: 17 }, /depth 17/],
      [{ redMax: 30 }, /red-max 30/],
      [{ greenMax: 0 }, /green-max 0/],
      [{ redShift: 12 }, /does not fit/],
      [{ greenShift: 0 }, /overlaps/],
    ];
    for (const [change, why] of bad) {
      const p = new MessageParser();
      const r = p.feed(encode({ type: 'set-pixel-format', format: { ...good, ...change } }));
      expect(r.error).toMatch(why);
      expect(r.messages).toEqual([]);
    }
    expect(new MessageParser().feed(encode({ type: 'set-pixel-format', format: good }))).toEqual({
      messages: [{ type: 'set-pixel-format', format: good }],
    });
  });
});
