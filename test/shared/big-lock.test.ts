// The record-lock model's big lock: four threads incrementing a plain counter under it, with random
// holds and pauses, lose nothing; contention is counted and its waits timed.
import { describe, expect, it } from 'vitest';

import { BigLock, createBigLockBuffer } from '../../shared/lock/big-lock.js';
import { exited, nextMessage, startWorker } from '../support/spawn.js';

describe('BigLock', () => {
  it('uncontended: one CAS in, one out, counted', () => {
    const lock = new BigLock(createBigLockBuffer());
    expect(lock.lock()).toBe(0);
    lock.unlock();
    expect(lock.lock()).toBe(0);
    lock.unlock();
    expect(lock.stats()).toEqual({ acquisitions: 2, contended: 0, waitMs: 0 });
  });

  it('four threads, 20 000 increments each of a non-atomic counter: exact total', async () => {
    const sab = createBigLockBuffer();
    const counter = new SharedArrayBuffer(4);
    const seed = Math.floor(Math.random() * 1e9);
    const start = new SharedArrayBuffer(4);
    const workers = [0, 1, 2, 3].map((i) => startWorker('test/support/big-lock-worker', { lock: sab, counter, start, iterations: 20_000, seed: seed + i }));
    await Promise.all(workers.map((w) => nextMessage(w, (m) => m === 'ready')));
    const done = Promise.all(workers.map((w) => nextMessage(w, (m) => m === 'done')));
    Atomics.store(new Int32Array(start), 0, 1);
    Atomics.notify(new Int32Array(start), 0);
    await done;
    await Promise.all(workers.map((w) => exited(w)));
    expect(new Int32Array(counter)[0], `seed ${seed}`).toBe(80_000);
    const s = new BigLock(sab).stats();
    expect(s.acquisitions).toBe(80_000);
    expect(s.contended).toBeGreaterThan(0);
    expect(s.waitMs).toBeGreaterThan(0);
  });
});
