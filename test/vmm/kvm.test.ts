// The KVM backend end to end (docs/kvm.md): the machine-code guest boots on hardware vCPUs and
// drives the device through the same bus as the TypeScript guest. The differential tests run
// the same workload and seed on both CPUs and compare frame checksums and device counters. Runs
// wherever /dev/kvm is usable; elsewhere the suite is skipped with the reason printed.
import { describe, expect, it } from 'vitest';

import { kvmUnavailableReason, resolveCpu } from '../../actors/vcpu/kvm/availability.js';
import type { KvmGuestStats } from '../../actors/vcpu/kvm/kvm-guest.js';
import { VmConfigError, type VmOptions } from '../../vmm/config.js';
import { Vm } from '../../vmm/vm.js';
import type { TestVmOptions } from '../support/test-vm.js';
import { midRun } from '../support/mid-run.js';
import { fnv1a64 } from '../support/pixels.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';

const unavailable = kvmUnavailableReason();
if (unavailable) console.warn(`test/vmm/kvm.test.ts skipped: ${unavailable}`);
const onKvm = unavailable ? describe.skip : describe;

const MODES = ['320x200@60', '256x160@60', '200x120@60'];
const vms = vmsStoppedAfterEach({ ramMiB: 64 });
const boot = (options: TestVmOptions) => vms.create(options);

/** Runs to the end; every device's last frame checksum, the vCPUs' and devices' stats. */
async function runToEnd(options: VmOptions) {
  const vm = await boot(options);
  const vcpus = await vm.whenGuestsDone();
  await vm.settle();
  const stats = await vm.stats();
  const checksums = await Promise.all(stats.devices.map(async (_, i) => fnv1a64((await vm.frame(i, 0))!.pixels)));
  await vm.stop();
  return { vcpus, stats, checksums };
}

const kvmGuest = (v: { guest: unknown }) => v.guest as KvmGuestStats;
const errorsByKind = (s: Awaited<ReturnType<Vm['stats']>>, device = 0) => s.devices[device]!.engine!.errors;

onKvm('KVM vCPUs running the machine-code guest', () => {
  it.each([
    ['desktop', 'mmio', 30],
    ['fullframe', 'mmio', 12],
    ['hostile', 'mmio', 40],
    ['desktop', 'pci', 30],
    ['hostile', 'pci', 20],
  ] as const)('%s on apple-gfx-%s: the same frames and device counters as the TypeScript guest (same seed)', async (name, variant, frames) => {
    const options: VmOptions = { devices: [{ variant, displayModes: MODES }], workload: { name, frames, seed: 11 } };
    const ts = await runToEnd({ ...options, cpu: 'ts' });
    const kvm = await runToEnd({ ...options, cpu: 'kvm' });
    expect(kvm.vcpus[0]).toMatchObject({ cpu: 'kvm', state: 'done', fault: null });
    expect(kvm.vcpus[0]!.guest!.framesDone).toBe(frames);
    expect(ts.vcpus[0]).toMatchObject({ cpu: 'ts', state: 'done', fault: null });
    expect(kvm.checksums).toEqual(ts.checksums);
    // The device saw the same guest: the same errors by kind, fences and presents.
    expect(errorsByKind(kvm.stats)).toEqual(errorsByKind(ts.stats));
    expect(kvm.stats.devices[0]!.engine!.fences).toBe(ts.stats.devices[0]!.engine!.fences);
    expect(kvm.stats.devices[0]!.engine!.presents).toBe(ts.stats.devices[0]!.engine!.presents);
    // Its MMIO went through the bus (reads wait for the device) and came from KVM exits.
    const exits = kvmGuest(kvm.vcpus[0]!).exits;
    expect(exits.byKind['mmio-read']).toBe(kvm.vcpus[0]!.bus.reads);
    const hypercalls = Object.values(kvmGuest(kvm.vcpus[0]!).hypercalls).reduce((a, b) => a + b, 0);
    expect(exits.byKind['mmio-write']).toBe(kvm.vcpus[0]!.bus.writes + kvm.vcpus[0]!.bus.unassignedWrites + hypercalls);
  });

  it('the hostile guest sees the same guest-visible errors, and bad MMIO is counted, not fatal', async () => {
    const r = await runToEnd({ devices: [{ displayModes: MODES }], workload: { name: 'hostile', frames: 18, seed: 3 }, cpu: 'kvm' });
    const v = r.vcpus[0]!;
    expect(v.state).toBe('done');
    expect(errorsByKind(r.stats).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
    expect(v.guest!.deviceErrorsSeen).toBeGreaterThan(0); // error interrupts reached the guest's handler
    expect(v.bus.unassignedReads).toBeGreaterThan(0); // the read at 0x1000
    expect(errorsByKind(r.stats)[1]).toBeGreaterThan(0); // bad-register: the size-2 and size-8 reads, the misaligned write
  });

  it('interrupts reach the guest: injected, handled, and each EOI reaches the interrupt controller', async () => {
    const r = await runToEnd({ devices: [{ displayModes: MODES }], workload: { name: 'desktop', frames: 40, seed: 5 }, cpu: 'kvm' });
    const g = kvmGuest(r.vcpus[0]!);
    expect(g.interruptsHandled).toBeGreaterThan(0);
    expect(g.exits.injections).toBe(g.interruptsHandled);
    expect(r.stats.irq.eois).toBe(g.interruptsHandled);
    expect(g.hypercalls.halt).toBe(g.halts); // every wait of the guest for its fence reached us
    expect(g.hypercalls.eoi).toBe(g.interruptsHandled);
    expect(g.hypercalls.done).toBe(1);
  });

  it('SMP: two vCPUs, each driving its own device, give the same frames as on the TypeScript guest', async () => {
    const options: VmOptions = {
      devices: [{ displayModes: MODES }, { variant: 'pci', displayModes: MODES }],
      vcpus: 2,
      workload: { name: 'desktop', frames: 30, seed: 9 },
    };
    const ts = await runToEnd({ ...options, cpu: 'ts' });
    const kvm = await runToEnd({ ...options, cpu: 'kvm' });
    expect(kvm.vcpus.map((v) => [v.cpu, v.state, v.guest!.framesDone])).toEqual([
      ['kvm', 'done', 30],
      ['kvm', 'done', 30],
    ]);
    expect(kvm.checksums).toEqual(ts.checksums);
    expect(kvm.stats.devices.map((d) => d.engine!.presents)).toEqual(ts.stats.devices.map((d) => d.engine!.presents));
  });

  it('a second workload on the same VM reuses its KVM vCPUs', async () => {
    const vm = await boot({ devices: [{ displayModes: MODES }], workload: { name: 'fullframe', frames: 5, seed: 2 }, cpu: 'kvm' });
    await vm.whenGuestsDone();
    await vm.runWorkload({ name: 'desktop', frames: 10, seed: 2 });
    const [v] = await vm.whenGuestsDone();
    expect(v).toMatchObject({ cpu: 'kvm', state: 'done', fault: null });
    expect(v!.guest!.workload).toBe('desktop');
    expect(v!.guest!.framesDone).toBe(10);
    await expect(vm.runWorkload({ name: 'band', frames: 1 })).rejects.toThrow(VmConfigError);
  });

  it('stops cleanly under load: every vCPU thread leaves KVM_RUN and is joined promptly', async () => {
    const vm = await boot({
      devices: [{ displayModes: MODES }, { displayModes: MODES }],
      vcpus: 2,
      workload: { name: 'fullframe', frames: 1_000_000 },
      cpu: 'kvm',
    });
    // Under load by a signal, not a guess at how long start-up takes: every vCPU is running frames.
    await midRun(vm, 1);
    const before = await vm.stats();
    expect(before.vcpus.every((v) => v.state === 'running' && v.guest!.framesDone > 0)).toBe(true);
    const t0 = performance.now();
    await vm.stop();
    expect(performance.now() - t0).toBeLessThan(3000);
    await vm.supervisor.joined();
    expect(vm.supervisor.liveActors()).toEqual([]);
  });
});

onKvm('misbehaving KVM guests stop their vCPU with a report; the VM and host run on', () => {
  async function misbehave(mode: TestVmOptions['testKvmGuest']) {
    const vm = await boot({
      devices: [{ displayModes: MODES }, { displayModes: MODES }],
      vcpus: 2,
      workload: { name: 'desktop', frames: 20, seed: 1 },
      cpu: 'kvm',
      testKvmGuest: mode,
    });
    return vm;
  }

  it.each([
    ['tripleFault', /triple fault: the guest reset itself \(rip 0x[0-9a-f]+/],
    ['writeReadOnly', /write of \d bytes to read-only memory at 0x1000000/],
    ['divideByZero', /the guest failed \(code 2\): exception 0/],
  ] as const)('%s: that vCPU is faulted with a report', async (mode, report) => {
    const vm = await misbehave(mode);
    const vcpus = await vm.whenGuestsDone();
    for (const v of vcpus) {
      expect(v.state).toBe('faulted');
      expect(v.fault).toMatch(report);
    }
    expect(vm.supervisor.failed).toBeNull(); // a guest fault, not a host fault
    // The device still answers and another guest can run on a fresh VM in the same process.
    const again = await runToEnd({ devices: [{ displayModes: MODES }], workload: { name: 'fullframe', frames: 3 }, cpu: 'kvm' });
    expect(again.vcpus[0]!.state).toBe('done');
  });

  it('unassignedMmio: reads all ones and writes are counted, and the guest finishes', async () => {
    const vm = await misbehave('unassignedMmio');
    const vcpus = await vm.whenGuestsDone();
    for (const v of vcpus) {
      expect(v.state).toBe('done');
      expect(v.bus.unassignedReads).toBeGreaterThanOrEqual(1000);
      expect(v.bus.unassignedWrites).toBeGreaterThanOrEqual(1000);
    }
  });

  it('runawayLoop: a guest that never exits is still stopped promptly, and stats answer meanwhile', async () => {
    const vm = await misbehave('runawayLoop');
    // Stats answer meanwhile (the slice timer hands the thread back to the actor): asked until
    // a few slices have passed, at the pace the machine allows.
    let s = await vm.stats();
    while ((kvmGuest(s.vcpus[0]!).exits.byKind.interrupted ?? 0) <= 3 && s.vcpus.every((v) => v.state === 'running')) {
      await new Promise((r) => setTimeout(r, 20));
      s = await vm.stats();
    }
    expect(s.vcpus.every((v) => v.state === 'running')).toBe(true);
    expect(kvmGuest(s.vcpus[0]!).exits.byKind.interrupted).toBeGreaterThan(3);
    const t0 = performance.now();
    await vm.stop();
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(vm.supervisor.liveActors()).toEqual([]);
  });
});

describe('choosing the CPU', () => {
  it('kvm where /dev/kvm cannot be opened is refused with the reason; auto falls back to ts', async () => {
    const saved = process.env.PVG_KVM_DEVICE;
    process.env.PVG_KVM_DEVICE = '/nonexistent/kvm';
    try {
      const err = await Vm.create({ workload: { name: 'desktop', frames: 1 }, cpu: 'kvm' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VmConfigError);
      expect((err as VmConfigError).field).toBe('cpu');
      expect((err as Error).message).toMatch(/\/nonexistent\/kvm does not exist/);
      const vm = await boot({ devices: [{ displayModes: MODES }], workload: { name: 'fullframe', frames: 2 }, cpu: 'auto' });
      expect(vm.cpu).toEqual({ backend: 'ts', fallback: expect.stringMatching(/does not exist/) });
      const [v] = await vm.whenGuestsDone();
      expect(v).toMatchObject({ cpu: 'ts', state: 'done' });
    } finally {
      if (saved === undefined) delete process.env.PVG_KVM_DEVICE;
      else process.env.PVG_KVM_DEVICE = saved;
    }
  });

  it('paint and desktop run on the machine-code guest over virtio-mmio and virtio-pci with MSI-X: kvm refuses INTx, auto falls back to ts (this host left out)', () => {
    expect(resolveCpu('kvm', 'paint', false, 'mmio')).toEqual({ cpu: 'kvm', why: null });
    expect(resolveCpu('kvm', 'paint', false, 'pci')).toEqual({ cpu: 'kvm', why: null });
    expect(resolveCpu('kvm', 'desktop', false, 'pci', 'msix')).toEqual({ cpu: 'kvm', why: null });
    expect(() => resolveCpu('kvm', 'paint', false, 'pci', 'intx')).toThrow(/MSI-X only \(workload paint with inputInterrupts intx\)/);
    expect(() => resolveCpu('kvm', 'desktop', false, 'pci', 'intx')).toThrow(/MSI-X only/);
    expect(resolveCpu('auto', 'paint', false, 'pci', 'intx')).toEqual({ cpu: 'ts', why: expect.stringMatching(/MSI-X only/) });
    // Workloads that leave the input devices alone do not care.
    expect(resolveCpu('kvm', 'fullframe', false, 'pci', 'intx')).toEqual({ cpu: 'kvm', why: null });
  });

  it('bad choices and workloads the machine-code guest lacks are refused by field', async () => {
    await expect(Vm.create({ cpu: 'arm' as never })).rejects.toMatchObject({ field: 'cpu' });
    if (!unavailable) {
      await expect(Vm.create({ workload: { name: 'band', frames: 1 }, cpu: 'kvm' })).rejects.toThrow(/does not implement workload band/);
      const vm = await boot({ devices: [{ displayModes: MODES }], workload: { name: 'band', frames: 1 }, cpu: 'auto' });
      expect(vm.cpu.backend).toBe('ts');
    }
  });
});
