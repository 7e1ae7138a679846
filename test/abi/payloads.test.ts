// The generated payload codecs (abi/generated/engine-records.ts): a record that carries a payload
// in its reply slot announces how many elements (the product of its count fields) and bytes it
// holds, and each element's fields survive a round trip at its words (element i at i × words,
// u64 low word first) without touching the words of any other element.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import * as generated from '../../abi/generated/engine-records.js';
import { RECORD_ARGS } from '../../abi/generated/mailbox-layout.js';
import { records } from '../../abi/schema/records.js';
import type { FieldType, RecordKind, RecordPayload } from '../../abi/schema/types.js';
import { u64 } from '../../shared/mailbox/record.js';
import { ReplyTable, createReplyTableBuffer } from '../../shared/reply/reply-table.js';

type Decoder = (p: Int32Array, i: number) => number | boolean;
interface ElementCodec {
  words: number;
  encode(p: Int32Array, i: number, e: Record<string, number | boolean>): void;
  [field: string]: unknown;
}
interface PayloadCodec {
  encode(a: Int32Array, r: Record<string, number | boolean>): void;
  payloadElements(a: Int32Array): number;
  payloadBytes(a: Int32Array): number;
  [key: string]: unknown;
}

const out = records.records!.find((f) => f.ts === 'EngineOut')!;
const withPayload = out.kinds.filter((k) => k.payload).map((k) => [k.name, k, k.payload!] as const);
const codec = (k: RecordKind) => (generated as unknown as Record<string, PayloadCodec>)[`Out${k.name}`]!;
const element = (k: RecordKind, p: RecordPayload) => codec(k)[p.element[0]!.toLowerCase() + p.element.slice(1)] as ElementCodec;
const wordsOf = (type: FieldType) => (type === 'u64' ? 2 : 1);

const value = (type: FieldType): fc.Arbitrary<number | boolean> => {
  switch (type) {
    case 'u32':
      return fc.nat({ max: 0xffff_ffff });
    case 'i32':
      return fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
    case 'bool':
      return fc.boolean();
    case 'u64':
      return fc.oneof(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(0, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER));
  }
};

describe('abi: record payload codecs', () => {
  it('the records that carry a payload: MapMemory (ranges) and CursorGlyph (pixels)', () => {
    expect(withPayload.map(([name]) => name)).toEqual(['MapMemory', 'CursorGlyph']);
    expect(generated.OutMapMemory.range.words).toBe(4);
    expect(generated.OutCursorGlyph.pixel.words).toBe(1);
  });

  it.each(withPayload)('%s: the record announces the product of its count fields, in elements and bytes', (_name, k, p) => {
    const c = codec(k);
    const fields = fc.record(Object.fromEntries(k.fields.map((f) => [f.name, value(f.type)])));
    fc.assert(
      fc.property(fields, (r) => {
        const a = new Int32Array(RECORD_ARGS);
        c.encode(a, r);
        const elements = p.count.reduce((n, name) => n * (r[name] as number), 1);
        expect(c.payloadElements(a)).toBe(elements);
        expect(c.payloadBytes(a)).toBe(elements * element(k, p).words * 4);
      }),
      { numRuns: 200 },
    );
  });

  it.each(withPayload)('%s: each element round-trips at its own words and leaves the others alone', (_name, k, p) => {
    const e = element(k, p);
    const elementFields = fc.record(Object.fromEntries(p.fields.map((f) => [f.name, value(f.type)])));
    fc.assert(
      fc.property(fc.array(elementFields, { maxLength: 8 }), (list) => {
        const payload = new Int32Array(list.length * e.words + 3).fill(0x5a5a5a5a);
        list.forEach((x, i) => e.encode(payload, i, x));
        list.forEach((x, i) => {
          let at = i * e.words;
          for (const f of p.fields) {
            expect((e[f.name] as Decoder)(payload, i), `${f.name} of element ${i}`).toBe(x[f.name]);
            if (f.type === 'u32') expect(payload[at]! >>> 0).toBe(x[f.name]);
            if (f.type === 'u64') {
              expect(u64(payload, at)).toBe(x[f.name]);
              const halves = [(e[`${f.name}Lo`] as Decoder)(payload, i), (e[`${f.name}Hi`] as Decoder)(payload, i)];
              expect(halves).toEqual([payload[at]! >>> 0, payload[at + 1]! >>> 0]);
            }
            at += wordsOf(f.type);
          }
          expect(at).toBe((i + 1) * e.words);
        });
        for (let i = list.length * e.words; i < payload.length; i++) expect(payload[i]).toBe(0x5a5a5a5a);
      }),
      { numRuns: 200 },
    );
  });

  it('an element encoder refuses an index outside the payload and a u64 a number cannot hold', () => {
    const { range } = generated.OutMapMemory;
    const payload = new Int32Array(8);
    for (const i of [2, -1, 0.5, NaN]) expect(() => range.encode(payload, i, { gpa: 0, length: 0 }), String(i)).toThrow(RangeError);
    expect(() => range.encode(payload, 1, { gpa: 2 ** 53, length: 0 })).toThrow(RangeError);
    expect(() => generated.OutCursorGlyph.pixel.encode(new Int32Array(3), 3, { argb: 0 })).toThrow(RangeError);
    // A missing word reads as 0, as a record's decoders do.
    expect(range.length(payload, 5)).toBe(0);
  });

  it('a hostile glyph size still announces more bytes than any payload holds', () => {
    const a = new Int32Array(RECORD_ARGS);
    generated.OutCursorGlyph.encode(a, { thread: 1, slot: 0, id: 0, display: 0, width: 0xffff_ffff, height: 0xffff_ffff, hotX: 0, hotY: 0 });
    expect(generated.OutCursorGlyph.payloadBytes(a)).toBeGreaterThan(2 ** 64);
  });

  it("the reply table's payload words are its payload bytes, so what the engine packs is what the decoders read", () => {
    const replies = new ReplyTable(createReplyTableBuffer(2, 64));
    const words = replies.payloadWords(1);
    expect(words.length * 4).toBe(replies.payload(1).length);
    generated.OutMapMemory.range.encode(words, 1, { gpa: 0x1234_5678_9000, length: 0x2000 });
    const bytes = new DataView(replies.buffer, replies.payload(1).byteOffset);
    expect([bytes.getUint32(16, true), bytes.getUint32(20, true), bytes.getUint32(24, true)]).toEqual([0x5678_9000, 0x1234, 0x2000]);
  });
});
