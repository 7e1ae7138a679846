// The spin gate: a cap on how many threads spin at once, across worker threads, and waits that
// still end when the gate has no place for them (they park at once).
import { afterEach, describe, expect, it } from 'vitest';

import { SPIN_GATE_SPINNING, createSpinGateBuffer, enterSpin, installSpinGate, leaveSpin, spinBudgetNow, spinDone } from '../../shared/doorbell/spin-gate.js';
import { createMailboxBuffer, Mailbox } from '../../shared/mailbox/mailbox.js';
import { nextMessage, startWorker } from '../support/spawn.js';

afterEach(() => installSpinGate(null));

describe('spin gate', () => {
  it('without a gate every spin is allowed', () => {
    installSpinGate(null);
    expect(enterSpin()).toBe(true);
    leaveSpin();
    expect(spinBudgetNow(500)).toBe(500);
  });

  it('grants places up to the limit, then budgets of 0, and counts them back', () => {
    const sab = createSpinGateBuffer(2);
    const words = new Int32Array(sab);
    installSpinGate(sab);
    const a = spinBudgetNow(100);
    const b = spinBudgetNow(100);
    const c = spinBudgetNow(100);
    expect([a, b, c]).toEqual([100, 100, 0]);
    expect(words[SPIN_GATE_SPINNING]).toBe(2);
    spinDone(c);
    spinDone(b);
    expect(words[SPIN_GATE_SPINNING]).toBe(1);
    spinDone(a);
    expect(words[SPIN_GATE_SPINNING]).toBe(0);
    expect(spinBudgetNow(0)).toBe(0); // asking for no spin takes no place
    expect(words[SPIN_GATE_SPINNING]).toBe(0);
  });

  it('refuses a limit that is not a whole number ≥ 0', () => {
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => createSpinGateBuffer(bad)).toThrow(RangeError);
  });

  it('eight worker threads hammering a gate of 3 never hold more than 3 places, and all come back', async () => {
    const gate = createSpinGateBuffer(3);
    const inside = new SharedArrayBuffer(8);
    const workers = Array.from({ length: 8 }, () => startWorker('test/support/spin-gate-hammer', { gate, inside, rounds: 20_000 }));
    await Promise.all(workers.map((w) => nextMessage(w)));
    await Promise.all(workers.map((w) => w.terminate()));
    const counter = new Int32Array(inside);
    expect(counter[1]).toBeGreaterThanOrEqual(1);
    expect(counter[1]).toBeLessThanOrEqual(3);
    expect(new Int32Array(gate)[SPIN_GATE_SPINNING]).toBe(0);
  });

  it('a mailbox consumer with no place parks and still gets the record posted later', async () => {
    const gate = createSpinGateBuffer(0);
    installSpinGate(gate);
    const box = new Mailbox(createMailboxBuffer({ capacity: 8, park: 'atomics' }), 'gated');
    setTimeout(() => box.post(3, 9), 20);
    expect(await box.waitForWorkAsync(1_000_000, 2_000)).toBe('ready');
    expect(box.stats().consumerParks).toBe(1);
    expect(new Int32Array(gate)[SPIN_GATE_SPINNING]).toBe(0);
  });
});
