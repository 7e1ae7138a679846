// The qemu model's BQL: vCPU-like holders that wait in AIO_WAIT_WHILE lending the lock, and
// bottom halves that take it or borrow it, all bumping one non-atomic counter with random holds
// and pauses: nothing is lost (never two holders), and the lock's accounting is exact — every
// take counted once, every lend counted once on each side, the waits the threads saw summed.
import { describe, expect, it } from 'vitest';

import { Bql, createBqlBuffer } from '../../shared/lock/bql.js';
import { native } from '../../shared/native/addon.js';
import { exited, nextMessage, startWorker } from '../support/spawn.js';

describe('Bql', () => {
  it('uncontended: counted once each, no wait, holds timed', () => {
    const bql = new Bql(createBqlBuffer());
    expect(bql.lock(1)).toBe(0);
    expect(bql.owner()).toBe(1);
    bql.unlock();
    expect(bql.owner()).toBe(0);
    expect(bql.tryLock(2)).toBe(true);
    expect(bql.tryLock(3)).toBe(false);
    bql.unlock();
    const bh = bql.bhEnter(4);
    expect(bh).toEqual({ entry: 'taken', waitedMs: 0 });
    bql.bhExit(bh.entry);
    const s = bql.stats();
    expect(s).toMatchObject({ acquisitions: 3, contended: 0, waitMs: 0, lends: 0, aioWaits: 0 });
    expect(s.holdMs).toBeGreaterThanOrEqual(0);
  });

  it('a holder that leaves AIO_WAIT_WHILE with nobody asking lends nothing', () => {
    const bql = new Bql(createBqlBuffer());
    bql.lock(1);
    bql.aioEnter();
    expect(bql.lendAsked()).toBe(false);
    expect(bql.serveLend()).toBe(false);
    bql.aioLeave(0.5);
    bql.unlock();
    expect(bql.stats()).toMatchObject({ lends: 0, aioWaits: 1, aioWaitMs: 0.5 });
  });

  it('a holder asleep in AIO_WAIT_WHILE is woken by every BH that asks: 3 BHs, 2000 lends each, none slept through', async () => {
    const sab = createBqlBuffer();
    const counter = new SharedArrayBuffer(4);
    const start = new SharedArrayBuffer(4);
    const done = new SharedArrayBuffer(4);
    const seed = Math.floor(Math.random() * 1e9);
    const iterations = 2000;
    const roles = ['parked-vcpu', 'bh', 'bh', 'bh'] as const;
    const workers = roles.map((role, i) => startWorker('test/support/bql-worker', { lock: sab, counter, start, done, iterations, seed: seed + i, role }));
    await Promise.all(workers.map((w) => nextMessage(w, (m) => m === 'ready')));
    type Report = { waitedMs: number; lent: number; lentFromHere: number; sleptThrough: number };
    const reports = workers.map((w) => nextMessage<Report>(w, (m) => typeof m === 'object'));
    Atomics.store(new Int32Array(start), 0, 1);
    Atomics.notify(new Int32Array(start), 0);
    const bhs = await Promise.all(reports.slice(1));
    // The BHs are done: end the holder's access (its "device" answers).
    Atomics.store(new Int32Array(done), 0, 1);
    native.futexWake(new Int32Array(done), 0, 1);
    const holder = await reports[0]!;
    await Promise.all(workers.map((w) => exited(w)));
    expect(bhs.map((r) => r.lent)).toEqual([iterations, iterations, iterations]); // the holder never let go
    expect(holder.lentFromHere).toBe(3 * iterations);
    expect(holder.sleptThrough, `seed ${seed}`).toBe(0);
    expect(new Int32Array(counter)[0]).toBe(3 * iterations);
  });

  it.each([1, 2, 3])('2 vCPUs and 3 bottom halves, random timing (round %i): exact count, exact accounting', async () => {
    const sab = createBqlBuffer();
    const counter = new SharedArrayBuffer(4);
    const start = new SharedArrayBuffer(4);
    const seed = Math.floor(Math.random() * 1e9);
    const iterations = 3000;
    const roles = ['vcpu', 'vcpu', 'bh', 'bh', 'bh'] as const;
    const workers = roles.map((role, i) => startWorker('test/support/bql-worker', { lock: sab, counter, start, iterations, seed: seed + i, role }));
    await Promise.all(workers.map((w) => nextMessage(w, (m) => m === 'ready')));
    const reports = Promise.all(workers.map((w) => nextMessage<{ waitedMs: number; lent: number; lentFromHere: number }>(w, (m) => typeof m === 'object')));
    Atomics.store(new Int32Array(start), 0, 1);
    Atomics.notify(new Int32Array(start), 0);
    const seen = await reports;
    await Promise.all(workers.map((w) => exited(w)));
    const vcpuIterations = 2 * iterations;
    // Each vCPU iteration bumps twice, each BH once: a lost bump means two holders at once.
    expect(new Int32Array(counter)[0], `seed ${seed}`).toBe(2 * vcpuIterations + 3 * iterations);
    const s = new Bql(sab).stats();
    expect(s.acquisitions, `seed ${seed}`).toBe(vcpuIterations + 3 * iterations);
    expect(s.aioWaits).toBe(vcpuIterations);
    const lentToBhs = seen.slice(2).reduce((n, r) => n + r.lent, 0);
    const lentByVcpus = seen.slice(0, 2).reduce((n, r) => n + r.lentFromHere, 0);
    expect(s.lends).toBe(lentToBhs);
    expect(s.lends).toBe(lentByVcpus);
    expect(s.lends, `seed ${seed}: no bottom half ever borrowed the lock`).toBeGreaterThan(0);
    // The waits the threads measured, summed, are the lock's (each add rounds to a nanosecond).
    const waited = seen.reduce((n, r) => n + r.waitedMs, 0);
    expect(Math.abs(s.waitMs - waited)).toBeLessThan(1e-6 * s.acquisitions + 1e-9);
    expect(s.contended).toBeGreaterThan(0);
    expect(s.holdMs).toBeGreaterThan(0);
    expect(s.lentMs).toBeLessThanOrEqual(s.holdMs);
  });
});
