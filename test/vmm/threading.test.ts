// The two threading models run the same actors: under 'bql' every handler takes one global lock.
// The guest must not be able to tell (same pixels for the same seed), the lock must really be
// taken, and its waits must show on the timeline.
import { describe, expect, it } from 'vitest';

import { Vm } from '../../vmm/vm.js';
import { VmConfigError } from '../../vmm/config.js';
import { fnv1a64 } from '../support/pixels.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';

const vms = vmsStoppedAfterEach();

async function run(threading: 'actor' | 'bql') {
  const vm = await vms.create({
    ramMiB: 64,
    threading,
    devices: [{ displayModes: ['320x200@60'] }, { displayModes: ['320x200@60'] }],
    workload: { name: 'desktop', frames: 30, seed: 11 },
  });
  await vm.whenGuestsDone();
  await vm.settle();
  const sums = await Promise.all([0, 1].map(async (d) => fnv1a64((await vm.frame(d, 0))!.pixels)));
  return { vm, sums, stats: await vm.stats() };
}

describe('threading models', () => {
  it('bql renders exactly what actor renders, takes the lock for every handler, and traces its waits', async () => {
    const actor = await run('actor');
    const bql = await run('bql');
    expect(bql.sums).toEqual(actor.sums);
    expect(actor.stats.bigLock).toBeNull();
    const lock = bql.stats.bigLock!;
    // At least one take per record the device actors handled (MMIO and engine callbacks).
    const deviceRecords = bql.stats.devices.reduce((n, d) => n + d.mailbox.dequeued, 0);
    expect(lock.acquisitions).toBeGreaterThanOrEqual(deviceRecords);
    const trace = bql.vm.drainTrace();
    const waits = trace.traceEvents.filter((e) => e.name === 'lock_wait' && e.ph === 'X');
    expect(waits.length).toBeLessThanOrEqual(lock.contended);
    if (lock.contended > 0) expect(waits.length).toBeGreaterThan(0);
    expect(actor.vm.drainTrace().traceEvents.some((e) => e.name === 'lock_wait')).toBe(false);
  });

  it('an unknown model fails at creation, naming the field', async () => {
    await expect(Vm.create({ threading: 'giant-lock' as never })).rejects.toThrow(VmConfigError);
    await expect(Vm.create({ threading: 'giant-lock' as never })).rejects.toThrow(/threading/);
  });
});
