// The status line's text: rates and read latency between two snapshots, the deepest mailbox,
// cutting to the terminal width, and what it says when values are zero or missing.
import { describe, expect, it } from 'vitest';

import { READ_LATENCY_BUCKETS, latencyBucket } from '../../actors/vcpu/read-latency.js';
import { formatStatusLine, truncate } from '../../cli/status-line.js';
import type { VmStats } from '../../vmm/vm.js';

interface Snap {
  frames?: number[];
  encodes?: number[];
  lineDeliveries?: number[];
  msi?: number;
  /** Round trips (µs) every vCPU has timed so far (all on vCPU 0). */
  reads?: number[];
  deviceDepths?: number[];
  compositorDepth?: number;
  noLatency?: boolean;
}

const mailbox = (depth: number) => ({
  capacity: 1024,
  depth,
  enqueued: 0,
  dequeued: 0,
  producerWaits: 0,
  producersWaiting: 0,
  consumerParks: 0,
  closed: false,
});

/** Only the fields the status line reads; the rest of VmStats does not matter here. */
function snap(s: Snap): VmStats {
  const buckets = new Array<number>(READ_LATENCY_BUCKETS).fill(0);
  for (const us of s.reads ?? []) buckets[latencyBucket(us)]!++;
  const readLatency = { count: s.reads?.length ?? 0, totalUs: (s.reads ?? []).reduce((a, b) => a + b, 0), buckets };
  return {
    vcpus: (s.frames ?? [0]).map((framesDone, vcpu) => ({
      vcpu,
      bus: {
        reads: 0,
        writes: 0,
        unassignedReads: 0,
        unassignedWrites: 0,
        badAccesses: 0,
        ...(s.noLatency ? {} : { readLatency: vcpu === 0 ? readLatency : { count: 0, totalUs: 0, buckets: [] } }),
      },
      guest: { framesDone },
    })),
    devices: (s.deviceDepths ?? [0]).map((d) => ({ mailbox: mailbox(d) })),
    irq: { lines: (s.lineDeliveries ?? []).map((deliveries) => ({ deliveries })), msiDeliveries: s.msi ?? 0 },
    compositor: { displays: (s.encodes ?? []).map((encodes) => ({ encodes })), mailbox: mailbox(s.compositorDepth ?? 0) },
  } as unknown as VmStats;
}

const fast = (n: number) => new Array<number>(n).fill(6);

describe('formatStatusLine', () => {
  it('gives frames/s, kept frames/s, read latency p50/p99, interrupts/s and the deepest mailbox over the interval', () => {
    const from = snap({ frames: [100, 50], encodes: [90, 40], lineDeliveries: [100, 0], msi: 50, reads: fast(100), deviceDepths: [2, 1] });
    const to = snap({
      frames: [400, 150],
      encodes: [330, 100],
      lineDeliveries: [300, 0],
      msi: 150,
      deviceDepths: [2, 7],
      compositorDepth: 3,
      // 99 more reads at 6 µs and one slow one, in the interval; the earlier 100 reads do not count.
      reads: [...fast(100), ...fast(99), 1000],
    });
    const line = formatStatusLine(from, to, 500, Infinity);
    // 400 frames in 0.5 s; 300 kept; 200 line + 100 MSI deliveries.
    expect(line).toBe('800 fps (600 kept) | MMIO read p50 6.5µs p99 6.5µs | 600 irq/s | deepest mailbox device1 7/1024');
    // One slow read in 100 is past the 99th rank; two are not.
    const slow = snap({ reads: [...fast(100), ...fast(98), 1000, 1000] });
    expect(formatStatusLine(from, slow, 1000, Infinity)).toContain('p50 6.5µs p99 960µs');
    // Milliseconds past 1000 µs (3 ms lands in the bucket [2.56, 3.07) ms, shown by its middle).
    expect(formatStatusLine(null, snap({ reads: [3000] }), 1000, Infinity)).toContain('p50 2.8ms p99 2.8ms');
  });

  it('shows slow rates with one decimal, and names the compositor when its mailbox is deepest', () => {
    const line = formatStatusLine(snap({ frames: [0] }), snap({ frames: [3], lineDeliveries: [3], compositorDepth: 9, deviceDepths: [4] }), 250, Infinity);
    expect(line).toBe('12.0 fps (0.0 kept) | no MMIO reads | 12 irq/s | deepest mailbox compositor 9/1024');
  });

  it('counts from zero without an earlier snapshot, and says "-" for rates over no time', () => {
    const to = snap({ frames: [30], encodes: [20], lineDeliveries: [30], reads: fast(5) });
    expect(formatStatusLine(null, to, 1000, Infinity)).toBe('30.0 fps (20.0 kept) | MMIO read p50 6.5µs p99 6.5µs | 30 irq/s | deepest mailbox device0 0/1024');
    expect(formatStatusLine(null, to, 0, Infinity)).toMatch(/^- fps \(- kept\) \| MMIO read p50 6\.5µs .* \| - irq\/s \|/);
  });

  it('says so when there are no reads, no read-latency figures, no devices or no displays', () => {
    const empty = snap({ frames: [], deviceDepths: [], noLatency: true });
    expect(formatStatusLine(empty, empty, 250, Infinity)).toBe('0.0 fps (0.0 kept) | no MMIO reads | 0 irq/s | deepest mailbox compositor 0/1024');
    const old = snap({ noLatency: true, frames: [5] });
    expect(formatStatusLine(null, old, 250, Infinity)).toContain('no MMIO reads');
  });

  it('never shows a negative rate when a counter starts over (a new workload on the vCPU)', () => {
    const line = formatStatusLine(snap({ frames: [500], reads: fast(50) }), snap({ frames: [10], reads: fast(3) }), 1000, Infinity);
    expect(line).toMatch(/^10\.0 fps .* MMIO read p50 6\.5µs/);
  });

  it('is cut to the width, the cut marked', () => {
    const to = snap({ frames: [1234], encodes: [1200], lineDeliveries: [1234], reads: fast(10) });
    const full = formatStatusLine(null, to, 1000, Infinity);
    expect(full.length).toBeGreaterThan(60);
    const cut = formatStatusLine(null, to, 1000, 40);
    expect(cut).toHaveLength(40);
    expect(cut).toBe(`${full.slice(0, 39)}…`);
    expect(formatStatusLine(null, to, 1000, full.length)).toBe(full);
    expect(truncate('abc', 0)).toBe('');
    expect(truncate('abc', 1)).toBe('…');
    expect(truncate('abc', 3)).toBe('abc');
  });
});
