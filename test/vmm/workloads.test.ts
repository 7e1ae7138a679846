// Whole VMs: a guest driver on a vCPU drives the device over MMIO, the engine renders, interrupts
// come back. Each built-in workload runs end to end; results are frame checksums and counters.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../shared/package-root.js';
import { Vm } from '../../vmm/vm.js';
import type { VmOptions } from '../../vmm/config.js';
import { fnv1a64 } from '../support/pixels.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';

const MODES = ['320x200@60', '256x160@60', '200x120@60'];
const SUMS = path.join(packageRoot, 'test', 'vmm', 'golden-workloads.json');
const UPDATE = process.env.PVG_UPDATE_GOLDEN === '1';
const expected: Record<string, string> = existsSync(SUMS) ? JSON.parse(readFileSync(SUMS, 'utf8')) : {};
const actual: Record<string, string> = {};
afterAll(() => {
  if (UPDATE) writeFileSync(SUMS, `${JSON.stringify({ ...expected, ...actual }, null, 2)}\n`);
});

const vms = vmsStoppedAfterEach({ ramMiB: 64 });
const boot = (options: VmOptions) => vms.create(options);

/** Runs a workload to the end and returns the last frame's checksum and the stats. */
async function runToEnd(options: VmOptions) {
  const vm = await boot(options);
  const vcpus = await vm.whenGuestsDone();
  await vm.settle();
  const frame = (await vm.frame(0, 0))!;
  return { vm, vcpus, stats: await vm.stats(), checksum: fnv1a64(frame.pixels), frame };
}

const errorsOf = (s: Awaited<ReturnType<Vm['stats']>>) => s.devices[0]!.engine!.errors.reduce((a, b) => a + b, 0);

describe('built-in workloads, end to end', () => {
  it('band: only the presented rows change, and the compositor copies only those', async () => {
    // 320x400 at 5%: a 20-row band per frame at rows 0, 20, …, 220.
    const a = await runToEnd({ devices: [{ displayModes: ['320x400@60'] }], workload: { name: 'band', frames: 12, seed: 7, damagePercent: 5 } });
    expect(errorsOf(a.stats)).toBe(0);
    // Rows 240 and below keep the set-up fill; each band changed all of its rows.
    const px = a.frame.pixels;
    for (let i = 240 * 320; i < 400 * 320; i++) if (px[i] !== 0xff102030) expect.fail(`pixel ${i % 320},${Math.floor(i / 320)} changed`);
    for (let y = 0; y < 240; y++)
      expect(
        px.subarray(y * 320, y * 320 + 320).some((p) => p !== 0xff102030),
        `row ${y}`,
      ).toBe(true);
    // The first encode is whole (a new mode), and so is the set-up's present (a fill of the whole
    // frame) unless it coalesces with that first encode, which depends on timing; every later one
    // copies a band only (frames may coalesce): at most the frame twice plus every band, where
    // whole frames would be 13 × 128000.
    const shown = a.stats.compositor.displays[0]!;
    expect(shown.pixelsCopied).toBeGreaterThanOrEqual(320 * 400);
    expect(shown.pixelsCopied).toBeLessThanOrEqual(2 * 320 * 400 + 12 * 320 * 20);
  });

  it.each([
    ['desktop', 24],
    ['fullframe', 24],
    ['damage', 40],
    ['mapchurn', 20],
    ['modestorm', 21],
  ])('%s: every frame drawn, no error, the same pixels for the same seed', async (name, frames) => {
    const options: VmOptions = { devices: [{ displayModes: MODES }], workload: { name, frames, seed: 7 } };
    const a = await runToEnd(options);
    expect(a.vcpus[0]).toMatchObject({ state: 'done', fault: null });
    expect(a.vcpus[0]!.guest!.framesDone).toBe(frames);
    expect(errorsOf(a.stats)).toBe(0);
    const d = a.stats.devices[0]!;
    expect(d.engine!.fences).toBe(frames);
    expect(d.interrupts.raised).toBeGreaterThanOrEqual(frames); // a fence interrupt per frame
    expect(d.interrupts.delivered).toBe(d.interrupts.raised);
    expect(a.vcpus[0]!.guest!.interruptsHandled).toBeGreaterThan(0);
    expect(a.stats.irq.eois).toBe(a.vcpus[0]!.guest!.interruptsHandled);
    const b = await runToEnd(options);
    expect(b.checksum).toBe(a.checksum);
    actual[name] = a.checksum;
    if (!UPDATE) expect(a.checksum, `${name}: run "npm run golden:update" only for an intended change`).toBe(expected[name]);
    if (name === 'modestorm') expect([a.frame.width, a.frame.height]).toEqual([320, 200]); // frame 18 switched back to mode 0
    if (name === 'mapchurn') expect(d.tasks.errors && Object.values(d.tasks.errors).reduce((x, y) => x + y, 0)).toBe(0);
  });

  it('hostile: errors and counters only; the VM keeps running and a following desktop renders like a fresh one', async () => {
    const vm = await boot({ devices: [{ displayModes: MODES }], workload: { name: 'hostile', frames: 36, seed: 3 } });
    const [cpu] = await vm.whenGuestsDone();
    expect(cpu).toMatchObject({ state: 'done', fault: null });
    const s = await vm.stats();
    const engine = s.devices[0]!.engine!;
    expect(errorsOf(s)).toBeGreaterThanOrEqual(24);
    for (const kind of [1, 3, 4, 5, 7, 9, 10]) expect(engine.errors[kind], `error kind ${kind}`).toBeGreaterThan(0);
    expect(engine.badRegisterAccesses).toBeGreaterThan(0);
    expect(cpu!.bus.unassignedReads).toBeGreaterThan(0);
    expect(vm.supervisor.failed).toBeNull();

    await vm.runWorkload({ name: 'desktop', frames: 24, seed: 7 });
    const [again] = await vm.whenGuestsDone();
    expect(again).toMatchObject({ state: 'done', fault: null });
    await vm.settle();
    const after = await vm.stats();
    expect(errorsOf(after)).toBe(errorsOf(s)); // no new error
    // Host structures intact: the reset destroyed every earlier task; the ring and one context remain.
    expect(after.devices[0]!.tasks.tasks).toBe(2);
    const frame = (await vm.frame(0, 0))!;
    expect(fnv1a64(frame.pixels)).toBe(expected['desktop'] ?? actual['desktop']);
  });

  it('apple-gfx-pci: BAR0 placed by the guest, MSI delivered, the same pixels as the MMIO variant', async () => {
    const r = await runToEnd({ devices: [{ variant: 'pci', displayModes: MODES }], workload: { name: 'desktop', frames: 24, seed: 7 } });
    expect(r.vcpus[0]).toMatchObject({ state: 'done', fault: null });
    expect(r.stats.devices[0]!.configWrites).toBeGreaterThan(0);
    // The first BAR0 access follows the BAR placement even while the config writes are in flight.
    expect(r.vcpus[0]!.bus.unassignedReads).toBe(0);
    expect(r.stats.irq.msiDeliveries).toBe(r.stats.devices[0]!.interrupts.delivered);
    expect(r.stats.devices[0]!.interrupts.droppedWhileDisabled).toBe(0);
    expect(r.checksum).toBe(expected['desktop'] ?? actual['desktop']);
  });

  it('several vCPUs and devices at once', async () => {
    const r = await runToEnd({
      devices: [{ displayModes: MODES }, { variant: 'pci', displayModes: MODES }],
      workload: { name: 'damage', frames: 30, seed: 1 },
    });
    expect(r.vcpus.map((v) => [v.state, v.guest?.framesDone])).toEqual([
      ['done', 30],
      ['done', 30],
    ]);
    expect(r.stats.devices.map((d) => d.engine!.presents)).toEqual([31, 31]);
  });
});
