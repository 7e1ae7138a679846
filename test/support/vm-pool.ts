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
    await Promise.all(vms.map((vm) => vm.stop()));
    vms = [];
  });
  return {
    create: async (options = {}) => {
      const vm = await createTestVm({ ...defaults, ...options });
      vms.push(vm);
      return vm;
    },
  };
}
