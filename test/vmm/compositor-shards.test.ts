// A VM's compositor split into shards (vmm/compositor-shards.ts, docs/scaling.md "Compositor
// shards"): every workload ends on the same frames whatever the number of shards; the facade
// routes frames, stats, events, VNC ports and snapshots by display; a snapshot saved with one
// number of shards restores with any other; killing any one shard fails the VM with the typed
// error and leaves nothing running.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ActorExitedError } from '../../actors/runtime/errors.js';
import { WORKLOAD_NAMES } from '../../guest/ts/workloads/index.js';
import { VmConfigError, type VmOptions } from '../../vmm/config.js';
import { Vm } from '../../vmm/vm.js';
import { frameSummaries } from '../support/snapshot-frames.js';
import { createTestVm, terminateActor } from '../support/test-vm.js';
import { midRun } from '../support/mid-run.js';

let vms: Vm[] = [];
afterEach(async () => {
  await Promise.all(vms.map((v) => v.stop()));
  vms = [];
});
const keep = (vm: Vm) => (vms.push(vm), vm);

const MODES = ['320x200@60', '256x160@60'];
/**
 * Four devices, two of them with a second display, so a shard owns displays of more than one
 * device; each device starts in a mode of its own, so a frame shown on another display shows.
 */
const devices: VmOptions['devices'] = [
  { displayModes: MODES, displays: 2 },
  { displayModes: ['256x160@60', '320x200@60'] },
  { displayModes: ['288x180@60', '320x200@60'], displays: 2 },
  { variant: 'pci', displayModes: ['240x160@60', '256x160@60'] },
];
const machine = (name: string, compositorShards: number): VmOptions => ({
  ramMiB: 64,
  vcpus: 4,
  devices,
  workload: { name, frames: 12, seed: 5 },
  compositorShards,
  trace: false,
});

async function endFrames(options: VmOptions): Promise<{ frames: string[]; shards: string[] }> {
  const vm = keep(await Vm.create(options));
  const frames = await frameSummaries(vm);
  const s = await vm.stats();
  await vm.stop();
  return { frames, shards: s.compositor.shards.map((x) => x.name) };
}

describe('compositor shards', () => {
  it.each(WORKLOAD_NAMES)(
    '%s: the same frames on every display with 1, 2 and 4 shards',
    async (name) => {
      const one = await endFrames(machine(name, 1));
      expect(one.shards).toEqual(['compositor']);
      // Each device's guest draws its own frames (seed + device): a display mixed up with another shows.
      expect(new Set(one.frames.filter((f) => f !== 'no frame')).size).toBeGreaterThan(1);
      for (const k of [2, 4]) {
        const sharded = await endFrames(machine(name, k));
        expect(sharded.shards).toEqual(Array.from({ length: k }, (_, s) => `compositor${s}`));
        expect(sharded.frames, `${k} shards`).toEqual(one.frames);
      }
    },
    120_000,
  );

  it.each(['qemu', 'record-lock'] as const)(
    'under %s (every display event through the device actor): the same frames with 1 and 2 shards',
    async (threading) => {
      const one = await endFrames({ ...machine('multihead', 1), threading });
      const two = await endFrames({ ...machine('multihead', 2), threading });
      expect(two.shards).toEqual(['compositor0', 'compositor1']);
      expect(two.frames).toEqual(one.frames);
    },
    120_000,
  );

  it('routes stats, frame events and VNC ports by display, in configuration order', async () => {
    const vm = keep(await Vm.create({ ...machine('desktop', 3), start: 'paused' }));
    const events = new Map<string, number>();
    vm.on('frame', (e: { device: number; display: number }) => events.set(`${e.device}.${e.display}`, (events.get(`${e.device}.${e.display}`) ?? 0) + 1));
    await vm.resume();
    await vm.whenGuestsDone();
    await vm.settle();
    const ports = await vm.startVnc({ port: 0 });
    const s = await vm.stats();
    expect(s.compositor.shards.map((x) => [x.name, x.devices])).toEqual([
      ['compositor0', { first: 0, end: 1 }],
      ['compositor1', { first: 1, end: 2 }],
      ['compositor2', { first: 2, end: 4 }],
    ]);
    expect(s.compositor.displays.map((d) => `${d.device}.${d.display}`)).toEqual(['0.0', '0.1', '1.0', '2.0', '2.1', '3.0']);
    expect(s.compositor.mailbox.enqueued).toBe(s.compositor.shards.reduce((n, x) => n + x.mailbox.enqueued, 0));
    expect(s.compositor.unknownRecords).toBe(0);
    // Every shard's events reach the one listener: one per kept encode, on each drawn display.
    for (const d of s.compositor.displays) expect(events.get(`${d.device}.${d.display}`) ?? 0, `${d.device}.${d.display}`).toBe(d.encodes);
    expect(s.compositor.displays.filter((d) => d.display === 0).every((d) => d.encodes > 0)).toBe(true);
    // Display k of the VM serves on ports[k], whichever shard owns it.
    expect(new Set(ports).size).toBe(6);
    expect(s.compositor.displays.map((d) => d.vnc?.port)).toEqual(ports);
    for (const [i, d] of s.compositor.displays.entries()) {
      const f = await vm.frame(d.device, d.display);
      expect(f?.frameSeq ?? 0, `${i}`).toBe(d.lastFrameSeq);
    }
  }, 60_000);

  it('a snapshot saved with 2 shards restores with 1 and with 4, ending on the same frames', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'pvg-shards-')), 'vm.snap');
    const saved = keep(await Vm.create({ ...machine('desktop', 2), start: 'paused' }));
    const held = saved.pauseAtFrame(4);
    await saved.resume();
    await held;
    await saved.saveSnapshot(file);
    await saved.resume();
    const expected = await frameSummaries(saved);
    await saved.stop();
    // Checked as VmOptions.compositorShards is: at most the devices.
    await expect(Vm.restore(file, { compositorShards: 5 })).rejects.toSatisfy((e: unknown) => e instanceof VmConfigError && e.field === 'compositorShards');
    for (const compositorShards of [1, 4]) {
      const restored = keep(await Vm.restore(file, { compositorShards, trace: false }));
      expect((await restored.stats()).compositor.shards).toHaveLength(compositorShards);
      expect(await frameSummaries(restored), `${compositorShards} shards`).toEqual(expected);
      await restored.stop();
    }
  }, 60_000);

  it.each(['compositor0', 'compositor1', 'compositor2'])(
    'killing %s mid-run: the typed error within a second, nothing left running',
    async (victim) => {
      const vm = keep(
        await createTestVm({
          ramMiB: 32,
          vcpus: 3,
          devices: [{ displayModes: MODES }, { displayModes: MODES }, { displayModes: MODES }],
          compositorShards: 3,
          workload: { name: 'present', frames: 1_000_000 },
        }),
      );
      await midRun(vm);
      const failed = vm.whenFailed();
      const t0 = performance.now();
      await terminateActor(vm, victim);
      const failure = await failed;
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(failure).toBeInstanceOf(ActorExitedError);
      expect(failure.actor).toBe(victim);
      const stop0 = performance.now();
      await vm.stop();
      expect(performance.now() - stop0).toBeLessThan(2000);
      await vm.supervisor.joined();
      expect(vm.supervisor.liveActors()).toEqual([]);
    },
    30_000,
  );
});
