// `bench scaling`: 1 to 16 devices, each with its own vCPU and display, in both threading models
// (actor: every actor on its own; bql: every handler under one global lock, as QEMU serialises on
// its big lock). Each point is run --repeat times and reported as median (min–max): aggregate
// guest frames/s, efficiency fps(N) / (N × fps(1)), CPU time per frame over all the process's
// threads (spinning included), and CPU by thread role with its busiest thread's share of a core —
// a role whose busiest thread sits near one core while the total stays far below the machine's
// cores is the serial limit. Scaling needs cores: run it on the 16-core machine and record it.
import type { ThreadingModel } from '../../vmm/config.js';
import { native } from '../../shared/native/addon.js';
import { Vm } from '../../vmm/vm.js';
import { machineInfo, type MachineInfo } from '../machine.js';
import { markdownTable, ratioTable } from '../report.js';
import { formatSpread, spread, type Spread } from '../spread.js';
import { cpuByRole, sampleThreadCpu, type RoleCpu } from '../thread-cpu.js';

export interface RoleSpread {
  role: string;
  threads: number;
  cpu_us_per_frame: Spread;
  busiest_share: Spread;
}

export interface ScalingPoint {
  devices: number;
  actor_fps: Spread;
  bql_fps: Spread;
  /** median actor fps / median bql fps. */
  ratio: number;
  /** median actor fps(N) / (N × median actor fps(1)). */
  efficiency: number;
  /** All threads of the process, user + system, per guest frame (actor model). */
  actor_cpu_us_per_frame: Spread;
  /** Cores in use on average during the actor run: CPU time / wall time. */
  actor_cores_busy: Spread;
  /** Actor model, by thread role, heaviest first. */
  actor_roles: RoleSpread[];
  /** Under bql: share of lock takes that had to wait, and the time waited per frame (medians). */
  bql_contended_share: number;
  bql_wait_us_per_frame: number;
}

export interface ScalingBenchResult {
  suite: 'scaling';
  machine: MachineInfo;
  workload: string;
  mode: string;
  frames_per_device: number;
  repeat: number;
  points: ScalingPoint[];
  ratio_actor_vs_bql_8: number;
  scaling_efficiency_8: number;
  scaling_efficiency_16: number;
  /** CPU per frame at 8 devices over that at 1 (medians). */
  cpu_per_frame_8_vs_1: number;
  targets: Record<string, string>;
}

export interface ScalingBenchOptions {
  scale: number;
  repeat?: number;
  /** Device counts to measure (default 1, 2, 4, 8, 12, 16). */
  devices?: number[];
  progress?: (what: string) => void;
}

export const DEFAULT_DEVICE_COUNTS = [1, 2, 4, 8, 12, 16];
const MODE = '640x480@60';
const WORKLOAD = 'desktop';

interface Run {
  fps: number;
  cpuUsPerFrame: number;
  coresBusy: number;
  roles: RoleCpu[];
  frames: number;
  lock: { takes: number; contended: number; waitMs: number } | null;
}

async function throughput(devices: number, threading: ThreadingModel, frames: number, warmupFrames = frames): Promise<Run> {
  (globalThis as { gc?: () => void }).gc?.();
  const vm = await Vm.create({
    ramMiB: 64 * devices,
    threading,
    devices: Array.from({ length: devices }, () => ({ displayModes: [MODE] })),
  });
  try {
    // Warm up (boot, mode set, JIT), then measure a settled run. As many frames as are measured:
    // V8 optimises the actors' hot paths on its helper threads after thousands of calls, and
    // with a 20-frame warm-up that compilation (about 0.6 s of CPU for one device's five
    // isolates) fell inside the measured window — 160 µs of the 420 µs per frame at 1 device.
    await vm.runWorkload({ name: WORKLOAD, frames: warmupFrames });
    await vm.whenGuestsDone();
    const before = (await vm.stats()).bigLock;
    const threadsBefore = sampleThreadCpu();
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    await vm.runWorkload({ name: WORKLOAD, frames, seed: 5 });
    const vcpus = await vm.whenGuestsDone();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpuBefore);
    const roles = cpuByRole(threadsBefore, sampleThreadCpu(), wallMs);
    const after = (await vm.stats()).bigLock;
    const done = vcpus.reduce((n, v) => n + (v.guest?.framesDone ?? 0), 0);
    if (done !== frames * devices) throw new Error(`${threading} × ${devices}: ${done} of ${frames * devices} frames done`);
    const lock =
      before && after
        ? { takes: after.acquisitions - before.acquisitions, contended: after.contended - before.contended, waitMs: after.waitMs - before.waitMs }
        : null;
    const cpuUs = cpu.user + cpu.system;
    return { fps: (done * 1000) / wallMs, cpuUsPerFrame: cpuUs / done, coresBusy: cpuUs / 1000 / wallMs, roles, frames: done, lock };
  } finally {
    await vm.stop();
  }
}

function roleSpreads(runs: Run[]): RoleSpread[] {
  const names = [...new Set(runs.flatMap((r) => r.roles.map((x) => x.role)))];
  const out = names.map((role) => {
    const per = runs.map((r) => r.roles.find((x) => x.role === role) ?? { role, threads: 0, cpuMs: 0, busiestShare: 0 });
    return {
      role,
      threads: Math.max(...per.map((x) => x.threads)),
      cpu_us_per_frame: spread(per.map((x, i) => (x.cpuMs * 1000) / runs[i]!.frames)),
      busiest_share: spread(per.map((x) => x.busiestShare)),
    };
  });
  return out.sort((a, b) => b.cpu_us_per_frame.median - a.cpu_us_per_frame.median);
}

export async function runScalingBench(options: ScalingBenchOptions): Promise<ScalingBenchResult> {
  // The main thread apart from V8's and libuv's helper threads, which are all "node".
  native.setThreadName('main');
  const frames = Math.max(20, Math.round(3000 * options.scale));
  const repeat = options.repeat ?? 3;
  const counts = [...(options.devices ?? DEFAULT_DEVICE_COUNTS)].sort((a, b) => a - b);
  const points: ScalingPoint[] = [];
  let oneDeviceFps: number | null = null;
  for (const devices of counts) {
    const actor: Run[] = [];
    const bql: Run[] = [];
    // Interleaved, so a slow spell of the machine falls on both models alike.
    for (let i = 0; i < repeat; i++) {
      options.progress?.(`${devices} device${devices > 1 ? 's' : ''}, actor, run ${i + 1}/${repeat}`);
      actor.push(await throughput(devices, 'actor', frames));
      options.progress?.(`${devices} device${devices > 1 ? 's' : ''}, bql, run ${i + 1}/${repeat}`);
      bql.push(await throughput(devices, 'bql', frames));
    }
    const actorFps = spread(actor.map((r) => r.fps));
    const bqlFps = spread(bql.map((r) => r.fps));
    if (devices === 1) oneDeviceFps = actorFps.median;
    const contended = spread(bql.map((r) => (r.lock && r.lock.takes > 0 ? r.lock.contended / r.lock.takes : 0)));
    const waited = spread(bql.map((r) => (r.lock ? (r.lock.waitMs * 1000) / r.frames : 0)));
    points.push({
      devices,
      actor_fps: actorFps,
      bql_fps: bqlFps,
      ratio: actorFps.median / bqlFps.median,
      efficiency: oneDeviceFps === null ? Number.NaN : actorFps.median / (devices * oneDeviceFps),
      actor_cpu_us_per_frame: spread(actor.map((r) => r.cpuUsPerFrame)),
      actor_cores_busy: spread(actor.map((r) => r.coresBusy)),
      actor_roles: roleSpreads(actor),
      bql_contended_share: contended.median,
      bql_wait_us_per_frame: waited.median,
    });
  }
  const at = (n: number) => points.find((p) => p.devices === n);
  const cpu1 = at(1)?.actor_cpu_us_per_frame.median;
  const cpu8 = at(8)?.actor_cpu_us_per_frame.median;
  return {
    suite: 'scaling',
    machine: machineInfo(),
    workload: WORKLOAD,
    mode: MODE,
    frames_per_device: frames,
    repeat,
    points,
    ratio_actor_vs_bql_8: at(8)?.ratio ?? Number.NaN,
    scaling_efficiency_8: at(8)?.efficiency ?? Number.NaN,
    scaling_efficiency_16: at(16)?.efficiency ?? Number.NaN,
    cpu_per_frame_8_vs_1: cpu1 !== undefined && cpu8 !== undefined ? cpu8 / cpu1 : Number.NaN,
    targets: {
      ratio_actor_vs_bql_8: '> 1 on a machine with enough cores (16)',
      scaling_efficiency_8: '≥ 0.75 (8 devices ≥ 6× one) on 16 cores',
      scaling_efficiency_16: '≥ 0.5 (16 devices ≥ 8× one) on 16 cores',
      cpu_per_frame_8_vs_1: '≤ 1.5',
    },
  };
}

export function scalingTables(r: ScalingBenchResult): string {
  const rows = r.points.map((p) => [
    String(p.devices),
    formatSpread(p.actor_fps),
    Number.isFinite(p.efficiency) ? p.efficiency.toFixed(2) : '–',
    formatSpread(p.actor_cpu_us_per_frame, 1),
    formatSpread(p.actor_cores_busy, 1),
    formatSpread(p.bql_fps),
    p.ratio.toFixed(2),
    `${(p.bql_contended_share * 100).toFixed(1)}%`,
    p.bql_wait_us_per_frame.toFixed(1),
  ]);
  const table = markdownTable(
    ['devices', 'actor frames/s', 'efficiency', 'CPU µs/frame', 'cores busy', 'bql frames/s', 'actor/bql', 'bql takes contended', 'bql wait µs/frame'],
    rows,
  );
  // Where the CPU goes at the largest count: the busiest thread of a role near 1.0 is a serial limit.
  const last = r.points.at(-1);
  const roles = last
    ? `\n\nactor model at ${last.devices} devices, CPU by thread role (median (min–max) over ${r.repeat} runs; busiest thread: share of one core)\n\n${markdownTable(
        ['role', 'threads', 'CPU µs/frame', 'busiest thread'],
        last.actor_roles.map((x) => [x.role, String(x.threads), formatSpread(x.cpu_us_per_frame, 1), formatSpread(x.busiest_share, 2)]),
      )}`
    : '';
  const ratios = {
    ratio_actor_vs_bql_8: r.ratio_actor_vs_bql_8,
    scaling_efficiency_8: r.scaling_efficiency_8,
    scaling_efficiency_16: r.scaling_efficiency_16,
    cpu_per_frame_8_vs_1: r.cpu_per_frame_8_vs_1,
  };
  return `${r.workload} at ${r.mode}, ${r.frames_per_device} frames per device, all devices together; median (min–max) of ${r.repeat} runs\n\n${table}${roles}\n\n${ratioTable(ratios, r.targets)}`;
}
