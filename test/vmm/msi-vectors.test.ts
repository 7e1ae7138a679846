// The PCI variant's MSI vectors end to end: the engine names a vector per cause (fence 0, error
// 1), the device sends it in the low bits of the MSI data, and the guest (which enables 4 of the
// 32 vectors offered) takes each on its own vector. Then the machine-code guest on KVM, which
// enables the same 4, where /dev/kvm can be used.
import { afterEach, describe, expect, it } from 'vitest';

import { kvmUnavailableReason } from '../../actors/vcpu/kvm/availability.js';
import { MSI_VECTORS_ENABLED, deviceVectors } from '../../machine/memory-map.js';
import { Vm } from '../../vmm/vm.js';

let vm: Vm | null = null;
afterEach(async () => {
  await vm?.stop();
  vm = null;
});

describe('several MSI vectors (apple-gfx-pci)', () => {
  it('the TypeScript guest takes fence and error interrupts on two vectors of its block', async () => {
    vm = await Vm.create({ ramMiB: 32, devices: [{ variant: 'pci', displayModes: ['320x200@60'] }], workload: { name: 'hostile', frames: 24, seed: 3 } });
    const [cpu] = await vm.whenGuestsDone();
    expect(cpu).toMatchObject({ state: 'done', fault: null });
    const byVector = cpu!.guest!.interruptsByVector!;
    expect(byVector[0]).toBeGreaterThan(0); // fence
    expect(byVector[1]).toBeGreaterThan(0); // error
    expect(Object.keys(byVector).every((v) => Number(v) >= 0 && Number(v) < MSI_VECTORS_ENABLED)).toBe(true);
    const s = await vm.stats();
    expect(s.irq.msiDeliveries).toBe(s.devices[0]!.interrupts.delivered);
    expect(s.devices[0]!.interrupts.heldWhileMasked).toBe(0);
  });

  it('the machine-code guest on KVM enables the same block and runs its frames', async () => {
    const why = kvmUnavailableReason();
    if (why) {
      console.warn(`KVM part skipped: ${why}`);
      return;
    }
    vm = await Vm.create({
      ramMiB: 64,
      cpu: 'kvm',
      devices: [{ variant: 'pci', displayModes: ['320x200@60'] }],
      workload: { name: 'hostile', frames: 24, seed: 3 },
    });
    const [cpu] = await vm.whenGuestsDone();
    expect(cpu).toMatchObject({ state: 'done', fault: null });
    const s = await vm.stats();
    // Both causes' vectors reached the vCPU: the interrupt controller saw MSIs of the block's first two vectors.
    expect(s.irq.msiDeliveries).toBeGreaterThan(0);
    expect(cpu!.guest!.deviceErrorsSeen).toBeGreaterThan(0);
    expect(deviceVectors(0).msi % MSI_VECTORS_ENABLED).toBe(0);
  });
});
