// The device actor's hand-off of display events to the compositor: never blocks, never reorders,
// never drops an encode answer, and keeps a bounded backlog while the compositor does not take
// records (hardening finding 8) by dropping events a newer one of the same kind supersedes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { DisplayEvents } from '../../../actors/device/display-events.js';
import { CompositorKind } from '../../../actors/compositor/messages.js';
import { Mailbox, createMailboxBuffer } from '../../../shared/mailbox/mailbox.js';
import { newRecord } from '../../../shared/mailbox/record.js';

const DEVICE = 3;
const DISPLAYS = 3;
const KINDS = [
  CompositorKind.ModeChange,
  CompositorKind.NewFrame,
  CompositorKind.EncodeDone,
  CompositorKind.CursorGlyph,
  CompositorKind.CursorShow,
  CompositorKind.CursorMove,
];
/** Kinds that state "what is now", one of each per display may wait. */
const SUPERSEDABLE = KINDS.length - 1;

interface Posted {
  kind: CompositorKind;
  display: number;
  /** Unique and increasing: the record's last word, so order and identity can be checked. */
  id: number;
}

function post(events: DisplayEvents, e: Posted): void {
  switch (e.kind) {
    case CompositorKind.ModeChange:
      return events.modeChange(e.display, 640, 480, e.id);
    case CompositorKind.NewFrame:
      return events.newFrame(e.display, e.id, 0);
    case CompositorKind.EncodeDone:
      return events.encodeDone(e.display, 1, 0, 7, e.id);
    case CompositorKind.CursorGlyph:
      return events.cursorGlyph(e.display, e.id, () => undefined);
    case CompositorKind.CursorShow:
      return events.cursorShow(e.display, (e.id & 1) === 1);
    default:
      return events.cursorMove(e.display, 5, e.id);
  }
}

/** The word that identifies a record: the id, or for CursorShow (which carries a bit) id & 1. */
const KEY_WORD: Record<CompositorKind, number> = {
  [CompositorKind.ModeChange]: 4,
  [CompositorKind.NewFrame]: 2,
  [CompositorKind.EncodeDone]: 5,
  [CompositorKind.CursorGlyph]: 2,
  [CompositorKind.CursorShow]: 2,
  [CompositorKind.CursorMove]: 3,
};
const keyOf = (e: Posted) => (e.kind === CompositorKind.CursorShow ? e.id & 1 : e.id);

describe('DisplayEvents', () => {
  it('forwards straight into the mailbox while it has room, nothing waiting', () => {
    const mailbox = new Mailbox(createMailboxBuffer({ capacity: 16 }), 'compositor');
    const events = new DisplayEvents(mailbox, DEVICE);
    events.modeChange(0, 800, 600, 2);
    events.newFrame(0, 1, 0);
    events.cursorMove(1, 10, 20);
    expect({ forwarded: events.forwarded, backlogged: events.backlogged, waiting: events.waiting }).toEqual({ forwarded: 3, backlogged: 0, waiting: 0 });
    const rec = newRecord();
    expect(mailbox.tryDequeue(rec)).toBe(true);
    expect([rec.kind, ...rec.args.slice(0, 5)]).toEqual([CompositorKind.ModeChange, DEVICE, 0, 800, 600, 2]);
  });

  it('a compositor that takes nothing: a million events from a hostile guest leave a handful waiting', () => {
    const mailbox = new Mailbox(createMailboxBuffer({ capacity: 4 }), 'compositor');
    const events = new DisplayEvents(mailbox, DEVICE);
    for (let n = 0; n < 1_000_000; n++) {
      const display = n % DISPLAYS;
      if (n % 3 === 0) events.modeChange(display, 640 + (n % 2) * 160, 480, n);
      else if (n % 3 === 1) events.cursorMove(display, n & 1023, 7);
      else events.newFrame(display, n, 0);
    }
    expect(events.waiting).toBeLessThanOrEqual(DISPLAYS * 3);
    expect(events.forwarded + events.coalesced + events.waiting).toBe(1_000_000);
  });

  it('never reorders, never drops an encode answer or the latest of anything; the backlog stays bounded', () => {
    // Mostly posts, so the backlog grows past its bound unless superseded events are dropped.
    const op = fc.oneof(
      { weight: 6, arbitrary: fc.record({ post: fc.constantFrom(...KINDS), display: fc.integer({ min: 0, max: DISPLAYS - 1 }) }) },
      { weight: 1, arbitrary: fc.record({ drain: fc.integer({ min: 0, max: 6 }) }) },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 50, maxLength: 400, size: 'max' }), (ops) => {
        const mailbox = new Mailbox(createMailboxBuffer({ capacity: 4 }), 'compositor');
        const events = new DisplayEvents(mailbox, DEVICE);
        const posted: Posted[] = [];
        const received: { kind: CompositorKind; display: number; key: number }[] = [];
        const receive = (max: number) => {
          const rec = newRecord();
          for (let i = 0; i < max && mailbox.tryDequeue(rec); i++) {
            expect(rec.args[0]).toBe(DEVICE);
            const kind = rec.kind as CompositorKind;
            received.push({ kind, display: rec.args[1]!, key: rec.args[KEY_WORD[kind]]! });
          }
          events.flush();
        };
        for (const o of ops) {
          if ('post' in o) {
            const e = { kind: o.post, display: o.display, id: posted.length + 1 };
            posted.push(e);
            post(events, e);
            const answersWaiting =
              posted.filter((p) => p.kind === CompositorKind.EncodeDone).length - received.filter((r) => r.kind === CompositorKind.EncodeDone).length;
            expect(events.waiting).toBeLessThanOrEqual(DISPLAYS * SUPERSEDABLE + answersWaiting);
          } else {
            receive(o.drain);
          }
        }
        while (events.waiting > 0 || mailbox.stats().depth > 0) receive(4);
        expect(events.forwarded + events.coalesced).toBe(posted.length);
        expect(received).toHaveLength(events.forwarded);
        // What arrived is a subsequence of what was posted, in order.
        let p = 0;
        for (const r of received) {
          while (p < posted.length && !(posted[p]!.kind === r.kind && posted[p]!.display === r.display && keyOf(posted[p]!) === r.key)) p++;
          expect(p, 'received in post order').toBeLessThan(posted.length);
          p++;
        }
        // What did not arrive was superseded by a newer event of its kind and display, never an encode answer.
        const arrived = new Set(received.filter((r) => r.kind !== CompositorKind.CursorShow).map((r) => r.key));
        for (const [i, e] of posted.entries()) {
          if (e.kind === CompositorKind.CursorShow || arrived.has(e.id)) continue;
          expect(e.kind, 'an encode answer was dropped').not.toBe(CompositorKind.EncodeDone);
          expect(
            posted.slice(i + 1).some((later) => later.kind === e.kind && later.display === e.display),
            'a dropped event has a newer one',
          ).toBe(true);
        }
        // The latest of each kind and display arrives, and arrives last.
        for (const kind of KINDS) {
          for (let d = 0; d < DISPLAYS; d++) {
            const lastPosted = posted.filter((e) => e.kind === kind && e.display === d).pop();
            const lastReceived = received.filter((e) => e.kind === kind && e.display === d).pop();
            expect(lastReceived?.key).toBe(lastPosted ? keyOf(lastPosted) : undefined);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
