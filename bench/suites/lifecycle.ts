// `bench lifecycle`: how long vm.pause() takes from the request to a quiescent machine (every
// vCPU at a step boundary, nothing in flight anywhere: docs/lifecycle.md), idle and under load,
// and vm.reset() under load. The reference, measured in the same run under the same load, is
// vm.stats(): one control-plane round trip to every actor, which a pause needs at least two of
// (the vCPUs' answers, then two idle looks at the devices, compositor and interrupt controller),
// though a running vCPU answers stats only between its 20 ms slices, where the pause word ends
// the slice at once.
import { Vm } from '../../vmm/vm.js';
import type { VmOptions } from '../../vmm/config.js';
import { LatencyRecorder, type LatencySummary } from '../latency.js';
import { machineInfo, type MachineInfo } from '../machine.js';
import { markdownTable } from '../report.js';
import { latencyTable, ratioTable } from '../report.js';

export interface LifecycleBenchResult {
  suite: 'lifecycle';
  machine: MachineInfo;
  load: { devices: number; workload: string; mode: string };
  paths: Record<string, LatencySummary & { description: string }>;
  /** Pause request → every vCPU at a step boundary, under load (a part of pause_load). */
  vcpus_under_load: LatencySummary & { description: string };
  ratio_pause_load_vs_stats_p50: number;
  ratio_pause_load_vs_stats_p99: number;
  ratio_pause_load_vs_idle_p50: number;
  ratio_reset_load_vs_pause_load_p50: number;
  targets: Record<string, string>;
  notes: string[];
}

export interface LifecycleBenchOptions {
  scale: number;
  progress?: (path: string) => void;
}

const MODE = '1280x720@60';
const DEVICES = 2;

function loadOptions(frames: number): VmOptions {
  return {
    ramMiB: 256,
    devices: Array.from({ length: DEVICES }, () => ({ displayModes: [MODE] })),
    workload: { name: 'fullframe', frames, seed: 1 },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Gaps between operations: the load builds up again (frames, callbacks, encodes in flight). */
function gap(i: number): Promise<void> {
  return sleep(2 + ((i * 7919) % 9));
}

export async function runLifecycleBench(options: LifecycleBenchOptions): Promise<LifecycleBenchResult> {
  const step = options.progress ?? (() => undefined);
  const n = (base: number, least: number) => Math.max(least, Math.round(base * options.scale));
  const rounds = n(300, 30);
  const resets = n(60, 10);
  const warmup = 5;
  const rec = {
    pauseIdle: new LatencyRecorder(),
    pauseLoad: new LatencyRecorder(),
    vcpusLoad: new LatencyRecorder(),
    statsLoad: new LatencyRecorder(),
    resetLoad: new LatencyRecorder(),
  };

  // Idle: the same machine with its workload finished (nothing to stop but idle actors).
  const idle = await Vm.create(loadOptions(2));
  try {
    await idle.whenGuestsDone();
    await idle.settle();
    for (let i = 0; i < warmup + rounds; i++) {
      if (i === warmup) rec.pauseIdle.start();
      const t0 = performance.now();
      await idle.pause();
      if (i >= warmup) rec.pauseIdle.recordMs(performance.now() - t0);
      await idle.resume();
    }
  } finally {
    await idle.stop();
  }
  step('pause_idle');

  // Under load: two devices drawing full 720p frames as fast as they go, with no end in sight.
  const vm = await Vm.create(loadOptions(10_000_000));
  try {
    await sleep(200);
    for (let i = 0; i < warmup + rounds; i++) {
      if (i === warmup) {
        rec.pauseLoad.start();
        rec.vcpusLoad.start();
        rec.statsLoad.start();
      }
      await gap(i);
      const t0 = performance.now();
      await vm.stats();
      if (i >= warmup) rec.statsLoad.recordMs(performance.now() - t0);
      await gap(i + 1);
      const t1 = performance.now();
      const report = await vm.pause();
      if (i >= warmup) {
        rec.pauseLoad.recordMs(performance.now() - t1);
        rec.vcpusLoad.recordMs(report!.vcpusUs / 1000);
      }
      await vm.resume();
    }
    step('pause_load');
    for (let i = 0; i < warmup + resets; i++) {
      if (i === warmup) rec.resetLoad.start();
      await sleep(20); // the restarted guests set their mode and draw again
      const t0 = performance.now();
      await vm.reset();
      if (i >= warmup) rec.resetLoad.recordMs(performance.now() - t0);
    }
    step('reset_load');
  } finally {
    await vm.stop();
  }

  const paths = {
    pause_idle: { ...rec.pauseIdle.summary(), description: 'vm.pause() → quiescent, guests finished' },
    pause_load: { ...rec.pauseLoad.summary(), description: `vm.pause() → quiescent, ${DEVICES} devices drawing fullframe at ${MODE}` },
    stats_load: {
      ...rec.statsLoad.summary(),
      description: 'reference: vm.stats(), a round trip to every actor (a running vCPU answers between its 20 ms slices), same load',
    },
    reset_load: { ...rec.resetLoad.summary(), description: 'vm.reset() of the running machine (pause, power-on, resume), same load' },
  };
  return {
    suite: 'lifecycle',
    machine: machineInfo(),
    load: { devices: DEVICES, workload: 'fullframe', mode: MODE },
    paths,
    vcpus_under_load: { ...rec.vcpusLoad.summary(), description: 'pause request → every vCPU at a step boundary, under load' },
    ratio_pause_load_vs_stats_p50: paths.pause_load.p50_us / paths.stats_load.p50_us,
    ratio_pause_load_vs_stats_p99: paths.pause_load.p99_us / paths.stats_load.p99_us,
    ratio_pause_load_vs_idle_p50: paths.pause_load.p50_us / paths.pause_idle.p50_us,
    ratio_reset_load_vs_pause_load_p50: paths.reset_load.p50_us / paths.pause_load.p50_us,
    targets: {
      ratio_pause_load_vs_stats_p50: "report: a pause makes at least two looks at every actor but ends the vCPUs' slices at once; stats waits for them",
      ratio_pause_load_vs_stats_p99: 'report',
      ratio_pause_load_vs_idle_p50: 'report: what draining frames in flight adds',
      ratio_reset_load_vs_pause_load_p50: 'report: power-on and resume on top of the pause',
    },
    notes: [
      'Pause time is request → quiescent: the vCPUs stop at their next step boundary (one frame step of the TypeScript guest, one exit of a KVM vCPU), then the rings they filled run to their end and the frames in flight are encoded and kept.',
      'CPU µs/op is process-wide: every thread of the VM counts.',
    ],
  };
}

export function lifecycleTables(r: LifecycleBenchResult): string {
  const { ratio_pause_load_vs_stats_p50, ratio_pause_load_vs_stats_p99, ratio_pause_load_vs_idle_p50, ratio_reset_load_vs_pause_load_p50 } = r;
  return [
    latencyTable({ ...r.paths, vcpus_under_load: r.vcpus_under_load }),
    ratioTable({ ratio_pause_load_vs_stats_p50, ratio_pause_load_vs_stats_p99, ratio_pause_load_vs_idle_p50, ratio_reset_load_vs_pause_load_p50 }, r.targets),
    markdownTable(
      ['note'],
      r.notes.map((n) => [n]),
    ),
  ].join('\n\n');
}
