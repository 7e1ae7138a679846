// VmOptions.profile: 'native' (this project's protocol, unchanged) and 'pvg' (a model of a PVG
// host: whole-frame readback, presents paced to the refresh, synchronous MMIO writes), and what
// each resolves to; then, on a running VM, that under 'pvg' a present of 1 % of the frame is
// still read back whole and an MMIO write is not posted.
import { afterEach, describe, expect, it } from 'vitest';

import { Vm } from '../../vmm/vm.js';
import { resolveConfig } from '../../vmm/config.js';

let vm: Vm | null = null;
afterEach(async () => {
  await vm?.stop();
  vm = null;
});

describe('profile: what each resolves to', () => {
  it('native (the default) keeps damage, posted writes and unpaced presents', () => {
    for (const c of [resolveConfig({}), resolveConfig({ profile: 'native' })]) {
      expect(c.profile).toBe('native');
      expect(c.writeWindow).toBe(16);
      expect(c.devices[0]!.displays[0]).toMatchObject({ pacing: 'none', readback: 'damage' });
    }
  });

  it('pvg: whole-frame readback, refresh pacing, synchronous writes; explicit options win', () => {
    const c = resolveConfig({ profile: 'pvg' });
    expect(c.writeWindow).toBe(0);
    expect(c.devices[0]!.displays[0]).toMatchObject({ pacing: 'refresh', readback: 'whole-frame' });
    const own = resolveConfig({ profile: 'pvg', writeWindow: 4, pacing: 'none', devices: [{}, { pacing: 'refresh' }] });
    expect(own.writeWindow).toBe(4);
    expect(own.devices.map((d) => d.displays[0]!.pacing)).toEqual(['none', 'refresh']);
    expect(own.devices.every((d) => d.displays[0]!.readback === 'whole-frame')).toBe(true);
  });

  it('pacing alone, in any profile', () => {
    const c = resolveConfig({ pacing: 'refresh' });
    expect(c.writeWindow).toBe(16);
    expect(c.devices[0]!.displays[0]).toMatchObject({ pacing: 'refresh', readback: 'damage' });
  });

  it.each([
    [{ profile: 'qemu' }, 'profile'],
    [{ pacing: 'vsync' }, 'pacing'],
    [{ devices: [{ pacing: 60 }] }, 'devices[0].pacing'],
  ])('%j is refused, naming %s', (options, field) => {
    expect(() => resolveConfig(options as never)).toThrow(expect.objectContaining({ name: 'VmConfigError', field }));
  });
});

async function bandRun(profile: 'native' | 'pvg') {
  vm = await Vm.create({ ramMiB: 32, profile, devices: [{ displayModes: ['640x480@120'] }] });
  await vm.runWorkload({ name: 'band', frames: 40, damagePercent: 1 });
  const [cpu] = await vm.whenGuestsDone();
  await vm.settle();
  const s = await vm.stats();
  await vm.stop();
  vm = null;
  const d = s.compositor.displays[0]!;
  return { cpu: cpu!, pixelsCopied: d.pixelsCopied, encodes: d.encodes, engine: s.devices[0]!.engine! };
}

describe('profile on a running VM', () => {
  it('pvg reads back the whole frame for a 1 % present; native copies about the damage', async () => {
    const pvg = await bandRun('pvg');
    expect(pvg.cpu).toMatchObject({ state: 'done', fault: null });
    expect(pvg.pixelsCopied).toBe(pvg.encodes * 640 * 480);
    expect(pvg.engine.vblankWaits).toBeGreaterThan(0);
    const own = await bandRun('native');
    // The first encode copies the whole frame (the mode set cleared it); the others, the bands
    // presented since the one before. Unpaced, the compositor may coalesce many presents into one
    // encode, so the average over all encodes would say more about timing than about the copy.
    expect(own.encodes).toBeGreaterThan(1);
    expect((own.pixelsCopied - 640 * 480) / (own.encodes - 1)).toBeLessThan((640 * 480) / 4);
    expect(own.engine.vblankWaits).toBe(0);
  });
});
