// The generated record encoders and decoders (abi/generated/*-records.ts): every field of
// every kind survives a round trip at its place in the words, u64 fields split low word first
// and read as NaN past 2^53 - 1, and nothing is written past a record's argument words; the
// positional posters (post, tryPost, tryRepost) write the same words through a real mailbox.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import * as compositorGenerated from '../../abi/generated/compositor-records.js';
import * as deviceGenerated from '../../abi/generated/device-records.js';
import * as generated from '../../abi/generated/engine-records.js';
import * as irqGenerated from '../../abi/generated/irq-records.js';
import { RECORD_ARGS } from '../../abi/generated/mailbox-layout.js';
import { compositorRecords } from '../../abi/schema/compositor-records.js';
import { deviceRecords } from '../../abi/schema/device-records.js';
import { irqRecords } from '../../abi/schema/irq-records.js';
import { records } from '../../abi/schema/records.js';
import type { FieldType, RecordKind } from '../../abi/schema/types.js';
import { Mailbox, createMailboxBuffer } from '../../shared/mailbox/mailbox.js';
import { newRecord, u32, u64 } from '../../shared/mailbox/record.js';

interface Codec {
  kind: number;
  words: number;
  encode(a: Int32Array, r: Record<string, number | boolean>): void;
  post?(m: Mailbox, ...fields: (number | boolean)[]): void;
  tryPost?(m: Mailbox, ...fields: (number | boolean)[]): boolean;
  tryRepost?(m: Mailbox, a: Int32Array): boolean;
  [field: string]: unknown;
}

const modules = { ...generated, ...compositorGenerated, ...irqGenerated, ...deviceGenerated } as unknown as Record<string, Codec>;
const codec = (prefix: string, k: RecordKind) => modules[prefix + k.name]!;

const arbitrary = (type: FieldType): fc.Arbitrary<number | boolean> => {
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

const families = [...records.records!, ...compositorRecords.records!, ...irqRecords.records!, ...deviceRecords.records!];
const kinds = families.flatMap((family) => family.kinds.map((k) => [`${family.structPrefix}${k.name}`, family.structPrefix, k] as const));

describe('abi: engine record codecs', () => {
  it('every kind fits a mailbox record', () => {
    expect(records.recordArgs).toBe(RECORD_ARGS);
    for (const [name, prefix, k] of kinds) expect(codec(prefix, k).words, name).toBeLessThanOrEqual(RECORD_ARGS);
  });

  it.each(kinds)('%s: round trip, at the documented word of each field', (_name, prefix, k) => {
    const c = codec(prefix, k);
    const shape = Object.fromEntries(k.fields.map((f) => [f.name, arbitrary(f.type)]));
    fc.assert(
      fc.property(fc.record(shape), (fields) => {
        // Words past the record keep what they held: the encoder writes only its own.
        const a = new Int32Array(RECORD_ARGS).fill(0x5a5a5a5a);
        c.encode(a, fields);
        let at = 0;
        for (const f of k.fields) {
          const read = (c[f.name] as (a: Int32Array) => number | boolean)(a);
          expect(read, f.name).toBe(fields[f.name]);
          // The same words the positional helpers read: u32/u64 at the field's offset.
          if (f.type === 'u32') expect(u32(a, at)).toBe(fields[f.name]);
          if (f.type === 'u64') {
            expect(u64(a, at)).toBe(fields[f.name]);
            const halves = [(c[`${f.name}Lo`] as (a: Int32Array) => number)(a), (c[`${f.name}Hi`] as (a: Int32Array) => number)(a)];
            expect(halves).toEqual([a[at]! >>> 0, a[at + 1]! >>> 0]);
          }
          at += f.type === 'u64' ? 2 : 1;
        }
        expect(at).toBe(c.words);
        for (let i = c.words; i < RECORD_ARGS; i++) expect(a[i]).toBe(0x5a5a5a5a);
      }),
      { numRuns: 200 },
    );
  });

  it('the shared prefixes are what their kinds start with', () => {
    for (const family of families) {
      for (const pre of family.prefixes ?? []) {
        const decoders = modules[family.structPrefix + pre.name]!;
        const starting = family.kinds.filter((k) => pre.fields.every((f, i) => k.fields[i]?.name === f.name && k.fields[i]?.type === f.type));
        expect(starting.length, `${pre.name}: kinds that start with it`).toBeGreaterThanOrEqual(2);
        const a = new Int32Array(RECORD_ARGS).map((_, i) => -1 - i);
        for (const k of starting)
          for (const f of pre.fields)
            expect((decoders[f.name] as (a: Int32Array) => unknown)(a)).toBe((codec(family.structPrefix, k)[f.name] as (a: Int32Array) => unknown)(a));
      }
    }
    // Every callback (a kind whose answer the engine waits for) starts with the callback prefix.
    const out = records.records!.find((f) => f.ts === 'EngineOut')!;
    for (const k of out.kinds.filter((k) => k.fields[1]?.name === 'slot'))
      expect(
        k.fields.slice(0, 3).map((f) => f.name),
        k.name,
      ).toEqual(['thread', 'slot', 'id']);
  });

  it('u64 fields: low word first; past 2^53 - 1 they read as NaN; the encoder refuses what a number cannot hold', () => {
    const a = new Int32Array(RECORD_ARGS);
    generated.OutUnmapMemory.encode(a, { thread: 2, slot: 1, id: 9, task: 3, va: 0x1234_5678_9abc, length: 0x1000 });
    expect([a[4]! >>> 0, a[5]! >>> 0]).toEqual([0x5678_9abc, 0x1234]);
    a[5] = 0x0020_0000; // 2^53 exactly
    a[4] = 0;
    expect(generated.OutUnmapMemory.va(a)).toBeNaN();
    a[5] = -1;
    expect(generated.OutUnmapMemory.va(a)).toBeNaN();
    for (const bad of [-1, 2 ** 53, 0.5, NaN, Infinity]) {
      expect(() => generated.OutUnmapMemory.encode(a, { thread: 0, slot: 0, id: 0, task: 0, va: bad, length: 0 }), String(bad)).toThrow(RangeError);
    }
  });

  it('signed and boolean fields', () => {
    const a = new Int32Array(RECORD_ARGS);
    generated.OutCursorMove.encode(a, { thread: 1, display: 0, x: -5, y: -0x8000_0000 });
    expect([generated.OutCursorMove.x(a), generated.OutCursorMove.y(a)]).toEqual([-5, -0x8000_0000]);
    a[2] = 7; // any non-zero word is true
    expect(generated.OutCursorShow.show(a)).toBe(true);
  });

  it('an encoder refuses a word array too short for its record; a decoder reads missing words as 0', () => {
    expect(() => generated.InMmioWrite.encode(new Int32Array(6), { window: 0, offset: 0, size: 4, value: 1, vcpu: 0 })).toThrow(RangeError);
    expect(generated.InMmioWrite.vcpu(new Int32Array(6))).toBe(0);
    expect(() => generated.InStop.encode(new Int32Array(0), {})).not.toThrow();
  });

  /** The positional arguments post takes for these field values: a u64 as its two halves, a bool as is. */
  const positional = (k: RecordKind, fields: Record<string, number | boolean>) =>
    k.fields.flatMap((f) => {
      const v = fields[f.name]!;
      return f.type === 'u64' ? [(v as number) % 0x1_0000_0000, Math.floor((v as number) / 0x1_0000_0000)] : [v];
    });
  const postable = kinds.filter(([, prefix, k]) => codec(prefix, k).words <= 7);

  it('every kind of up to 7 words has posters, and only those', () => {
    for (const [name, prefix, k] of kinds) {
      const c = codec(prefix, k);
      expect(typeof c.post === 'function' && typeof c.tryPost === 'function' && typeof c.tryRepost === 'function', name).toBe(c.words <= 7);
    }
    expect(postable.map(([name]) => name)).toEqual(expect.arrayContaining(['DeviceMmioRead', 'DeviceMmioWrite', 'IrqEoi', 'IrqMsi', 'InMmioRead']));
  });

  it.each(postable)('%s: post and tryPost write what encode writes; tryRepost copies a record unchanged', (_name, prefix, k) => {
    const c = codec(prefix, k);
    const shape = Object.fromEntries(k.fields.map((f) => [f.name, arbitrary(f.type)]));
    const box = new Mailbox(createMailboxBuffer({ capacity: 4 }), 'posters');
    const other = new Mailbox(createMailboxBuffer({ capacity: 4 }), 'reposted');
    fc.assert(
      fc.property(fc.record(shape), (fields) => {
        const expected = new Int32Array(RECORD_ARGS);
        c.encode(expected, fields);
        c.post!(box, ...positional(k, fields));
        expect(c.tryPost!(box, ...positional(k, fields))).toBe(true);
        const r = newRecord();
        const again = newRecord();
        for (let i = 0; i < 2; i++) {
          expect(box.tryDequeue(r)).toBe(true);
          expect(r.kind).toBe(c.kind);
          expect(Array.from(r.args.subarray(0, c.words))).toEqual(Array.from(expected.subarray(0, c.words)));
          for (const f of k.fields) expect((c[f.name] as (a: Int32Array) => unknown)(r.args), f.name).toBe(fields[f.name]);
          expect(c.tryRepost!(other, r.args)).toBe(true);
          expect(other.tryDequeue(again)).toBe(true);
          expect([again.kind, ...again.args.subarray(0, c.words)]).toEqual([c.kind, ...expected.subarray(0, c.words)]);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('tryPost and tryRepost answer false on a full mailbox and post nothing', () => {
    const box = new Mailbox(createMailboxBuffer({ capacity: 2 }), 'full');
    const { DeviceMmioWrite } = deviceGenerated;
    while (DeviceMmioWrite.tryPost(box, 0, 0x18, 0, 4, 1, 0, 0));
    const depth = box.depth();
    expect(depth).toBeGreaterThan(0);
    expect(DeviceMmioWrite.tryPost(box, 0, 0x18, 0, 4, 1, 0, 0)).toBe(false);
    expect(generated.InMmioWrite.tryRepost(box, new Int32Array(RECORD_ARGS))).toBe(false);
    expect(box.depth()).toBe(depth);
  });

  it("a vCPU's MMIO records have the engine's fields, so the device actor forwards them word for word", () => {
    const engineIn = records.records!.find((f) => f.ts === 'EngineIn')!;
    const device = deviceRecords.records![0]!;
    for (const name of ['MmioRead', 'MmioWrite']) {
      const shape = (kinds: readonly RecordKind[]) => kinds.find((k) => k.name === name)!.fields.map((f) => [f.name, f.type]);
      expect(shape(device.kinds), name).toEqual(shape(engineIn.kinds));
    }
  });
});
