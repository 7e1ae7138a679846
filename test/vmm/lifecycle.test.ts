// vm.pause(), vm.resume() and vm.reset() (docs/lifecycle.md): a paused VM has nothing in flight
// and goes on exactly where it stopped; a reset machine renders as a fresh one. Pauses and resets
// land at random moments (seeded), many times per run, while frames flow.
import { describe, expect, it } from 'vitest';

import type { VmOptions } from '../../vmm/config.js';
import type { Vm } from '../../vmm/vm.js';
import { Rng } from '../../actors/vcpu/guest/rng.js';
import { fnv1a64 } from '../support/pixels.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';

const MODES = ['320x200@60', '256x160@60', '200x120@60'];
const vms = vmsStoppedAfterEach({ ramMiB: 64 });

const deliveries = (s: Awaited<ReturnType<Vm['stats']>>) => s.irq.lines.reduce((n, l) => n + l.deliveries, 0) + s.irq.msiDeliveries;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every display's last frame, once the guests are done and the frames settled. */
async function finalFrames(vm: Vm): Promise<string[]> {
  await vm.whenGuestsDone();
  await vm.settle();
  const out: string[] = [];
  for (const [i, d] of vm.config.devices.entries())
    for (let j = 0; j < d.displays.length; j++) {
      const f = await vm.frame(i, j);
      out.push(f ? `${f.width}x${f.height} ${fnv1a64(f.pixels)}` : 'none');
    }
  return out;
}

async function freshRun(options: VmOptions): Promise<string[]> {
  const vm = await vms.create(options);
  const frames = await finalFrames(vm);
  await vm.stop();
  return frames;
}

const WORKLOADS: [string, number][] = [
  ['desktop', 16],
  ['fullframe', 16],
  ['damage', 24],
  ['mapchurn', 16],
  ['modestorm', 21],
  ['band', 16],
  ['present', 16],
  ['multihead', 12],
  ['hostile', 12],
];

const optionsFor = (name: string, frames: number, extra: VmOptions = {}): VmOptions => ({
  devices: [{ displayModes: MODES, ...(name === 'multihead' ? { displays: 2 } : {}) }],
  workload: { name, frames, seed: 11 },
  ...extra,
});

describe('vm.pause() / vm.resume()', () => {
  it('holds every vCPU and device quiescent: nothing moves while paused, the frame is kept', async () => {
    const vm = await vms.create(optionsFor('fullframe', 400));
    await sleep(60);
    const report = await vm.pause();
    expect(report).not.toBeNull();
    expect(report!.quiescentUs).toBeGreaterThanOrEqual(report!.vcpusUs);
    expect(vm.paused).toBe(true);
    const a = await vm.stats();
    const frameA = await vm.frame();
    await sleep(120);
    const b = await vm.stats();
    // Nothing ran while paused: no MMIO, command, present, encode, callback or interrupt.
    expect(b.devices[0]!.engine).toMatchObject({
      mmioReads: a.devices[0]!.engine!.mmioReads,
      mmioWrites: a.devices[0]!.engine!.mmioWrites,
      commands: a.devices[0]!.engine!.commands,
      presents: a.devices[0]!.engine!.presents,
      encodes: a.devices[0]!.engine!.encodes,
      callbacks: a.devices[0]!.engine!.callbacks,
    });
    expect(deliveries(b)).toBe(deliveries(a));
    expect(b.vcpus[0]!.guest!.framesDone).toBe(a.vcpus[0]!.guest!.framesDone);
    expect(b.vcpus[0]).toMatchObject({ state: 'running', paused: true });
    // Every present reached the compositor and was kept: pause loses no frame.
    expect(b.compositor.displays[0]!.lastFrameSeq).toBe(b.compositor.displays[0]!.announcedFrameSeq);
    expect(fnv1a64((await vm.frame())!.pixels)).toBe(fnv1a64(frameA!.pixels));
    expect(await vm.pause()).toBeNull(); // already paused
    await vm.resume();
    expect(vm.paused).toBe(false);
    await sleep(40);
    expect((await vm.stats()).devices[0]!.engine!.presents).toBeGreaterThan(b.devices[0]!.engine!.presents);
  });

  it.each(WORKLOADS)('%s: pause/resume many times at random moments ends on the frame of an uninterrupted run', async (name, frames) => {
    const options = optionsFor(name, frames);
    const reference = await freshRun(options);
    const vm = await vms.create(options);
    const rng = new Rng(name.length * 7919);
    let pauses = 0;
    const done = vm.whenGuestsDone().then(() => true);
    while (!(await Promise.race([done, sleep(rng.below(9)).then(() => false)]))) {
      await vm.pause();
      pauses++;
      if (rng.below(4) === 0) await sleep(rng.below(6));
      await vm.resume();
    }
    expect(pauses).toBeGreaterThan(0);
    expect(await finalFrames(vm)).toEqual(reference);
  });
});

describe('vm.reset()', () => {
  it.each(WORKLOADS)('%s: a reset in the middle, then the workload again, renders as a fresh VM', async (name, frames) => {
    const options = optionsFor(name, frames);
    const reference = await freshRun(options);
    const vm = await vms.create(options);
    await sleep(20 + name.length * 3);
    await vm.reset();
    // The vCPUs went back to their entry: the workload runs again from its first frame.
    expect(await finalFrames(vm)).toEqual(reference);
    const s = await vm.stats();
    expect(s.vcpus[0]).toMatchObject({ state: 'done', fault: null });
    expect(s.vcpus[0]!.guest!.framesDone).toBe(frames);
  });

  it('puts every part back to power-on while paused: engine, task space, PCI config, interrupts, displays', async () => {
    const vm = await vms.create({ devices: [{ variant: 'apple-gfx-pci', displayModes: MODES }], workload: { name: 'desktop', frames: 400, seed: 3 } });
    await sleep(80);
    await vm.pause();
    const before = await vm.stats();
    expect(before.devices[0]!.tasks.tasks).toBeGreaterThan(0);
    expect(before.compositor.displays[0]!.mode).not.toBeNull();
    const modes: unknown[] = [];
    vm.on('modeChange', (e) => modes.push(e));
    await vm.reset();
    expect(vm.paused).toBe(true); // a paused VM stays paused
    const after = await vm.stats();
    const d = after.devices[0]!;
    expect(d.tasks.tasks).toBe(0); // ring task and every context destroyed
    expect(d.displays[0]!.mode).toBeNull();
    // The display went black at its size, generation 0, and the listener heard of it.
    const f = (await vm.frame())!;
    expect(f.generation).toBe(0);
    expect(f.pixels.every((p) => p === 0)).toBe(true);
    expect(after.compositor.displays[0]!.generation).toBe(0);
    await sleep(20);
    expect(modes).toEqual([expect.objectContaining({ type: 'modeChange', generation: 0 })]);
    // The vCPU is back at its entry (nothing done yet) and the guest's MSI state is gone: on
    // resume it enumerates the PCI device again, from a disabled BAR and MSI.
    expect(after.vcpus[0]!.guest!.framesDone).toBe(0);
    const configWrites = d.configWrites;
    await vm.resume();
    await sleep(60);
    const running = await vm.stats();
    expect(running.devices[0]!.configWrites).toBeGreaterThan(configWrites);
    expect(running.vcpus[0]!.guest!.framesDone).toBeGreaterThan(0);
    expect(running.devices[0]!.engine!.errors.reduce((x, y) => x + y, 0)).toBe(0);
  });

  it('clearRam zeroes guest RAM; without it RAM is kept', async () => {
    const vm = await vms.create({ devices: [{ displayModes: MODES }], workload: { name: 'fullframe', frames: 4, seed: 3 } });
    await vm.whenGuestsDone();
    const touched = () => vm.memory.bytes.some((b) => b !== 0);
    expect(touched()).toBe(true);
    await vm.pause();
    await vm.reset();
    expect(touched()).toBe(true);
    await vm.reset({ clearRam: true });
    expect(touched()).toBe(false);
  });
});
