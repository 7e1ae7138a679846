// The device actor's callback spans carry the same argument as the engine thread's span: each
// callback's first field after the call prefix (actors/device/callbacks.ts CALLBACK_TRACE_ARGS).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { RECORD_ARGS } from '../../../abi/generated/mailbox-layout.js';
import { records } from '../../../abi/schema/records.js';
import { CALLBACK_TRACE_ARGS, CALLBACK_TRACE_EVENTS } from '../../../actors/device/callbacks.js';
import { OutCallback } from '../../../actors/device/engine-records.js';

describe('callback trace arguments', () => {
  it('every traced callback has one, and it is the word right after the call prefix', () => {
    const traced = Object.keys(CALLBACK_TRACE_EVENTS).map(Number).sort();
    expect(Object.keys(CALLBACK_TRACE_ARGS).map(Number).sort()).toEqual(traced);
    const out = records.records!.find((f) => f.ts === 'EngineOut')!;
    // Every kind the engine waits on (slot second) is traced.
    expect(traced).toEqual(
      out.kinds
        .filter((k) => k.fields[1]?.name === 'slot')
        .map((k) => k.value)
        .sort(),
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }), { minLength: RECORD_ARGS, maxLength: RECORD_ARGS }), (words) => {
        const a = Int32Array.from(words);
        for (const kind of traced) expect(CALLBACK_TRACE_ARGS[kind]!(a), kind.toString(16)).toBe(a[OutCallback.words]! >>> 0);
      }),
      { numRuns: 200 },
    );
  });
});
