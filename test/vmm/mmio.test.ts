// MMIO semantics seen from an embedder's vCPU loop: reads observe earlier posted writes (FIFO per
// device), and a storm of engine callbacks during MMIO does not deadlock.
import { afterEach, describe, expect, it } from 'vitest';

import { Vm } from '../../vmm/vm.js';
import { exited, nextMessage, startWorker } from '../support/spawn.js';

let vm: Vm | null = null;
afterEach(async () => {
  await vm?.stop();
  vm = null;
});

interface Result {
  mismatches: number;
  wide?: Record<string, number[]>;
  ms: number;
  bus: { reads: number; writes: number };
}

async function exercise(v: Vm, exercise: 'ordering' | 'hammer' | 'wide', iterations: number, seed = 1): Promise<Result> {
  const w = startWorker('test/support/external-vcpu', { config: v.externalVcpu(0), exercise, iterations, seed });
  const r = await nextMessage<Result>(w);
  await exited(w);
  return r;
}

describe('MMIO through the bus', () => {
  it.each([16, 0])('a read after posted writes observes them (write window %i)', async (writeWindow) => {
    vm = await Vm.create({ ramMiB: 32, externalVcpus: 1, vcpus: 1, writeWindow });
    const r = await exercise(vm, 'ordering', 1500, 11);
    expect(r.mismatches).toBe(0);
    expect(r.bus.reads).toBe(1500);
    expect(r.bus.writes).toBeGreaterThan(1500);
  });

  it('an 8-byte access is two 4-byte register accesses, low half first, in both windows (as QEMU splits them)', async () => {
    vm = await Vm.create({ ramMiB: 32, externalVcpus: 1, vcpus: 1 });
    const r = await exercise(vm, 'wide', 50);
    expect(r.mismatches).toBe(0);
    expect(r.wide).toMatchObject({ gfxId: [0x31475650, 0x00010000], ringGpa8: [0x5000 + 49 * 0x1000, 49] });
    const s = await vm.stats();
    expect(s.devices[0]!.engine!.badRegisterAccesses).toBe(0);
  });

  it('a storm of engine callbacks during MMIO does not deadlock (bounded time)', async () => {
    vm = await Vm.create({
      ramMiB: 64,
      externalVcpus: 1,
      devices: [{ displayModes: ['320x200@60'] }],
      workload: { name: 'mapchurn', frames: 150, seed: 5 },
    });
    vm.startTrace();
    const hammer = exercise(vm, 'hammer', 3000);
    const bounded = <T>(p: Promise<T>, what: string) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: hung`)), 20_000))]);
    const [r, vcpus] = await bounded(Promise.all([hammer, vm.whenGuestsDone()]), 'MMIO during callbacks');
    expect(r.mismatches).toBe(0);
    expect(vcpus[0]).toMatchObject({ state: 'done', fault: null });
    const s = await vm.stats();
    expect(s.devices[0]!.callbacks['mapMemory']).toBeGreaterThanOrEqual(150 * 8);
    expect(s.devices[0]!.callbacks['unmapMemory']).toBeGreaterThanOrEqual(150 * 8);
    // The storm was a concurrent one: task callbacks of two engine pool threads overlapped.
    const trace = vm.stopTrace();
    const pool = new Set(trace.traceEvents.filter((e) => e.ph === 'M' && String(e.args?.['name']).includes('engine pool')).map((e) => e.tid));
    const taskCallbacks = new Set(['apple_gfx_create_task', 'apple_gfx_destroy_task', 'apple_gfx_map_memory', 'apple_gfx_unmap_memory']);
    const spans = trace.traceEvents.filter((e) => e.ph === 'X' && pool.has(e.tid) && taskCallbacks.has(e.name)).sort((a, b) => a.ts - b.ts);
    let overlaps = 0;
    for (let i = 0; i < spans.length; i++) {
      for (let j = i + 1; j < spans.length && spans[j]!.ts < spans[i]!.ts + spans[i]!.dur!; j++) if (spans[j]!.tid !== spans[i]!.tid) overlaps++;
    }
    expect(pool.size).toBeGreaterThanOrEqual(2);
    expect(overlaps).toBeGreaterThan(0);
  });
});
