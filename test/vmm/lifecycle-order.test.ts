// VmLifecycle (vmm/lifecycle.ts) against fake parts that answer after random delays: operations
// run one at a time in call order from many callers, nothing is reset unless every vCPU is at a
// step boundary, quiescence needs two equal idle looks, and a part that never gets there fails the
// VM with LifecycleTimeoutError instead of hanging.
import type { Remote } from 'comlink';
import { describe, expect, it } from 'vitest';

import type { CompositorControl } from '../../actors/compositor/messages.js';
import type { DeviceActivity, DeviceControl } from '../../actors/device/messages.js';
import type { IrqControl } from '../../actors/irq/messages.js';
import type { VmFailure } from '../../actors/runtime/errors.js';
import type { VcpuControl } from '../../actors/vcpu/messages.js';
import { Rng } from '../../guest/ts/rng.js';
import { createGuestMemory } from '../../shared/guest-memory/index.js';
import { VcpuIrqState, createVcpuIrqBuffer } from '../../shared/irq/vcpu-irq.js';
import { VmLifecycle } from '../../vmm/lifecycle.js';
import { LifecycleTimeoutError } from '../../vmm/lifecycle-errors.js';

const later = (rng: Rng) => new Promise<void>((r) => setTimeout(r, rng.below(3)));

interface FakeOptions {
  seed: number;
  /** Device 0's activity says busy this many times first. */
  busyLooks?: number;
  /** Device 0's counters move on each of its first idle looks, this many times. */
  movingLooks?: number;
  /** vCPU 0 never answers pause(). */
  stuckVcpu?: boolean;
}

function fakeVm(o: FakeOptions) {
  const rng = new Rng(o.seed);
  const log: string[] = [];
  const failures: VmFailure[] = [];
  const vcpuAnswered = [false, false];
  const irqs = [0, 1].map(() => new VcpuIrqState(createVcpuIrqBuffer()));
  const violations: string[] = [];
  const allStopped = () => irqs.every((s) => s.pauseRequested) && vcpuAnswered.every(Boolean);
  const vcpus = irqs.map((irq, i) => ({
    irq,
    control: {
      pause: async () => {
        if (i === 0 && o.stuckVcpu) return new Promise<void>(() => undefined);
        await later(rng);
        if (!irq.pauseRequested) violations.push(`vcpu${i} pause() before its word`);
        vcpuAnswered[i] = true;
      },
      resume: async () => {
        await later(rng);
        irq.clearPause();
        vcpuAnswered[i] = false;
        log.push(`vcpu${i} resumed`);
      },
      reset: async () => {
        if (!allStopped()) violations.push(`vcpu${i} reset while running`);
        await later(rng);
        log.push(`vcpu${i} reset`);
      },
    } as unknown as Remote<VcpuControl>,
  }));
  let looks = 0;
  let moving = 0;
  const device = {
    activity: async (): Promise<DeviceActivity> => {
      await later(rng);
      looks++;
      if (looks <= (o.busyLooks ?? 0)) return { idle: false, busy: ['ring executor'], counters: [looks] };
      if (moving < (o.movingLooks ?? 0)) return { idle: true, busy: [], counters: [++moving] };
      return { idle: true, busy: [], counters: [moving] };
    },
    reset: async () => {
      if (!allStopped()) violations.push('device reset while a vCPU runs');
      await later(rng);
      log.push('device reset');
    },
  } as unknown as Remote<DeviceControl>;
  const quiet = { activity: () => Promise.resolve({ idle: true, busy: [] as string[], counters: [0] }) };
  const compositor = {
    ...quiet,
    reset: () => {
      if (!allStopped()) violations.push('compositor reset while a vCPU runs');
      log.push('compositor reset');
      return Promise.resolve();
    },
  } as unknown as Remote<CompositorControl>;
  const irq = { ...quiet, reset: () => Promise.resolve(log.push('irq reset')) } as unknown as Remote<IrqControl>;
  const memory = createGuestMemory({ regions: [{ name: 'ram', base: 0x1000_0000, size: 1 << 16 }] });
  const lifecycle = new VmLifecycle({ vcpus, devices: [device], compositor, irq, memory, fail: (f) => failures.push(f) });
  return { lifecycle, log, failures, violations, irqs, memory, looks: () => looks };
}

describe('VmLifecycle', () => {
  it('from many callers at random moments: one operation at a time, in call order, and no reset of a running part (200 seeds)', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { lifecycle, log, violations, irqs } = fakeVm({ seed, movingLooks: seed % 4 });
      const rng = new Rng(seed * 7);
      const calls: Promise<unknown>[] = [];
      const order: string[] = [];
      for (let i = 0; i < 12; i++) {
        const r = rng.below(3);
        const name = ['pause', 'resume', 'reset'][r]!;
        const start = [() => lifecycle.pause(), () => lifecycle.resume(), () => lifecycle.reset()][r]!;
        calls.push(start().then(() => order.push(`${name}${i}`)));
        if (rng.below(2) === 0) await later(rng);
      }
      await Promise.all(calls);
      expect(violations, `seed ${seed}`).toEqual([]);
      // Each resolved in call order (a later call never overtakes an earlier one).
      expect(
        order.map((o) => Number(o.replace(/\D+/, ''))),
        `seed ${seed}`,
      ).toEqual([...order.map((o) => Number(o.replace(/\D+/, '')))].sort((a, b) => a - b));
      // The paused state at the end is what the last pause/resume/reset left.
      expect(irqs.every((s) => s.pauseRequested)).toBe(lifecycle.isPaused);
      expect(log.filter((l) => l === 'device reset').length).toBe(order.filter((o) => o.startsWith('reset')).length);
    }
  });

  it('waits out a busy device, and counters that move between idle looks', async () => {
    const { lifecycle, looks } = fakeVm({ seed: 3, busyLooks: 5, movingLooks: 3 });
    const report = await lifecycle.pause();
    expect(report).not.toBeNull();
    // 5 busy looks, then idle looks whose counters move 3 times, then two equal ones.
    expect(looks()).toBeGreaterThanOrEqual(5 + 3 + 1);
    expect(report!.rounds).toBe(looks());
    expect(report!.quiescentUs).toBeGreaterThanOrEqual(report!.vcpusUs);
    expect(await lifecycle.pause()).toBeNull();
  });

  it('a device busy past the deadline: LifecycleTimeoutError naming it, the VM failed once', async () => {
    const { lifecycle, failures } = fakeVm({ seed: 4, busyLooks: Infinity });
    const error = await lifecycle.pause({ timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifecycleTimeoutError);
    expect((error as LifecycleTimeoutError).busy).toEqual(['device0 ring executor']);
    expect(failures).toEqual([error]);
  });

  it('a vCPU that never reaches a step boundary: the error names it', async () => {
    const { lifecycle, failures } = fakeVm({ seed: 5, stuckVcpu: true });
    const error = await lifecycle.reset({ timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifecycleTimeoutError);
    expect((error as LifecycleTimeoutError).during).toBe('pause');
    expect((error as LifecycleTimeoutError).busy).toEqual(['vcpu0 not at a step boundary']);
    expect(failures.length).toBe(1);
  });

  it('reset: devices, then compositor and interrupt controller, then vCPUs; clearRam zeroes writable RAM', async () => {
    const { lifecycle, log, memory } = fakeVm({ seed: 6 });
    memory.bytes.fill(0xaa);
    await lifecycle.reset();
    expect(memory.bytes.every((b) => b === 0xaa)).toBe(true);
    expect(log.slice(0, 3)).toEqual(['device reset', 'compositor reset', 'irq reset']);
    expect(log.slice(3, 5).sort()).toEqual(['vcpu0 reset', 'vcpu1 reset']);
    expect(lifecycle.isPaused).toBe(false); // it was running: it runs on
    await lifecycle.pause();
    await lifecycle.reset({ clearRam: true });
    expect(memory.bytes.every((b) => b === 0)).toBe(true);
    expect(lifecycle.isPaused).toBe(true); // it was paused: it stays paused
  });
});
