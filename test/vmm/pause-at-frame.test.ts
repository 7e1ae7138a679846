// vm.pauseAtFrame(n): every guest held exactly at frame n (two vCPUs, each holding itself from its
// own thread, then the VM's pause), held there until resume; n at or past the workload's end
// resolves when the guests finish; bad arguments and a VM without a workload are refused.
import { afterEach, describe, expect, it } from 'vitest';

import { LifecycleRefusedError } from '../../vmm/lifecycle-errors.js';
import { Vm } from '../../vmm/vm.js';

let vms: Vm[] = [];
afterEach(async () => {
  await Promise.all(vms.map((v) => v.stop()));
  vms = [];
});
const keep = (vm: Vm) => (vms.push(vm), vm);
const framesDone = async (vm: Vm) => (await vm.stats()).vcpus.map((v) => v.guest?.framesDone);

const TWO_DEVICES = {
  ramMiB: 32,
  vcpus: 2,
  devices: [{ displayModes: ['320x200@60'] }, { variant: 'pci' as const, displayModes: ['320x200@60'] }],
  workload: { name: 'damage', frames: 20, seed: 3 },
  trace: false,
};

describe('vm.pauseAtFrame()', () => {
  it('holds every guest exactly at the frame asked, until resume()', async () => {
    const vm = keep(await Vm.create({ ...TWO_DEVICES, start: 'paused' }));
    const held = vm.pauseAtFrame(7);
    await vm.resume();
    expect(await held).not.toBeNull();
    expect(vm.paused).toBe(true);
    expect(await framesDone(vm)).toEqual([7, 7]);
    await new Promise((r) => setTimeout(r, 100));
    expect(await framesDone(vm)).toEqual([7, 7]); // still held
    await vm.resume();
    await vm.whenGuestsDone();
    expect(await framesDone(vm)).toEqual([20, 20]);
  }, 30_000);

  it('at or past the end, resolves once the guests are done; again on a finished machine', async () => {
    const vm = keep(await Vm.create({ ...TWO_DEVICES, start: 'paused' }));
    const held = vm.pauseAtFrame(1000);
    await vm.resume();
    await held;
    expect(await framesDone(vm)).toEqual([20, 20]);
    await vm.resume();
    expect(await vm.pauseAtFrame(3)).toBeTruthy(); // finished guests: held at once
    expect(vm.paused).toBe(true);
  }, 30_000);

  it('refuses bad frame counts and a VM without a workload', async () => {
    const vm = keep(await Vm.create({ ...TWO_DEVICES, start: 'paused' }));
    for (const bad of [-1, 1.5, Number.NaN, '3' as unknown as number]) await expect(vm.pauseAtFrame(bad)).rejects.toBeInstanceOf(RangeError);
    const idle = keep(await Vm.create({ ramMiB: 16, devices: [{ displayModes: ['320x200@60'] }], workload: null }));
    await expect(idle.pauseAtFrame(1)).rejects.toBeInstanceOf(LifecycleRefusedError);
  }, 30_000);
});
