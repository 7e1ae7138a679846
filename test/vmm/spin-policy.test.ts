// The device side spins through a KVM exit gap only where there are cores to spare.
import { describe, expect, it } from 'vitest';

import { DEFAULT_DEVICE_SPIN, KVM_DEVICE_SPIN, MIN_CORES_FOR_LONG_SPIN, WAITING_THREADS_PER_DEVICE, deviceSpin, spinLimit } from '../../vmm/spin-policy.js';

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

describe('spin gate limit', () => {
  it('a quarter of the cores on machines with cores to spare, no cap on small ones', () => {
    expect(spinLimit(16, undefined)).toBe(4);
    expect(spinLimit(64, undefined)).toBe(16);
    expect(spinLimit(MIN_CORES_FOR_LONG_SPIN, undefined)).toBe(MIN_CORES_FOR_LONG_SPIN / 4);
    expect(spinLimit(2, undefined)).toBeUndefined();
  });

  it("none spins where the devices' waiting threads are more than twice the cores", () => {
    expect(spinLimit(16, undefined, 1)).toBe(4);
    expect(spinLimit(16, undefined, 8)).toBe(4); // 32 waiting threads: twice the cores, not more
    expect(spinLimit(16, undefined, 9)).toBe(0);
    expect(spinLimit(16, undefined, 16)).toBe(0);
    expect(spinLimit(64, undefined, 32)).toBe(16);
    expect(spinLimit(64, undefined, (2 * 64) / WAITING_THREADS_PER_DEVICE + 1)).toBe(0);
    expect(spinLimit(2, undefined, 16)).toBeUndefined(); // small machines: no cap, whatever the count
    expect(spinLimit(16, '3', 16)).toBe(3); // PVG_SPIN_LIMIT still wins
  });

  it('PVG_SPIN_LIMIT overrides it with a number or "none", and refuses anything else', () => {
    expect(spinLimit(16, '0')).toBe(0);
    expect(spinLimit(2, '12')).toBe(12);
    expect(spinLimit(16, 'none')).toBeUndefined();
    expect(spinLimit(16, '')).toBe(4);
    for (const bad of ['-1', '2.5', 'lots']) expect(() => spinLimit(16, bad)).toThrow(/PVG_SPIN_LIMIT must be an integer ≥ 0 or "none"/);
  });
});
