// An event-loop consumer's park (park mode 'event-loop'): the one timer it re-arms for every park
// must end exactly the parks that time out, never a later one, and a ring must end the park under
// way, whatever the order of rings, timeouts and parks.
import { afterEach, describe, expect, it } from 'vitest';

import { Mailbox, createMailboxBuffer } from '../../shared/mailbox/mailbox.js';
import { newRecord } from '../../shared/mailbox/record.js';
import { nativeTesting } from '../../bench/native-testing.js';
import { MailboxWord } from '../../shared/mailbox/layout.js';
import { native } from '../../shared/native/addon.js';

const open: Mailbox[] = [];

function eventLoopMailbox(): Mailbox {
  const mb = new Mailbox(createMailboxBuffer({ capacity: 8, park: 'event-loop' }), 'park-test');
  open.push(mb);
  return mb;
}

afterEach(() => {
  for (const mb of open.splice(0)) mb.releaseEventLoop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('mailbox event-loop park', () => {
  it('times out a park with nothing to do, then again (the re-armed timer counts from the new park)', async () => {
    const mb = eventLoopMailbox();
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      expect(await mb.waitForWorkAsync(0, 15)).toBe('timed-out');
      expect(performance.now() - t0).toBeGreaterThanOrEqual(14);
    }
  });

  it('a ring ends the park under way, and the timer of a park a ring ended does not end the next one', async () => {
    const mb = eventLoopMailbox();
    const rec = newRecord();
    setTimeout(() => mb.enqueue(1, [7]), 2);
    expect(await mb.waitForWorkAsync(0, 40)).toBe('ready');
    expect(mb.tryDequeue(rec)).toBe(true);
    // No limit now: the earlier park's 40 ms would have ended by 40 ms; the producer comes at 70.
    setTimeout(() => mb.enqueue(2, [8]), 70);
    const t0 = performance.now();
    expect(await mb.waitForWorkAsync(0, -1)).toBe('ready');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(60);
    expect(mb.tryDequeue(rec)).toBe(true);
    expect(rec.kind).toBe(2);
  });

  it('a re-armed park is not ended early by the earlier park timer still pending', async () => {
    const mb = eventLoopMailbox();
    setTimeout(() => mb.enqueue(1), 1);
    expect(await mb.waitForWorkAsync(0, 30)).toBe('ready');
    mb.tryDequeue(newRecord());
    await sleep(20); // the first park's timer would fire 10 ms into the next park
    const t0 = performance.now();
    expect(await mb.waitForWorkAsync(0, 30)).toBe('timed-out');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
  });

  it('over many parks with random timeouts and producer delays, every record is seen and no park ends untimely', async () => {
    const mb = eventLoopMailbox();
    const rec = newRecord();
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    let sent = 0;
    let got = 0;
    for (let i = 0; i < 300; i++) {
      const timeout = [-1, 0, 1, 3][rand(4)]!;
      const delay = rand(5);
      const produce = timeout < 0 || rand(2) === 0;
      if (produce) {
        const n = ++sent;
        if (delay === 0) setImmediate(() => mb.enqueue(n));
        else setTimeout(() => mb.enqueue(n), delay);
      }
      const t0 = performance.now();
      const outcome = await mb.waitForWorkAsync(rand(3) * 8, timeout);
      if (timeout < 0) expect(outcome).not.toBe('timed-out'); // 'woken': a ring left over from a park a timeout ended
      if (outcome === 'timed-out') expect(performance.now() - t0).toBeGreaterThanOrEqual(timeout - 1);
      else expect(['ready', 'woken']).toContain(outcome);
      if (produce) {
        // Whatever ended the park, the record arrives: wait for it without limit.
        while (!mb.hasWork()) expect(await mb.waitForWorkAsync(0, -1)).not.toBe('timed-out');
      }
      while (mb.tryDequeue(rec)) expect(rec.kind).toBe(++got);
    }
    expect(got).toBe(sent);
  });
});

// An event-loop consumer may block on the futex for a while (an actor while records keep coming,
// actors/runtime/park-policy.ts) and park on its event loop again: its eventfd leaves the header
// for the futex parks, so a native producer's ring must reach it either way. Native producer
// threads with random gaps (up to 3 ms: a producer always comes within the parks' 2 s bound)
// against a consumer that picks its park at random: a lost wake shows as a park that times out.
describe('mailbox event-loop consumer that also blocks on the futex', () => {
  it('native producers wake it in either park, over many random switches; nothing is lost', async () => {
    const mb = eventLoopMailbox();
    const threads = 3;
    const perThread = 400;
    const handle = nativeTesting().startProducers(mb.words, { threads, perThread, kind: 5, producerIdBase: 0, seed: 99, maxJitterUs: 3000 });
    const rec = newRecord();
    const nextSeq = new Array<number>(threads).fill(0);
    let seed = 777;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    let got = 0;
    const parks = { futex: 0, eventLoop: 0 };
    while (got < threads * perThread) {
      if (!mb.hasWork()) {
        const futex = rand(2) === 0;
        const outcome = futex ? mb.waitForWork(rand(3) * 8, 2000) : await mb.waitForWorkAsync(rand(3) * 8, 2000);
        expect(outcome, `a ${futex ? 'futex' : 'event-loop'} park after ${got} records`).not.toBe('timed-out');
        parks[futex ? 'futex' : 'eventLoop']++;
      }
      while (mb.tryDequeue(rec)) {
        const [producer, seq, check] = rec.args;
        expect(rec.kind).toBe(5);
        expect(seq).toBe(nextSeq[producer!]!++);
        expect(check! >>> 0).toBe((Math.imul(producer!, 0x9e3779b1) ^ seq!) >>> 0);
        got++;
      }
    }
    expect(nativeTesting().joinProducers(handle)).toEqual({ enqueued: threads * perThread, errors: 0 });
    // Both kinds of park happened many times, each woken by the producers' rings.
    expect(parks.futex).toBeGreaterThan(50);
    expect(parks.eventLoop).toBeGreaterThan(50);
  }, 60_000);
});

describe('native.EventLoopDoorbell.publish', () => {
  it('takes the eventfd out of the header and puts it back; refuses a non-boolean and a closed doorbell', () => {
    const mb = new Mailbox(createMailboxBuffer({ capacity: 8, park: 'event-loop' }), 'publish-test');
    const doorbell = new native.EventLoopDoorbell(mb.words, () => undefined);
    try {
      expect(Atomics.load(mb.words, MailboxWord.EventLoopFd)).toBeGreaterThan(0);
      doorbell.publish(false);
      expect(Atomics.load(mb.words, MailboxWord.EventLoopFd)).toBe(0);
      // With none published, a JavaScript producer's ring falls back to the futex (0 sleepers woken).
      expect(native.ringEventLoop(mb.words)).toBe(0);
      doorbell.publish(true);
      expect(Atomics.load(mb.words, MailboxWord.EventLoopFd)).toBeGreaterThan(0);
      expect(native.ringEventLoop(mb.words)).toBe(1);
      expect(() => doorbell.publish(1 as unknown as boolean)).toThrow(TypeError);
    } finally {
      doorbell.close();
    }
    expect(Atomics.load(mb.words, MailboxWord.EventLoopFd)).toBe(0);
    expect(() => doorbell.publish(true)).toThrow(/closed/);
  });
});
