// An embedder that brings its own vCPU loop: a VM with no built-in vCPU, one external vCPU on a
// thread the test starts (test/support/embedder-vcpu.ts), running the desktop workload through
// connectVcpu. Interrupts reach it (fences), and the frame it draws is pixel for pixel the one a
// built-in vCPU draws for the same seed.
import { describe, expect, it } from 'vitest';

import { RAM_BASE } from '../../machine/memory-map.js';
import { Vm } from '../../vmm/vm.js';
import { fnv1a64 } from '../support/pixels.js';
import { exited, nextMessage, startWorker } from '../support/spawn.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';

const vms = vmsStoppedAfterEach();

const MODES = ['320x200@60'];
const FRAMES = 24;
const SEED = 7;

describe('an embedder with its own vCPU loop', () => {
  it('runs a workload with no built-in vCPU, and draws what a built-in one draws', async () => {
    const vm = await vms.create({ ramMiB: 32, vcpus: 0, externalVcpus: 1, devices: [{ displayModes: MODES }] });
    const worker = startWorker('test/support/embedder-vcpu', {
      vcpu: vm.externalVcpu(0),
      guest: {
        device: 0,
        variant: 'apple-gfx-mmio',
        workload: 'desktop',
        frames: FRAMES,
        seed: SEED,
        mode: 0,
        ramBase: RAM_BASE,
        ramEnd: RAM_BASE + 32 * 1024 * 1024,
      },
    });
    const report = await nextMessage<{ ok: boolean; error?: string; stats: { framesDone: number; interruptsHandled: number; deviceErrorsSeen: number } }>(
      worker,
    );
    await exited(worker);
    expect(report.ok, report.error).toBe(true);
    expect(report.stats.framesDone).toBe(FRAMES);
    expect(report.stats.interruptsHandled).toBeGreaterThan(0); // fence interrupts reached the embedder's loop
    expect(report.stats.deviceErrorsSeen).toBe(0);
    await vm.settle();
    const external = fnv1a64((await vm.frame())!.pixels);

    const builtIn = await vms.create({ ramMiB: 32, devices: [{ displayModes: MODES }], workload: { name: 'desktop', frames: FRAMES, seed: SEED } });
    await builtIn.whenGuestsDone();
    await builtIn.settle();
    expect(external).toBe(fnv1a64((await builtIn.frame())!.pixels));
    expect((await vm.stats()).vcpus).toEqual([]);
  });

  it('refuses a built-in workload when there is no built-in vCPU', async () => {
    await expect(Vm.create({ vcpus: 0, externalVcpus: 1, workload: { name: 'desktop', frames: 1 } })).rejects.toThrow(/workload/);
    await expect(Vm.create({ vcpus: 0 })).rejects.toThrow(/vcpus/);
  });
});
