// An event-loop consumer's park (park mode 'event-loop'): the one timer it re-arms for every park
// must end exactly the parks that time out, never a later one, and a ring must end the park under
// way, whatever the order of rings, timeouts and parks.
import { afterEach, describe, expect, it } from 'vitest';

import { Mailbox, createMailboxBuffer } from '../../shared/mailbox/mailbox.js';
import { newRecord } from '../../shared/mailbox/record.js';

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
