// A device's map semantics seen from a whole VM: the hostile workload's overlapping map and its
// unmap of nothing are refused under 'strict' (the default) and carried out under 'framework',
// where the VM keeps running and the guest's other errors are still reported.
import { afterEach, describe, expect, it } from 'vitest';

import { VmConfigError } from '../../vmm/config.js';
import { Vm } from '../../vmm/vm.js';

let vm: Vm | null = null;
afterEach(async () => {
  await vm?.stop();
  vm = null;
});

async function hostile(mapSemantics?: 'strict' | 'framework') {
  vm = await Vm.create({
    ramMiB: 32,
    devices: [{ displayModes: ['320x200@60'], ...(mapSemantics ? { mapSemantics } : {}) }],
    workload: { name: 'hostile', frames: 36, seed: 3 },
  });
  const [cpu] = await vm.whenGuestsDone();
  const s = await vm.stats();
  await vm.stop();
  vm = null;
  return { cpu: cpu!, tasks: s.devices[0]!.tasks, engine: s.devices[0]!.engine! };
}

describe('map semantics per device', () => {
  it('strict (the default) refuses the overlapping map and the unmap of nothing', async () => {
    const r = await hostile();
    expect(r.cpu).toMatchObject({ state: 'done', fault: null });
    expect(r.tasks.errors.overlap).toBeGreaterThan(0);
    expect(r.tasks.errors['nothing-mapped']).toBeGreaterThan(0);
  });

  it('framework carries both out (overwrite, clear), and the guest’s other errors are still counted', async () => {
    const r = await hostile('framework');
    expect(r.cpu).toMatchObject({ state: 'done', fault: null });
    expect(r.tasks.errors.overlap).toBe(0);
    expect(r.tasks.errors['nothing-mapped']).toBe(0);
    expect(r.tasks.errors['cuts-mapping']).toBe(0);
    expect(r.tasks.errors['not-in-ram']).toBeGreaterThan(0);
    expect(r.engine.badRegisterAccesses).toBeGreaterThan(0);
  });

  it('is checked at creation, naming the field', async () => {
    await expect(Vm.create({ devices: [{ mapSemantics: 'loose' as 'strict' }] })).rejects.toThrow(VmConfigError);
    await expect(Vm.create({ devices: [{ mapSemantics: 'loose' as 'strict' }] })).rejects.toThrow(/devices\[0\]\.mapSemantics: must be strict or framework/);
  });
});
