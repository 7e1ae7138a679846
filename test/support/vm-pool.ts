// The VMs a test file creates, stopped after each test whatever happened in it.
import { afterEach } from 'vitest';

import type { VmOptions } from '../../vmm/config.js';
import { Vm } from '../../vmm/vm.js';

export interface VmPool {
  /** Vm.create with `defaults` under `options`; the VM is stopped after the test. */
  create(options?: VmOptions): Promise<Vm>;
}

export function vmsStoppedAfterEach(defaults: VmOptions = {}): VmPool {
  let vms: Vm[] = [];
  afterEach(async () => {
    await Promise.all(vms.map((vm) => vm.stop()));
    vms = [];
  });
  return {
    create: async (options = {}) => {
      const vm = await Vm.create({ ...defaults, ...options });
      vms.push(vm);
      return vm;
    },
  };
}
