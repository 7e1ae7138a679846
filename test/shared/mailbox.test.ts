import { describe, expect, it } from 'vitest';

import { MailboxClosedError, MailboxTimeoutError } from '../../shared/mailbox/errors.js';
import { Mailbox, createMailboxBuffer } from '../../shared/mailbox/mailbox.js';
import { RECORD_ARGS } from '../../shared/mailbox/layout.js';
import { newRecord, splitU64, u32, u64, u64Big } from '../../shared/mailbox/record.js';
import { WaitAbandonedError } from '../../shared/wait-abandoned.js';

function mailbox(capacity: number, park: 'futex' | 'atomics' = 'futex'): Mailbox {
  return new Mailbox(createMailboxBuffer({ capacity, park }), 'test');
}

describe('mailbox, one thread', () => {
  it('delivers records in order with their kind and arguments', () => {
    const mb = mailbox(8);
    const rec = newRecord();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 8; i++) mb.enqueue(100 + i, [i, -1, 0xffffffff, round]);
      for (let i = 0; i < 8; i++) {
        expect(mb.tryDequeue(rec)).toBe(true);
        expect(rec.kind).toBe(100 + i);
        expect(u32(rec.args, 0)).toBe(i);
        expect(u32(rec.args, 1)).toBe(0xffffffff);
        expect(u32(rec.args, 2)).toBe(0xffffffff);
        expect(rec.args[3]).toBe(round);
        expect(rec.args[4]).toBe(0);
      }
      expect(mb.tryDequeue(rec)).toBe(false);
    }
    const s = mb.stats();
    expect(s).toMatchObject({ enqueued: 40, dequeued: 40, depth: 0, closed: false });
  });

  it('carries 64-bit arguments as two words and refuses what a number cannot hold', () => {
    const [lo, hi] = splitU64(2 ** 53 - 1);
    const mb = mailbox(2);
    mb.enqueue(1, [lo, hi, 0xffffffff, 0xffffffff]);
    const rec = newRecord();
    mb.tryDequeue(rec);
    expect(u64(rec.args, 0)).toBe(2 ** 53 - 1);
    expect(u64(rec.args, 2)).toBeNaN();
    expect(u64Big(rec.args, 2)).toBe(2n ** 64n - 1n);
    expect(() => splitU64(2 ** 53)).toThrow(RangeError);
    expect(() => splitU64(-1)).toThrow(RangeError);
    expect(() => mb.enqueue(1, new Array(RECORD_ARGS + 1).fill(0))).toThrow(RangeError);
  });

  it('refuses bad capacities and foreign buffers', () => {
    for (const capacity of [0, 1, 3, 1.5, 2 ** 25]) expect(() => createMailboxBuffer({ capacity })).toThrow(RangeError);
    expect(() => new Mailbox(new SharedArrayBuffer(1024))).toThrow(TypeError);
  });

  it('applies back-pressure when full: a bounded wait times out instead of dropping', () => {
    const mb = mailbox(4);
    for (let i = 0; i < 4; i++) mb.post(1, i);
    expect(() => mb.enqueue(1, [99], 20)).toThrow(MailboxTimeoutError);
    const rec = newRecord();
    for (let i = 0; i < 4; i++) {
      expect(mb.tryDequeue(rec)).toBe(true);
      expect(rec.args[0]).toBe(i);
    }
    expect(mb.tryDequeue(rec)).toBe(false);
    expect(mb.stats().producerWaits).toBeGreaterThan(0);
  });

  it('a producer waiting on a full mailbox gives up when its give-up check says so, and only then', () => {
    const mb = mailbox(4);
    for (let i = 0; i < 4; i++) mb.post(1, i);
    let asked = 0;
    mb.giveUpWaitsWhen(() => ++asked >= 3);
    expect(() => mb.post(1, 99)).toThrow(WaitAbandonedError);
    expect(asked).toBe(3); // asked after each park; the first two said "keep waiting"
    expect(mb.stats().depth).toBe(4); // nothing half-posted
    mb.giveUpWaitsWhen(() => false);
    expect(() => mb.enqueue(1, [99], 20)).toThrow(MailboxTimeoutError);
  });

  it('refuses enqueues once closed and reports closed to the consumer', () => {
    const mb = mailbox(4);
    mb.post(1);
    mb.close();
    expect(() => mb.post(2)).toThrow(MailboxClosedError);
    const rec = newRecord();
    expect(mb.tryDequeue(rec)).toBe(true);
    expect(mb.waitForWork(0, 1000)).toBe('closed');
  });

  it('parks the consumer and times out when nobody rings', () => {
    for (const park of ['futex', 'atomics'] as const) {
      const mb = mailbox(4, park);
      const t0 = performance.now();
      expect(mb.waitForWork(10, 30)).toBe('timed-out');
      expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
      expect(mb.stats().consumerParks).toBe(1);
      mb.post(1);
      expect(mb.waitForWork(0, 1000)).toBe('ready');
    }
  });
});

describe('mailbox tryEnqueue (for producers that must never wait)', () => {
  it('refuses when full without waiting, and accepts again once there is room', () => {
    const mb = mailbox(2);
    expect(mb.tryEnqueue(1, [10])).toBe(true);
    expect(mb.tryEnqueue(1, [11])).toBe(true);
    const t0 = performance.now();
    expect(mb.tryEnqueue(1, [12])).toBe(false);
    expect(performance.now() - t0).toBeLessThan(50);
    const rec = newRecord();
    expect(mb.tryDequeue(rec) && rec.args[0]).toBe(10);
    expect(mb.tryEnqueue(1, [12])).toBe(true);
    expect(mb.tryDequeue(rec) && rec.args[0]).toBe(11);
    expect(mb.tryDequeue(rec) && rec.args[0]).toBe(12);
    expect(mb.stats().producerWaits).toBe(0);
    expect(mb.tryPost(2, 1, 2, 3, 4, 5, 6, 7)).toBe(true);
    expect(mb.tryPost(2, 8)).toBe(true);
    expect(mb.tryPost(2, 9)).toBe(false);
    expect(mb.tryDequeue(rec) && [rec.kind, ...rec.args.subarray(0, 8)]).toEqual([2, 1, 2, 3, 4, 5, 6, 7, 0]);
    mb.close();
    expect(() => mb.tryEnqueue(1, [])).toThrow(MailboxClosedError);
  });
});
