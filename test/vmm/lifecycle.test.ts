// vm.pause(), vm.resume() and vm.reset() (docs/lifecycle.md): a paused VM has nothing in flight
// and goes on exactly where it stopped; a reset machine renders as a fresh one. Pauses and resets
// land at random moments (seeded), many times per run, while frames flow.
import { describe, expect, it } from 'vitest';

import { kvmUnavailableReason } from '../../actors/vcpu/kvm/availability.js';
import { VmStoppedError } from '../../actors/runtime/errors.js';
import type { VmOptions } from '../../vmm/config.js';
import { LifecycleRefusedError, LifecycleTimeoutError } from '../../vmm/lifecycle-errors.js';
import type { Vm } from '../../vmm/vm.js';
import { Rng } from '../../guest/ts/rng.js';
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
    // Enough frames that a fast machine is still drawing when the pause comes (400 ran out on 16 cores).
    const vm = await vms.create(optionsFor('fullframe', 100_000));
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

  it.each(WORKLOADS)('%s: pause/resume many times at random moments ends on the frame of an uninterrupted run', async (name, base) => {
    // A loaded machine may run a short workload to its end before the first pause: then again, longer.
    for (let frames = base; ; frames *= 4) {
      const options = optionsFor(name, frames);
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
      if (pauses === 0 && frames < base * 64) {
        await vm.stop();
        continue;
      }
      expect(pauses).toBeGreaterThan(0);
      const ended = await finalFrames(vm);
      await vm.stop();
      expect(ended).toEqual(await freshRun(options));
      return;
    }
  });
});

/**
 * Pauses once the first vCPU has drawn at least one frame and not all of them; false when the
 * workload ended first (a loaded machine, a fast workload).
 */
async function pauseMidRun(vm: Vm, frames: number): Promise<boolean> {
  for (;;) {
    await sleep(1);
    await vm.pause();
    const done = (await vm.stats()).vcpus[0]!.guest?.framesDone ?? 0;
    if (done >= 1) return done < frames;
    await vm.resume();
  }
}

describe('vm.reset()', () => {
  it.each(WORKLOADS)('%s: a reset in the middle, then the workload again, renders as a fresh VM', async (name, base) => {
    for (let frames = Math.max(base * 2, 80); ; frames *= 4) {
      const options = optionsFor(name, frames);
      const vm = await vms.create(options);
      if (!(await pauseMidRun(vm, frames))) {
        expect(frames, 'the workload always ended before the reset').toBeLessThan(base * 256);
        await vm.stop();
        continue;
      }
      await vm.reset();
      await vm.resume();
      // The vCPUs went back to their entry: the workload runs again from its first frame.
      const after = await finalFrames(vm);
      const s = await vm.stats();
      await vm.stop();
      expect(s.vcpus[0]).toMatchObject({ state: 'done', fault: null });
      expect(s.vcpus[0]!.guest!.framesDone).toBe(frames);
      expect(after).toEqual(await freshRun(options));
      return;
    }
  });

  it('a reset of a running VM (not paused first) also ends as a fresh run, and it runs on', async () => {
    const options = optionsFor('desktop', 30);
    const reference = await freshRun(options);
    const vm = await vms.create(options);
    await sleep(30);
    await vm.reset();
    expect(vm.paused).toBe(false);
    expect(await finalFrames(vm)).toEqual(reference);
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

describe('races: pause, resume and reset at random moments while frames, callbacks and a hostile guest run', () => {
  // Operations are fired without waiting for the one before (several callers at once): they are
  // serialised in call order, and none may hang. After the last reset the workload runs from its
  // entry to its end, so the final frames are a fresh run's.
  it.each([
    ['fullframe', 60, 1, 'actor'],
    ['mapchurn', 60, 2, 'actor'],
    ['hostile', 40, 1, 'actor'],
    ['desktop', 40, 2, 'qemu'],
    ['mapchurn', 30, 1, 'qemu'],
    ['hostile', 30, 1, 'record-lock'],
  ] as const)('%s, %i frames, %i device(s), threading %s', async (name, frames, devices, threading) => {
    const options: VmOptions = {
      devices: Array.from({ length: devices }, () => ({ displayModes: MODES })),
      workload: { name, frames, seed: 5 },
      threading,
    };
    const reference = await freshRun(options);
    const vm = await vms.create(options);
    const rng = new Rng(frames * 31 + devices);
    const inFlight: Promise<unknown>[] = [];
    let resets = 0;
    for (let i = 0; i < 40; i++) {
      const r = rng.below(10);
      if (r < 4) inFlight.push(vm.pause());
      // A resume that finds the VM running (another caller resumed it) is refused as ever.
      else if (r < 8) inFlight.push(vm.resume().catch((e: Error) => expect(e.message).toMatch(/not created with start: "paused"/)));
      else {
        inFlight.push(vm.reset({ clearRam: rng.below(2) === 0 }));
        resets++;
      }
      if (rng.below(3) === 0) await sleep(rng.below(15));
    }
    await Promise.all(inFlight);
    expect(resets).toBeGreaterThan(0);
    await vm.pause();
    await vm.reset();
    await vm.resume();
    expect(await finalFrames(vm)).toEqual(reference);
    const s = await vm.stats();
    for (let v = 0; v < devices; v++) expect(s.vcpus[v]).toMatchObject({ state: 'done', fault: null });
  });

  it('the qemu threading model: a reset in the middle renders as a fresh VM, and pause/resume as an uninterrupted run', async () => {
    const options: VmOptions = { ...optionsFor('damage', 60), threading: 'qemu' };
    const reference = await freshRun(options);
    const a = await vms.create(options);
    expect(await pauseMidRun(a, 60)).toBe(true);
    await a.reset();
    await a.resume();
    expect(await finalFrames(a)).toEqual(reference);
    const b = await vms.create(options);
    for (let i = 0; i < 10; i++) {
      await sleep(5);
      await b.pause();
      await b.resume();
    }
    expect(await finalFrames(b)).toEqual(reference);
  });
});

describe('a part that never gets there fails the VM with a typed error', () => {
  it('an engine callback never answered: the pause names the busy ring executor and the VM fails', async () => {
    const vm = await vms.create({
      ...optionsFor('mapchurn', 200),
      testFaults: { devices: { 0: { unanswered: { kinds: ['mapMemory'], after: 20, count: 1 } } } },
    });
    await sleep(150);
    const error = await vm.pause({ timeoutMs: 400 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifecycleTimeoutError);
    expect((error as LifecycleTimeoutError).during).toBe('pause');
    expect((error as LifecycleTimeoutError).busy).toContain('device0 ring executor');
    expect(await vm.whenFailed()).toBe(error);
    await expect(vm.resume()).rejects.toBeInstanceOf(VmStoppedError);
  });

  it('a device actor that hangs holds its vCPU in an MMIO read: the pause names the vCPU', async () => {
    // The device actor busy-waits 4 s from its first MMIO record: the PCI variant's guest starts
    // with config-space accesses, which the device actor answers in every threading model (under
    // actor the gfx window's accesses go to the engine), so the vCPU waits for the next one.
    // Created paused, so the stall begins after Vm.create returned (a vCPU stuck at its first
    // step cannot answer the supervisor's ready call).
    const vm = await vms.create({
      ...optionsFor('fullframe', 200),
      devices: [{ variant: 'apple-gfx-pci', displayModes: MODES }],
      start: 'paused',
      testFaults: { devices: { 0: { stall: { afterMmio: 1, ms: 4000 } } } },
    });
    await vm.resume();
    await sleep(300);
    const error = await vm.pause({ timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifecycleTimeoutError);
    expect((error as LifecycleTimeoutError).busy.join(' ')).toMatch(/vcpu0 not at a step boundary/);
  });

  it('vm.stop() during a pause or a reset: stop resolves, the lifecycle call settles (VmStoppedError at worst), nothing hangs', async () => {
    for (let i = 0; i < 6; i++) {
      const vm = await vms.create(optionsFor('mapchurn', 400));
      await sleep(20 + i * 7);
      const op = (i % 2 === 0 ? vm.reset() : vm.pause()).then(
        () => 'done',
        (e: unknown) => e,
      );
      await sleep(i);
      await vm.stop();
      const outcome = await op;
      if (outcome !== 'done') expect(outcome).toBeInstanceOf(VmStoppedError);
      await expect(vm.pause()).rejects.toBeInstanceOf(VmStoppedError);
    }
  });

  it('pause() and reset() refuse a VM with external vCPUs (their loops are the embedder’s)', async () => {
    const vm = await vms.create({ devices: [{ displayModes: MODES }], vcpus: 0, externalVcpus: 1 });
    await expect(vm.pause()).rejects.toBeInstanceOf(LifecycleRefusedError);
    await expect(vm.reset()).rejects.toBeInstanceOf(LifecycleRefusedError);
  });
});

const kvmUnavailable = kvmUnavailableReason();
if (kvmUnavailable) console.warn(`test/vmm/lifecycle.test.ts KVM cases skipped: ${kvmUnavailable}`);
const onKvm = kvmUnavailable ? describe.skip : describe;

onKvm('KVM vCPUs: kicked out of KVM_RUN', () => {
  it.each([
    ['desktop', 24],
    ['fullframe', 24],
    ['hostile', 12],
  ])('%s: pause/resume many times ends on the uninterrupted frame; a reset mid-run renders as fresh', async (name, frames) => {
    const options: VmOptions = { ...optionsFor(name, frames), cpu: 'kvm' };
    const reference = await freshRun(options);
    const a = await vms.create(options);
    for (let i = 0; i < 20; i++) {
      await sleep(3);
      expect(await a.pause()).not.toBeNull();
      expect((await a.stats()).vcpus[0]).toMatchObject({ cpu: 'kvm', paused: true });
      await a.resume();
    }
    expect(await finalFrames(a)).toEqual(reference);
    const b = await vms.create(options);
    await sleep(15);
    await b.reset();
    expect(await finalFrames(b)).toEqual(reference);
  });
});
