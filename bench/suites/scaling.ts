// `bench scaling`: 1, 2, 4 and 8 devices, each with its own vCPU and display, in both threading
// models (actor: every actor on its own; bql: every handler under one global lock, as QEMU
// serialises on its big lock). Throughput is the guests' frames per second, all devices together;
// the ratio actor/bql at each point is measured in the same run. Scaling needs cores: run it on a
// machine with 16 and record that machine (bench/results/).
import { Vm } from '../../vmm/vm.js';
import type { ThreadingModel } from '../../vmm/config.js';
import { machineInfo, type MachineInfo } from '../machine.js';
import { markdownTable, ratioTable } from '../report.js';

export interface ScalingPoint {
  devices: number;
  actor_fps: number;
  bql_fps: number;
  /** actor_fps / bql_fps. */
  ratio: number;
  /** Under bql: share of lock takes that had to wait, and the time waited per frame. */
  bql_contended_share: number;
  bql_wait_us_per_frame: number;
}

export interface ScalingBenchResult {
  suite: 'scaling';
  machine: MachineInfo;
  workload: string;
  mode: string;
  frames_per_device: number;
  points: ScalingPoint[];
  ratio_actor_vs_bql_8: number;
  targets: Record<string, string>;
}

export interface ScalingBenchOptions {
  scale: number;
  progress?: (what: string) => void;
}

const DEVICES = [1, 2, 4, 8];
const MODE = '640x480@60';
const WORKLOAD = 'desktop';

async function throughput(devices: number, threading: ThreadingModel, frames: number) {
  (globalThis as { gc?: () => void }).gc?.();
  const vm = await Vm.create({
    ramMiB: 64 * devices,
    threading,
    devices: Array.from({ length: devices }, () => ({ displayModes: [MODE] })),
  });
  try {
    // Warm up (boot, mode set, JIT), then measure a settled run.
    await vm.runWorkload({ name: WORKLOAD, frames: 20 });
    await vm.whenGuestsDone(2);
    const before = (await vm.stats()).bigLock;
    const t0 = performance.now();
    await vm.runWorkload({ name: WORKLOAD, frames, seed: 5 });
    const vcpus = await vm.whenGuestsDone(2);
    const seconds = (performance.now() - t0) / 1000;
    const after = (await vm.stats()).bigLock;
    const done = vcpus.reduce((n, v) => n + (v.guest?.framesDone ?? 0), 0);
    if (done !== frames * devices) throw new Error(`${threading} × ${devices}: ${done} of ${frames * devices} frames done`);
    const lock = before && after
      ? { takes: after.acquisitions - before.acquisitions, contended: after.contended - before.contended, waitMs: after.waitMs - before.waitMs }
      : null;
    return { fps: done / seconds, lock, frames: done };
  } finally {
    await vm.stop();
  }
}

export async function runScalingBench(options: ScalingBenchOptions): Promise<ScalingBenchResult> {
  const frames = Math.max(20, Math.round(3000 * options.scale));
  const points: ScalingPoint[] = [];
  for (const devices of DEVICES) {
    options.progress?.(`${devices} device${devices > 1 ? 's' : ''}, actor`);
    const actor = await throughput(devices, 'actor', frames);
    options.progress?.(`${devices} device${devices > 1 ? 's' : ''}, bql`);
    const bql = await throughput(devices, 'bql', frames);
    points.push({
      devices,
      actor_fps: actor.fps,
      bql_fps: bql.fps,
      ratio: actor.fps / bql.fps,
      bql_contended_share: bql.lock && bql.lock.takes > 0 ? bql.lock.contended / bql.lock.takes : 0,
      bql_wait_us_per_frame: bql.lock ? (bql.lock.waitMs * 1000) / bql.frames : 0,
    });
  }
  return {
    suite: 'scaling',
    machine: machineInfo(),
    workload: WORKLOAD,
    mode: MODE,
    frames_per_device: frames,
    points,
    ratio_actor_vs_bql_8: points.at(-1)!.ratio,
    targets: { ratio_actor_vs_bql_8: '> 1 on a machine with enough cores (16)' },
  };
}

export function scalingTables(r: ScalingBenchResult): string {
  const rows = r.points.map((p) => [
    String(p.devices), p.actor_fps.toFixed(0), p.bql_fps.toFixed(0), p.ratio.toFixed(2),
    `${(p.bql_contended_share * 100).toFixed(1)}%`, p.bql_wait_us_per_frame.toFixed(1),
  ]);
  const table = markdownTable(['devices', 'actor frames/s', 'bql frames/s', 'actor/bql', 'bql takes contended', 'bql wait µs/frame'], rows);
  return `${r.workload} at ${r.mode}, ${r.frames_per_device} frames per device, all devices together\n\n${table}\n\n${ratioTable({ ratio_actor_vs_bql_8: r.ratio_actor_vs_bql_8 }, r.targets)}`;
}
