// How an actor that must keep its event loop running (the compositor: VNC sinks, control calls,
// the qemu model's refresh timer) waits for records. A park on the event loop costs, per wake,
// an eventfd read, a libuv poll, a call into JavaScript and a promise: several times a futex
// wake, and at thousands of frames a second that cost capped the compositor (docs/scaling.md).
// So while records keep coming (one within HOT_MS) the actor blocks on its mailbox's futex
// instead, never past the next yield, and yields to its event loop at least every YIELD_MS; once
// records stop for HOT_MS it parks on the event loop again, which costs nothing while idle.

/** Records this recent keep the actor blocking on its futex rather than parking on its event loop. */
export const HOT_MS = 2;
/** While it blocks, the actor's event loop runs at least this often (sink messages, timers). */
export const YIELD_MS = 1;

/** What to do with an empty mailbox: park on the event loop, yield to it now, or block for `ms`. */
export type ParkPlan = { kind: 'event-loop' } | { kind: 'yield' } | { kind: 'block'; ms: number };

const EVENT_LOOP: ParkPlan = { kind: 'event-loop' };
const YIELD: ParkPlan = { kind: 'yield' };

export class ParkPolicy {
  private lastRecord = Number.NEGATIVE_INFINITY;
  private lastYield = 0;
  private readonly block = { kind: 'block' as const, ms: 0 };

  /** Records were handled at `now` (performance.now()). */
  handled(now: number): void {
    this.lastRecord = now;
  }

  /** The event loop ran at `now` (a yield, or a park on it ended). */
  yielded(now: number): void {
    this.lastYield = now;
  }

  plan(now: number): ParkPlan {
    const sinceRecord = now - this.lastRecord;
    if (sinceRecord >= HOT_MS) return EVENT_LOOP;
    const sinceYield = now - this.lastYield;
    if (sinceYield >= YIELD_MS) return YIELD;
    this.block.ms = Math.min(YIELD_MS - sinceYield, HOT_MS - sinceRecord);
    return this.block;
  }
}
