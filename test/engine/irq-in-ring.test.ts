// The ring header's IRQ word (docs/protocol.md §2, "Interrupt causes"): the engine ORs every cause
// it latches into it while the ring runs, so a guest's interrupt handler takes them from memory
// instead of reading IRQ_STATUS (an MMIO exit and a round trip to the device every interrupt).
import { afterEach, describe, expect, it } from 'vitest';

import { IrqCause } from '../../guest/ts/protocol.js';
import { EngineRig } from '../support/engine-rig.js';
import { runGuest } from '../support/run-guest.js';

interface Seen {
  advertised: boolean;
  atStart: number;
  afterFence: number;
  statusAfterFence: number;
  fenceTaken: number;
  afterTake: number;
  afterError: number;
  errorTaken: number;
  statusAfterErrorTaken: number;
  errorName: string;
  statusStopped: number;
  afterStoppedError: number;
  stoppedTaken: number;
}

let rig: EngineRig | null = null;
afterEach(async () => {
  await rig?.stop();
  rig = null;
});

describe('interrupt causes in the ring header', () => {
  it('carries each cause the engine latches while the ring runs, and only then', async () => {
    rig = new EngineRig();
    const s = await runGuest<Seen>(rig, 'irqInRing');
    expect(s.advertised).toBe(true);
    expect(s.atStart).toBe(0);
    // A fence with an interrupt: in the word and in IRQ_STATUS, before the fence is seen done.
    expect(s.afterFence & IrqCause.Fence).toBe(IrqCause.Fence);
    expect(s.statusAfterFence & IrqCause.Fence).toBe(IrqCause.Fence);
    expect(rig.interrupts).toBeGreaterThanOrEqual(1);
    // The driver takes the word whole and leaves it empty. Ring idle comes once the ring drains,
    // at any moment around these reads: left out of the comparisons.
    expect(s.fenceTaken & ~IrqCause.RingIdle).toBe(s.afterFence & ~IrqCause.RingIdle);
    expect(s.afterTake & ~IrqCause.RingIdle).toBe(0);
    // An error: OR-ed in beside the bit the guest left there, which the engine keeps.
    expect(s.afterError & IrqCause.Error).toBe(IrqCause.Error);
    expect((s.afterError & 0x8000_0000) >>> 0).toBe(0x8000_0000);
    expect(s.errorTaken & ~IrqCause.RingIdle).toBe(s.afterError & ~IrqCause.RingIdle);
    expect(s.errorName).toBe('bad-command');
    // …and acknowledged in IRQ_STATUS by the driver, so that a register read does not report it again.
    expect(s.statusAfterErrorTaken & IrqCause.Error).toBe(0);
    // With the ring stopped, an error is in IRQ_STATUS only, and the driver reads it from there.
    expect(s.statusStopped & IrqCause.Error).toBe(IrqCause.Error);
    expect(s.afterStoppedError & ~IrqCause.RingIdle).toBe(0);
    expect(s.stoppedTaken & IrqCause.Error).toBe(IrqCause.Error);
  });
});
