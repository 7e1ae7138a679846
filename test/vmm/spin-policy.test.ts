// The device side spins through a KVM exit gap only where there are cores to spare.
import { describe, expect, it } from 'vitest';

import { DEFAULT_DEVICE_SPIN, KVM_DEVICE_SPIN, MIN_CORES_FOR_LONG_SPIN, deviceSpin } from '../../vmm/spin-policy.js';

describe('device spin policy', () => {
  it('long for KVM vCPUs on machines with cores to spare, the usual spin otherwise', () => {
    expect(KVM_DEVICE_SPIN).toBeGreaterThan(DEFAULT_DEVICE_SPIN);
    expect(deviceSpin('kvm', MIN_CORES_FOR_LONG_SPIN)).toBe(KVM_DEVICE_SPIN);
    expect(deviceSpin('kvm', 64)).toBe(KVM_DEVICE_SPIN);
    expect(deviceSpin('kvm', MIN_CORES_FOR_LONG_SPIN - 1)).toBe(DEFAULT_DEVICE_SPIN);
    expect(deviceSpin('kvm', 2)).toBe(DEFAULT_DEVICE_SPIN);
    expect(deviceSpin('ts', 64)).toBe(DEFAULT_DEVICE_SPIN);
  });
});
