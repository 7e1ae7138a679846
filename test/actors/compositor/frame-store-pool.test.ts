// A display's frame-store pool: never more than FRAME_STORES_PER_DISPLAY stores, a held store
// comes back only once every reader released it, and what comes back is the same memory.
import { describe, expect, it } from 'vitest';

import { FRAME_STORES_PER_DISPLAY, FrameStorePool } from '../../../actors/compositor/frame-store-pool.js';

describe('FrameStorePool', () => {
  it('makes at most FRAME_STORES_PER_DISPLAY stores, then hands out only released ones', () => {
    const pool = new FrameStorePool(64);
    const reader = {};
    const taken = Array.from({ length: FRAME_STORES_PER_DISPLAY }, () => pool.take()!);
    expect(pool.take()).toBeNull();
    taken.forEach((s) => pool.hold(s, [reader]));
    expect(pool.heldCount).toBe(FRAME_STORES_PER_DISPLAY);
    expect(pool.release(reader, taken[1]!.id)).toBe(true);
    const again = pool.take()!;
    expect(again.buffer).toBe(taken[1]!.buffer); // the same memory under a fresh id
    expect(taken.map((s) => s.id)).not.toContain(again.id);
    expect(pool.take()).toBeNull();
    expect(pool.allocated).toBe(FRAME_STORES_PER_DISPLAY);
  });

  it('a store two readers hold is free only when both released it or are gone; stale and unknown ids change nothing', () => {
    const pool = new FrameStorePool(64);
    const a = {};
    const b = {};
    const s = pool.take()!;
    pool.hold(s, [a, b]);
    expect(pool.release(a, s.id)).toBe(false);
    expect(pool.release(a, s.id)).toBe(false); // twice
    expect(pool.release(a, 999)).toBe(false);
    expect(pool.heldCount).toBe(1);
    expect(pool.forget(b)).toBe(true);
    expect(pool.heldCount).toBe(0);
    expect(pool.release(b, s.id)).toBe(false); // already free
  });

  it('a store held by no reader is free at once', () => {
    const pool = new FrameStorePool(64);
    const s = pool.take()!;
    pool.hold(s, []);
    expect(pool.take()!.buffer).toBe(s.buffer);
    expect(pool.allocated).toBe(1);
  });
});
