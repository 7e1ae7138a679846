import { describe, expect, it } from 'vitest';

import { ReplyError, ReplyErrorCode, ReplyTimeoutError } from '../../shared/reply/errors.js';
import { ReplyState, ReplyWord } from '../../shared/reply/layout.js';
import { ReplyTable, createReplyTableBuffer } from '../../shared/reply/reply-table.js';
import { WaitAbandonedError } from '../../shared/wait-abandoned.js';

function table(slots = 4, payload = 64): ReplyTable {
  return new ReplyTable(createReplyTableBuffer(slots, payload));
}

describe('reply slots', () => {
  it('delivers exactly one answer to the current request', () => {
    const t = table();
    const id = t.begin(2);
    expect(t.poll(2)).toBe(ReplyState.Pending);
    expect(t.reply(2, id, 41, 0xffffffff)).toBe(true);
    expect(t.reply(2, id, 99)).toBe(false); // a second answer is refused
    t.wait(2);
    expect(t.value(2, 0)).toBe(41);
    expect(t.value(2, 1)).toBe(0xffffffff);
    expect(t.poll(2)).toBe(ReplyState.Idle);
  });

  it('ignores a stale answer to an abandoned request', () => {
    const t = table();
    const first = t.begin(0);
    expect(() => t.wait(0, 0, 10)).toThrow(ReplyTimeoutError);
    const second = t.begin(0);
    expect(second).not.toBe(first);
    expect(t.reply(0, first, 1)).toBe(false);
    expect(t.poll(0)).toBe(ReplyState.Pending);
    expect(t.reply(0, second, 2)).toBe(true);
    t.wait(0);
    expect(t.value(0, 0)).toBe(2);
  });

  it('a requester gives up waiting when its give-up check says so; the next request works', () => {
    const t = table(2);
    t.begin(0);
    let asked = 0;
    expect(() => t.wait(0, 0, 10_000, () => ++asked >= 2)).toThrow(WaitAbandonedError);
    expect(asked).toBe(2);
    expect(t.words[t.base(0) + ReplyWord.Parked]).toBe(0);
    expect(() => t.wait(0, 0, 10, () => false)).toThrow(ReplyTimeoutError);
    const id = t.begin(0);
    expect(t.reply(0, id, 7)).toBe(true);
    t.wait(0, 0, 10, () => true); // answered: nothing to give up
    expect(t.value(0, 0)).toBe(7);
  });

  it('turns an error answer into a typed ReplyError', () => {
    const t = table();
    const id = t.begin(1);
    expect(t.fail(1, id, ReplyErrorCode.Refused)).toBe(true);
    try {
      t.wait(1);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ReplyError);
      expect((e as ReplyError).code).toBe(ReplyErrorCode.Refused);
    }
  });

  it('the supervisor sweep fails every pending slot and only those', () => {
    const t = table(8);
    t.begin(1);
    t.begin(5);
    const answered = t.begin(6);
    t.reply(6, answered, 7);
    expect(t.failAllPending(ReplyErrorCode.ActorDied)).toBe(2);
    expect(() => t.wait(1)).toThrow(ReplyError);
    expect(() => t.wait(5)).toThrow(/actor-died/);
    t.wait(6);
    expect(t.value(6, 0)).toBe(7);
  });

  it('gives each slot its own payload bytes and checks slot numbers', () => {
    const t = table(3, 128);
    t.payload(0).fill(1);
    t.payload(2).fill(3);
    expect(t.payload(1).every((b) => b === 0)).toBe(true);
    expect(t.payload(2).length).toBe(128);
    for (const bad of [-1, 3, 0.5, NaN]) expect(() => t.begin(bad)).toThrow(RangeError);
    expect(() => createReplyTableBuffer(0)).toThrow(RangeError);
    expect(() => createReplyTableBuffer(4, 10)).toThrow(RangeError);
  });

  it('waitAsync serves a main-thread requester without blocking its event loop', async () => {
    const t = table();
    const id = t.begin(3);
    setTimeout(() => t.reply(3, id, 5), 5);
    await t.waitAsync(3, 2000);
    expect(t.value(3, 0)).toBe(5);
    t.begin(3);
    await expect(t.waitAsync(3, 20)).rejects.toBeInstanceOf(ReplyTimeoutError);
  });
});
