// bench scaling's per-point line: what a log keeps of a run cut short, with the tables' medians and ranges.
import { describe, expect, it } from 'vitest';

import { pointLine } from '../../../bench/suites/scaling.js';

const s = (median: number, min: number, max: number) => ({ median, min, max, n: 5 });

describe('pointLine', () => {
  it('gives the device count, the compositor shards, both models with min–max, the ratio, efficiency beside the machine’s own, CPU and p99 in ms', () => {
    const line = pointLine({
      devices: 8,
      actor_compositor_shards: 4,
      actor_fps: s(53616.4, 51263.2, 57438.9),
      qemu_fps: s(7220, 6802, 8356),
      ratio: 7.426,
      actor_latency_p50_us: s(290, 250, 300),
      actor_latency_p99_us: s(1920, 1800, 2100),
      qemu_latency_p50_us: s(30720, 30720, 30720),
      qemu_latency_p99_us: s(30720, 30720, 30720),
      efficiency: 0.2109,
      actor_cpu_us_per_frame: s(254.5, 235.1, 263.04),
      actor_cores_busy: s(13.5, 13.3, 13.8),
      actor_roles: {},
      qemu_contended_share: 0.69,
      qemu_wait_us_per_frame: 1038,
      qemu_hold_us_per_frame: 112,
      machine_efficiency: { alu: 0.934, copy: 0.612 },
    } as Parameters<typeof pointLine>[0]);
    expect(line).toBe(
      '8 devices: actor (4 compositor shards) 53616 (51263–57439) frames/s, qemu 7220 (6802–8356), actor/qemu 7.43, efficiency 0.21 (machine 0.93 / 0.61), CPU 254.5 (235.1–263.0) µs/frame, p99 actor 1.92 ms, qemu 30.72 ms',
    );
  });
});
