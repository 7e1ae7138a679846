// The wait of an actor that keeps its event loop running (actors/runtime/park-policy.ts): it
// blocks on its futex only while records keep coming, never past its next yield, and parks on
// its event loop once they stop.
import { describe, expect, it } from 'vitest';

import { HOT_MS, ParkPolicy, YIELD_MS } from '../../../actors/runtime/park-policy.js';

describe('ParkPolicy', () => {
  it('parks on the event loop before any record, and once records stopped for HOT_MS', () => {
    const p = new ParkPolicy();
    expect(p.plan(100)).toEqual({ kind: 'event-loop' });
    p.handled(100);
    p.yielded(100);
    expect(p.plan(100 + HOT_MS)).toEqual({ kind: 'event-loop' });
    expect(p.plan(100 + HOT_MS + 50)).toEqual({ kind: 'event-loop' });
  });

  it('while records come, blocks until the next yield is due or the records would have stopped, whichever is first', () => {
    const p = new ParkPolicy();
    p.yielded(100);
    p.handled(100.4);
    // The yield is due at 101 (YIELD_MS after 100); the hot window ends at 102.4.
    expect(p.plan(100.5)).toEqual({ kind: 'block', ms: 100 + YIELD_MS - 100.5 });
    p.yielded(101);
    expect(p.plan(101.9)).toEqual({ kind: 'block', ms: Math.min(101 + YIELD_MS - 101.9, 100.4 + HOT_MS - 101.9) });
  });

  it('yields once YIELD_MS passed since the event loop last ran, however busy', () => {
    const p = new ParkPolicy();
    p.yielded(10);
    p.handled(10 + YIELD_MS);
    expect(p.plan(10 + YIELD_MS)).toEqual({ kind: 'yield' });
    p.yielded(10 + YIELD_MS);
    expect(p.plan(10 + YIELD_MS).kind).toBe('block');
  });

  it('never plans a block longer than either bound, over random timings', () => {
    const p = new ParkPolicy();
    let now = 0;
    let lastRecord = Number.NEGATIVE_INFINITY;
    let lastYield = 0;
    let seed = 3;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    for (let i = 0; i < 10_000; i++) {
      now += rand() * 1.5;
      const r = rand();
      if (r < 0.4) p.handled((lastRecord = now));
      else if (r < 0.6) p.yielded((lastYield = now));
      const plan = p.plan(now);
      if (now - lastRecord >= HOT_MS) expect(plan.kind).toBe('event-loop');
      else if (now - lastYield >= YIELD_MS) expect(plan.kind).toBe('yield');
      else {
        expect(plan.kind).toBe('block');
        const ms = (plan as { ms: number }).ms;
        expect(ms).toBeGreaterThan(0);
        expect(now + ms).toBeLessThanOrEqual(Math.min(lastYield + YIELD_MS, lastRecord + HOT_MS) + 1e-9);
      }
    }
  });
});
