// The VMs a test file creates, stopped after each test whatever happened in it.
import { afterEach } from 'vitest';

import type { Vm } from '../../vmm/vm.js';
import { createTestVm, type TestVmOptions } from './test-vm.js';

export interface VmPool {
  /** createTestVm (Vm.create, test hooks allowed) with `defaults` under `options`; the VM is stopped after the test. */
  create(options?: TestVmOptions): Promise<Vm>;
}

export function vmsStoppedAfterEach(defaults: TestVmOptions = {}): VmPool {
  let vms: Vm[] = [];
  afterEach(async () => {
    // Taken off the list first: a VM whose stop hangs fails this hook only, not every later one.
    const stopping = vms;
    vms = [];
    await Promise.all(stopping.map((vm) => vm.stop()));
  });
  return {
    create: async (options = {}) => {
      const vm = await createTestVm({ ...defaults, ...options });
      vms.push(vm);
      return vm;
    },
  };
}
