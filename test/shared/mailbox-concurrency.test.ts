// Many producers at once, JS workers and native threads, into one actor's mailbox: every record
// arrives exactly once and in per-producer order, under back-pressure, with random timing. Both
// consumer kinds: a thread that parks on the futex, and an event loop that parks asynchronously
// (park mode 'event-loop', woken through the addon's doorbell registry by native threads too).
import { afterEach, describe, expect, it } from 'vitest';

import { Supervisor } from '../../actors/runtime/supervisor.js';
import { MailboxWord } from '../../shared/mailbox/layout.js';
import { nativeTesting } from '../../bench/native-testing.js';
import type { EchoStats } from '../../bench/workers/echo/messages.js';
import { eventually, exited, nextMessage, startWorker } from '../support/spawn.js';

interface EchoControl {
  stats(): EchoStats;
  mailboxStats(): { producerWaits: number; consumerParks: number; dequeued: number; depth: number };
}

let vm: Supervisor | null = null;
afterEach(async () => {
  await vm?.shutdown();
  vm = null;
});

type Consumer = 'thread' | 'event-loop';

async function echoActor(capacity: number, spinBudget: number, parkTimeoutMs = 20, consumer: Consumer = 'thread') {
  vm = new Supervisor();
  const asyncPark = consumer === 'event-loop';
  const mailbox = vm.createMailbox('echo', { capacity, park: asyncPark ? 'event-loop' : 'futex' });
  return vm.spawn<EchoControl>({ name: 'echo', module: 'bench/workers/echo/worker', mailbox, spinBudget, parkTimeoutMs, asyncPark });
}

describe.each<{ consumer: Consumer }>([{ consumer: 'thread' }, { consumer: 'event-loop' }])(
  'mailbox under many producers, a $consumer consumer',
  ({ consumer }) => {
    it.each([
      { capacity: 8, label: 'a tiny mailbox (constant back-pressure)' },
      { capacity: 1024, label: 'a roomy mailbox' },
    ])('JS workers and native threads together into $label lose nothing', async ({ capacity }) => {
      const echo = await echoActor(capacity, 200, 20, consumer);
      const jsProducers = 3;
      const nativeProducers = 3;
      const perProducer = 20_000;
      const seed = Math.floor(Math.random() * 1e9);
      const workers = Array.from({ length: jsProducers }, (_, i) =>
        startWorker('test/support/stream-producer', {
          mailbox: echo.mailbox.buffer,
          producerId: i,
          count: perProducer,
          seed: seed + i,
          maxJitterUs: 200,
        }),
      );
      const handle = nativeTesting().startProducers(echo.mailbox.words, {
        threads: nativeProducers,
        perThread: perProducer,
        kind: 2,
        producerIdBase: 100,
        seed,
        maxJitterUs: 200,
      });
      const reports = await Promise.all(workers.map((w) => nextMessage<{ errors: number }>(w)));
      await Promise.all(workers.map(exited));
      await eventually(() => nativeTesting().producersDone(handle), 60_000, 'native producers');
      const joined = nativeTesting().joinProducers(handle);
      expect(reports.every((r) => r.errors === 0)).toBe(true);
      expect(joined).toEqual({ enqueued: nativeProducers * perProducer, errors: 0 });

      const total = (jsProducers + nativeProducers) * perProducer;
      await eventually(async () => (await echo.control.stats()).streamed === total, 30_000, 'all records consumed');
      const stats = await echo.control.stats();
      expect(stats.outOfOrder).toBe(0);
      expect(stats.badChecksums).toBe(0);
      for (let i = 0; i < jsProducers; i++) expect(stats.next[i]).toBe(perProducer);
      for (let i = 0; i < nativeProducers; i++) expect(stats.next[100 + i]).toBe(perProducer);
      const mb = echo.mailbox.stats();
      expect(mb.dequeued).toBe(total);
      expect(mb.depth).toBe(0);
      if (capacity === 8) expect(mb.producerWaits).toBeGreaterThan(0);
    });

    it('a native thread wakes a parked JS consumer', async () => {
      // No park timeout and no control calls until the record is handled: only the native
      // producer's ring can wake the actor.
      const echo = await echoActor(64, 0, 600_000, consumer);
      // Wait until the actor sleeps (in its futex, or its event loop), then let a native thread post one record.
      await eventually(() => Atomics.load(echo.mailbox.words, MailboxWord.DoorbellState) === 1, 5000, 'consumer parked');
      const parksBefore = echo.mailbox.stats().consumerParks;
      const t0 = performance.now();
      const handle = nativeTesting().startProducers(echo.mailbox.words, {
        threads: 1,
        perThread: 1,
        kind: 2,
        producerIdBase: 7,
        seed: 1,
        maxJitterUs: 0,
      });
      await eventually(() => echo.mailbox.stats().dequeued === 1, 5000, 'record handled');
      nativeTesting().joinProducers(handle);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(parksBefore).toBeGreaterThan(0);
      expect((await echo.control.stats()).next[7]).toBe(1);
    });
  },
);
