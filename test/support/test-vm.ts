// VMs with test hooks, built without any in the production API: Vm.create's options plus faults
// for device actors (faulty-device/) and a misbehaving KVM guest, applied by swapping what the VM
// spawns (vmm/vm.ts createVmWithOverride); and killing an actor as a crash would.
import type { DeviceConfig } from '../../actors/device/messages.js';
import type { SpawnSpec } from '../../actors/runtime/supervisor.js';
import { KvmTestMode, type KvmTestModeName } from '../../actors/vcpu/kvm/machine.js';
import type { VcpuConfig } from '../../actors/vcpu/messages.js';
import type { VmOptions } from '../../vmm/config.js';
import { createVmWithOverride, Vm } from '../../vmm/vm.js';
import type { TestFaults } from './faulty-device/faults.js';
import type { CompositorConfig } from '../../actors/compositor/messages.js';
import type { FaultyDeviceConfig } from './faulty-device/worker.js';

export interface TestVmOptions extends VmOptions {
  /** Faults per device index (faulty-device/faults.ts). */
  testFaults?: TestFaults;
  /** Make the KVM guest misbehave this way (docs/kvm.md). */
  testKvmGuest?: KvmTestModeName;
}

/** Vm.create, with the test hooks in `options` applied (none given: exactly Vm.create). */
export function createTestVm(options: TestVmOptions = {}): Promise<Vm> {
  const { testFaults, testKvmGuest, ...vmOptions } = options;
  const devices = (vmOptions.devices ?? [{}]).length;
  for (const key of Object.keys(testFaults?.devices ?? {})) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= devices) throw new RangeError(`testFaults.devices[${key}]: no such device (the VM has ${devices})`);
  }
  if (testKvmGuest !== undefined && !(testKvmGuest in KvmTestMode)) throw new RangeError(`testKvmGuest: no mode ${JSON.stringify(testKvmGuest)}`);
  if (!testFaults && testKvmGuest === undefined) return Vm.create(vmOptions);
  return createVmWithOverride(vmOptions, (spec) => override(spec, testFaults, testKvmGuest));
}

function override(spec: SpawnSpec, faults: TestFaults | undefined, kvmGuest: KvmTestModeName | undefined): SpawnSpec {
  if (spec.module === 'actors/device/worker') {
    const config = spec.config as DeviceConfig;
    const deviceFaults = faults?.devices?.[config.index];
    if (!deviceFaults) return spec;
    return { ...spec, module: 'test/support/faulty-device/worker', config: { ...config, faults: deviceFaults } satisfies DeviceConfig & FaultyDeviceConfig };
  }
  if (spec.module === 'actors/compositor/worker' && faults?.compositor) {
    return { ...spec, module: 'test/support/stalled-compositor/worker', config: { ...(spec.config as CompositorConfig), stall: faults.compositor.stall } };
  }
  if (spec.module === 'actors/vcpu/worker' && kvmGuest !== undefined) {
    const config = spec.config as VcpuConfig;
    return config.kvm ? { ...spec, config: { ...config, kvm: { ...config.kvm, testMode: KvmTestMode[kvmGuest] } } satisfies VcpuConfig } : spec;
  }
  return spec;
}

/** Terminates an actor's worker as a crash would (the supervisor then fails the VM). */
export async function terminateActor(vm: Vm, name: string): Promise<void> {
  const actor = vm.supervisor.actor(name);
  if (!actor) throw new Error(`no actor named ${name}`);
  await actor.worker.terminate();
}
