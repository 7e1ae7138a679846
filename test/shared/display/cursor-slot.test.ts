// The cursor slot's seqlock: what a reader gets is always one whole glyph, while a writer in
// another thread rewrites it as fast as it can; a glyph overtaken by a newer one reads as null.
import { describe, expect, it } from 'vitest';

import { createCursorSlot, CursorSlot, CURSOR_MAX_SIZE } from '../../../shared/display/cursor-slot.js';
import { exited, nextMessage, startWorker } from '../../support/spawn.js';

describe('CursorSlot', () => {
  it('reads back what was written, with an even sequence; a stale sequence reads as null', () => {
    const slot = new CursorSlot(createCursorSlot());
    const bytes = new Uint8Array(new Uint32Array([1, 2, 3, 4, 5, 6]).buffer);
    const s1 = slot.write(3, 2, 2, 1, bytes);
    expect(s1 % 2).toBe(0);
    const g = slot.read(s1)!;
    expect({ ...g, argb: [...g.argb] }).toEqual({ width: 3, height: 2, hotX: 2, hotY: 1, argb: [1, 2, 3, 4, 5, 6] });
    const s2 = slot.write(1, 1, 0, 0, bytes);
    expect(slot.read(s1)).toBeNull();
    expect(slot.read(s2)!.argb).toEqual(Uint32Array.of(1));
    expect(slot.read(s2 + 1)).toBeNull(); // odd: a write under way
  });

  it('refuses a glyph larger than the slot or shorter than its size says', () => {
    const slot = new CursorSlot(createCursorSlot());
    expect(() => slot.write(CURSOR_MAX_SIZE + 1, 1, 0, 0, new Uint8Array((CURSOR_MAX_SIZE + 1) * 4))).toThrow(RangeError);
    expect(() => slot.write(4, 4, 0, 0, new Uint8Array(60))).toThrow(RangeError);
  });

  it('readers in other threads never see a glyph mixed from two writes', async () => {
    const sab = createCursorSlot();
    const seed = Math.floor(Math.random() * 1e9);
    // Started together once all three are up (worker start-up can take longer than a reader's
    // whole run on a loaded machine), so the readers really race the writer.
    const start = new SharedArrayBuffer(4);
    const writer = startWorker('test/support/cursor-slot-worker', { role: 'writer', slot: sab, iterations: 40_000, seed, start });
    const readers = [1, 2].map((i) => startWorker('test/support/cursor-slot-worker', { role: 'reader', slot: sab, iterations: 60_000, seed: seed + i, start }));
    await Promise.all([writer, ...readers].map((w) => nextMessage<{ ready?: boolean }>(w, (m) => m.ready === true)));
    Atomics.store(new Int32Array(start), 0, 1);
    Atomics.notify(new Int32Array(start), 0);
    const results = await Promise.all(readers.map((r) => nextMessage<{ whole: number; torn: number; bad: number }>(r, (m) => !('ready' in m))));
    await nextMessage(writer, (m: { ready?: boolean }) => !('ready' in m));
    await Promise.all([writer, ...readers].map((w) => exited(w)));
    for (const r of results) {
      expect(r.bad, `seed ${seed}`).toBe(0);
      expect(r.whole + r.torn).toBe(60_000);
    }
    expect(results.reduce((n, r) => n + r.whole, 0)).toBeGreaterThan(0);
  });
});
