// Vm.create({ start: 'paused', trace }): every thread is up but no guest runs until vm.resume(),
// so a trace recorded from creation holds the guest's first MMIO access.
import { describe, expect, it } from 'vitest';

import { VmConfigError } from '../../vmm/config.js';
import type { ChromeTrace } from '../../shared/trace/chrome.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';

const vms = vmsStoppedAfterEach();
const small = { ramMiB: 32, devices: [{ displayModes: ['320x200@60'] }] };

/** The MMIO spans the engine's MMIO thread traced (one per access it took from a vCPU). */
function engineMmioSpans(trace: ChromeTrace): number {
  const tid = trace.traceEvents.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'device0 engine mmio')?.tid;
  expect(tid).toBeDefined();
  return trace.traceEvents.filter((e) => e.tid === tid && e.ph === 'X' && (e.name === 'apple_gfx_read' || e.name === 'apple_gfx_write')).length;
}

describe('Vm.create start and trace options', () => {
  it('start: paused runs no guest until resume(); a trace from creation then holds every MMIO access', async () => {
    for (let round = 0; round < 3; round++) {
      const vm = await vms.create({ ...small, start: 'paused', trace: true, workload: { name: 'desktop', frames: 4 } });
      // Give a guest that wrongly started time to be seen.
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 40));
      const before = await vm.stats();
      expect(before.devices[0]!.engine!.mmioReads + before.devices[0]!.engine!.mmioWrites).toBe(0);
      expect(before.vcpus[0]!.guest).toBeNull();
      await vm.resume();
      const [done] = await vm.whenGuestsDone();
      expect(done!.guest?.framesDone).toBe(4);
      await vm.settle();
      const trace = vm.stopTrace();
      expect(trace.otherData.lostEvents).toBe(0);
      const engine = (await vm.stats()).devices[0]!.engine!;
      // Every access the engine handled, from the guest's first, is on the timeline.
      expect(engineMmioSpans(trace)).toBe(engine.mmioReads + engine.mmioWrites);
      expect(engine.mmioReads).toBeGreaterThan(0);
      await vm.stop();
    }
  });

  it('resume() is refused on a VM not created paused, and a second time', async () => {
    const running = await vms.create({ ...small, workload: { name: 'desktop', frames: 1 } });
    await expect(running.resume()).rejects.toThrow(/not created with start: "paused"/);
    const paused = await vms.create({ ...small, start: 'paused', workload: { name: 'desktop', frames: 1 } });
    await paused.resume();
    await expect(paused.resume()).rejects.toThrow(/already resumed/);
    await paused.whenGuestsDone();
  });

  it('trace: false writes nothing until startTrace()', async () => {
    const vm = await vms.create({ ...small, trace: false, workload: { name: 'desktop', frames: 3 } });
    await vm.whenGuestsDone();
    await vm.settle();
    expect(vm.drainTrace().traceEvents.filter((e) => e.ph !== 'M')).toEqual([]);
    vm.startTrace();
    await vm.runWorkload({ name: 'desktop', frames: 2 });
    await vm.whenGuestsDone();
    expect(engineMmioSpans(vm.stopTrace())).toBeGreaterThan(0);
  });

  it('refuses bad start and trace values, naming the field', async () => {
    await expect(vms.create({ ...small, start: 'later' as never })).rejects.toThrow(VmConfigError);
    await expect(vms.create({ ...small, start: 'later' as never })).rejects.toThrow(/start: must be one of running, paused/);
    await expect(vms.create({ ...small, trace: 1 as never })).rejects.toThrow(/trace: must be true or false/);
  });
});
