// Devices deliver through the shared interrupt table on their own threads while a masker flips
// the lines' masks and the vCPU takes and EOIs, all with random timing: no pulse is lost (each
// is delivered or latched, and every latch goes out at the final unmask), every delivery that
// set a pending bit is taken and EOI'd exactly once, and no EOI is counted as spurious.
import { describe, expect, it } from 'vitest';

import { createInterruptTable, InterruptTable, type LineConfig } from '../../../shared/irq/interrupt-table.js';
import { createVcpuIrqBuffer, VcpuIrqState } from '../../../shared/irq/vcpu-irq.js';
import { exited, nextMessage, startWorker } from '../../support/spawn.js';

const SOURCES = 4;
const ROUNDS = 3000;

describe('the interrupt table under concurrent sources, masks and EOIs', () => {
  it('loses no pulse, takes every delivery once and counts no spurious EOI', async () => {
    const lines: LineConfig[] = Array.from({ length: SOURCES }, (_, i) => ({ trigger: 'edge', vcpu: 0, vector: 0x30 + i }));
    const buffer = createInterruptTable(lines, 1);
    const vcpu = createVcpuIrqBuffer();
    const table = new InterruptTable(buffer, [new VcpuIrqState(vcpu)]);
    const control = new SharedArrayBuffer(4);
    const seed = Math.floor(Math.random() * 1e9);
    const common = { table: buffer, vcpus: [vcpu], control, rounds: ROUNDS };
    const taker = startWorker('test/support/irq-table-source', { ...common, role: 'vcpu', line: 0, msiVector: 0, seed });
    const masker = startWorker('test/support/irq-table-source', { ...common, role: 'masker', line: 0, msiVector: 0, seed: seed + 1 });
    const sources = Array.from({ length: SOURCES }, (_, i) =>
      startWorker('test/support/irq-table-source', { ...common, role: 'source', line: i, msiVector: 0x50 + i, seed: seed + 2 + i }),
    );
    await Promise.all(sources.map((w) => nextMessage(w)));
    Atomics.store(new Int32Array(control), 0, 1);
    const { toggles } = await nextMessage<{ toggles: number }>(masker);
    // Everything delivered is pending or being taken now; let the vCPU drain it, then stop it.
    const state = new VcpuIrqState(vcpu);
    const deadline = Date.now() + 10_000;
    const outstanding = () => [...lines.map((l) => l.vector), ...lines.map((_, i) => 0x50 + i)].reduce((n, v) => n + table.outstanding(0, v), 0);
    while ((state.pending() || outstanding() > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    state.requestStop();
    const { taken } = await nextMessage<{ taken: Record<number, number> }>(taker);
    await Promise.all([taker, masker, ...sources].map(exited));

    const c = table.counters();
    expect({ seed, spurious: c.spuriousEois, outstanding: outstanding() }).toEqual({ seed, spurious: 0, outstanding: 0 });
    expect(toggles).toBeGreaterThan(0);
    const takenTotal = Object.values(taken).reduce((a, b) => a + b, 0);
    expect(c.eois).toBe(takenTotal);
    let deliveries = 0;
    for (let i = 0; i < SOURCES; i++) {
      const l = table.line(i);
      expect(l.pulses).toBe(ROUNDS);
      expect(l.latched).toBe(false); // the final unmask sent every latch
      // Each pulse was delivered or latched; a latch goes out once at an unmask, however many it holds.
      expect(l.deliveries).toBeLessThanOrEqual(ROUNDS);
      expect(l.deliveries).toBeGreaterThanOrEqual(ROUNDS - l.maskedLatched);
      if (l.maskedLatched > 0) expect(l.deliveries).toBeGreaterThan(ROUNDS - l.maskedLatched);
      deliveries += l.deliveries;
    }
    expect(c.msis).toBe(SOURCES * ROUNDS);
    expect(c.msiDeliveries).toBe(SOURCES * ROUNDS);
    // Every delivery either set a pending bit (then taken once) or merged into one not yet taken.
    expect(takenTotal + c.coalesced).toBe(deliveries + c.msiDeliveries);
  }, 60_000);
});
