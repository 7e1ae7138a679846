// A VNC client's keys and pointer as records for the display's virtio-input devices: key codes
// from keysyms, positions scaled to the tablet's axes, RFB's wheel buttons dropped; nothing
// routed when the display has no input devices or the server is view-only; a full input
// mailbox drops (and counts) instead of waiting.
import { describe, expect, it } from 'vitest';

import { InputRoute } from '../../../outputs/vnc-sink/input-route.js';
import { InputKind } from '../../../abi/generated/input-records.js';
import { VIRTIO_INPUT_ABS_MAX } from '../../../abi/generated/virtio.js';
import { Mailbox, createMailboxBuffer } from '../../../shared/mailbox/mailbox.js';
import { newRecord } from '../../../shared/mailbox/record.js';

const drain = (mb: Mailbox) => {
  const out: number[][] = [];
  const r = newRecord();
  while (mb.tryDequeue(r)) out.push([r.kind, ...Array.from(r.args.subarray(0, 4))]);
  return out;
};

describe('InputRoute', () => {
  it('sends keys to the keyboard and pointer moves to the tablet, scaled and masked', () => {
    const buffer = createMailboxBuffer({ capacity: 16 });
    const mb = new Mailbox(buffer, 'input');
    const route = new InputRoute({ mailbox: buffer, keyboard: 4, tablet: 5 }, false);
    route.key(0x61, true); // a
    route.key(0x61, false);
    route.key(0x20ac, true); // EuroSign: no US key
    route.pointer(319, 0, 0b11001, 320, 200); // left + wheel bits
    route.pointer(-10, 500, 0b100, 320, 200); // clamped; right button
    expect(drain(mb)).toEqual([
      [InputKind.Key, 4, 30, 1, 0],
      [InputKind.Key, 4, 30, 0, 0],
      [InputKind.Pointer, 5, VIRTIO_INPUT_ABS_MAX, 0, 0b001],
      [InputKind.Pointer, 5, 0, VIRTIO_INPUT_ABS_MAX, 0b100],
    ]);
    expect(route.counts).toEqual({ forwarded: 4, dropped: 0, unmappedKeys: 1, notRouted: 0 });
  });

  it('routes nothing without input devices or when view-only', () => {
    const buffer = createMailboxBuffer({ capacity: 16 });
    for (const route of [new InputRoute(null, false), new InputRoute({ mailbox: buffer, keyboard: 0, tablet: 1 }, true)]) {
      route.key(0x61, true);
      route.pointer(1, 1, 1, 320, 200);
      expect(route.counts).toEqual({ forwarded: 0, dropped: 0, unmappedKeys: 0, notRouted: 2 });
    }
    expect(drain(new Mailbox(buffer, 'input'))).toEqual([]);
  });

  it('drops and counts when the input mailbox is full, never waits', () => {
    const buffer = createMailboxBuffer({ capacity: 2 });
    const route = new InputRoute({ mailbox: buffer, keyboard: 0, tablet: 1 }, false);
    for (let i = 0; i < 5; i++) route.key(0x61, i % 2 === 0);
    expect(route.counts).toMatchObject({ forwarded: 2, dropped: 3 });
  });
});
