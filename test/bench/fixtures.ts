// Synthetic benchmark results in the suites' shapes (numbers made up; no benchmark runs).
import type { MachineInfo } from '../../bench/machine.js';
import type { ScalingResultShape } from '../../bench/report/charts.js';

export const MACHINE: MachineInfo = { cpus: 16, cpu_model: 'Intel(R) Xeon(R) Processor', memory_gib: 126, node: 'v20.20.2', platform: 'linux 6.18' };

const latency = (p50: number, p99: number, p999: number) => ({
  description: 'a path',
  iterations: 1000,
  p50_us: p50,
  p99_us: p99,
  p999_us: p999,
  max_us: p999 * 2,
  cpu_us_per_op: 1,
});

export function mailboxResult() {
  return {
    suite: 'mailbox' as const,
    machine: MACHINE,
    paths: { spin: latency(0.265, 0.398, 1.489), mailbox_hot: latency(0.769, 1.662, 6.327), comlink: latency(19.327, 75.327, 742.911) },
    ratio_hot_vs_spin: 2.9,
    ratio_parked_vs_futex: 1.2,
    ratio_comlink_vs_hot: 25.1,
    targets: {},
  };
}

/** The engine's callback paths carry p50/p99 only. */
export function engineResult() {
  const path = (p50: number, p99: number) => ({
    description: 'callback',
    callbacks: 10,
    p50_us: p50,
    p99_us: p99,
    wall_us_per_read: 1,
    read_mems: 10,
    host_unavailable: 0,
  });
  return {
    suite: 'engine' as const,
    machine: MACHINE,
    render: {},
    paths: { callback_read_mem: path(1015.8, 1376.3), callback_read_mem_actor_host: path(1.34, 6.4) },
  };
}

export function framesResult() {
  const run = (width: number, height: number, fps: number) => ({ width, height, fps });
  return {
    suite: 'frames' as const,
    machine: MACHINE,
    memcpy_fps: { '1080p': 2026.7, '2160p': 518.6 },
    runs: {
      '1080p_present_null': run(1920, 1080, 1372.7),
      '1080p_null_100': run(1920, 1080, 710),
      '1080p_null_1': run(1920, 1080, 47003),
      '2160p_present_null': run(3840, 2160, 395.1),
      '2160p_null_100': run(3840, 2160, 173.2),
      '2160p_null_1': run(3840, 2160, 11250),
    },
  };
}

export function scalingResult(devices = [1, 2, 4, 8]): ScalingResultShape {
  return {
    suite: 'scaling',
    machine: MACHINE,
    points: devices.map((d) => ({ devices: d, actor_fps: 600 * d, qemu_fps: 500 * Math.sqrt(d), ratio: (600 * d) / (500 * Math.sqrt(d)) })),
    ratio_actor_vs_qemu_8: 3.39,
  };
}
