// The vCPU bus's read-latency histogram: its fixed buckets, the quantiles read from them, and
// the figures a real workload leaves in vm.stats().vcpus[i].bus.readLatency.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

import { READ_LATENCY_BUCKETS, latencyBucket, latencyBucketFloorUs, latencyQuantileUs } from '../../../actors/vcpu/read-latency.js';
import { Vm } from '../../../vmm/vm.js';

describe('read-latency buckets', () => {
  it('put every round trip in the bucket whose range holds it, buckets at most a quarter wide above 2 µs', () => {
    expect(latencyBucketFloorUs(0)).toBe(0);
    for (let i = 1; i < READ_LATENCY_BUCKETS; i++) expect(latencyBucketFloorUs(i)).toBeGreaterThan(latencyBucketFloorUs(i - 1));
    fc.assert(
      fc.property(fc.double({ min: 0, max: 20_000, noNaN: true }), (us) => {
        const i = latencyBucket(us);
        expect(latencyBucketFloorUs(i)).toBeLessThanOrEqual(us);
        expect(latencyBucketFloorUs(i + 1)).toBeGreaterThan(us);
        if (us >= 2) expect(latencyBucketFloorUs(i + 1) / latencyBucketFloorUs(i)).toBeLessThanOrEqual(1.26);
      }),
    );
    expect([latencyBucket(-1), latencyBucket(Number.NaN), latencyBucket(1e12), latencyBucket(Infinity)]).toEqual([0, 0, 63, 63]);
  });

  it('give quantiles as the middle of the bucket they fall in, null when empty', () => {
    const h = new Array<number>(READ_LATENCY_BUCKETS).fill(0);
    expect(latencyQuantileUs(h, 0.5)).toBeNull();
    h[latencyBucket(6)] = 90;
    h[latencyBucket(100)] = 10;
    expect(latencyQuantileUs(h, 0.5)).toBe(6.5);
    expect(latencyQuantileUs(h, 0.9)).toBe(6.5);
    expect(latencyQuantileUs(h, 0.91)).toBeCloseTo(100, -1);
    h[READ_LATENCY_BUCKETS - 1] = 1000;
    expect(latencyQuantileUs(h, 0.99)).toBe(latencyBucketFloorUs(READ_LATENCY_BUCKETS - 1));
  });
});

describe('read latency in a running VM', () => {
  let vm: Vm | null = null;
  afterEach(async () => {
    await vm?.stop();
    vm = null;
  });

  it.each(['mmio', 'pci'] as const)('is timed for every device read of a workload (%s)', async (variant) => {
    vm = await Vm.create({ ramMiB: 64, devices: [{ variant, displayModes: ['320x200@60'] }], workload: { name: 'desktop', frames: 20 } });
    await vm.whenGuestsDone();
    const { bus } = (await vm.stats()).vcpus[0]!;
    const l = bus.readLatency;
    // The driver's set-up reads 9 (mmio) or 15 (pci) registers; an interrupt whose causes an
    // earlier one took adds a read (docs/protocol.md §2, "Interrupt causes"), how many depends on
    // timing, so only the set-up floor is certain.
    expect(bus.reads).toBeGreaterThanOrEqual(variant === 'mmio' ? 9 : 15);
    expect(l.count).toBe(bus.reads - bus.unassignedReads);
    expect(l.buckets).toHaveLength(READ_LATENCY_BUCKETS);
    expect(l.buckets.reduce((a, b) => a + b, 0)).toBe(l.count);
    // A round trip to another thread and back: more than nothing, less than a second on average.
    expect(l.totalUs).toBeGreaterThan(0);
    expect(l.totalUs / l.count).toBeLessThan(1e6);
    expect(latencyQuantileUs(l.buckets, 0.5)).toBeGreaterThan(0);
  });
});
