// `bench scaling`: 1 to 16 devices, each with its own vCPU and display, in two threading models
// (actor: every actor on its own; qemu: the model of QEMU's big-lock discipline as upstream
// apple-gfx has it, docs/threading-models.md). Each point is run --repeat times and reported as
// median (min–max): aggregate guest frames/s, the actor/qemu ratio, per-frame latency (new frame
// → shown) p50 and p99 under both, efficiency fps(N) / (N × fps(1)), CPU time per frame over all the process's
// threads (spinning included), and CPU by thread role with its busiest thread's share of a core —
// a role whose busiest thread sits near one core while the total stays far below the machine's
// cores is the serial limit. The actor runs' compositor shards (VmOptions.compositorShards: the
// default for the device count and this machine's cores, or --compositor-shards) are recorded per
// point; the compositor role's threads are the shards. Beside each point, the machine's own
// efficiency at that many threads (bench/parallel-reference.ts: N threads of a fixed kernel against
// one), the ceiling this machine sets on any N-fold work. Scaling needs cores: run it on the
// 16-core machine and record it.
import type { Profile, ThreadingModel } from '../../vmm/config.js';
import { native } from '../../shared/native/addon.js';
import { Vm, type VmStats } from '../../vmm/vm.js';
import { frameLatencyQuantileUs } from '../../actors/compositor/frame-latency.js';
import { machineInfo, type MachineInfo } from '../machine.js';
import { aggregateRate, KERNELS, type KernelName } from '../parallel-reference.js';
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
  /** Compositor shards of the actor runs (the qemu model's runs have one: QEMU's main loop). */
  actor_compositor_shards: number;
  actor_fps: Spread;
  qemu_fps: Spread;
  /** median actor fps / median qemu fps. */
  ratio: number;
  /** Per-frame latency, new frame taken by the device actor → shown (µs): p50 and p99 of each run, median (min–max) over runs. */
  actor_latency_p50_us: Spread;
  actor_latency_p99_us: Spread;
  qemu_latency_p50_us: Spread;
  qemu_latency_p99_us: Spread;
  /** median actor fps(N) / (N × median actor fps(1)). */
  efficiency: number;
  /** Frames one device drew in the actor runs' window (median). */
  actor_frames_per_device: number;
  /** All threads of the process, user + system, per guest frame (actor model). */
  actor_cpu_us_per_frame: Spread;
  /** Cores in use on average during the actor run: CPU time / wall time. */
  actor_cores_busy: Spread;
  /** Actor model, by thread role, heaviest first (the compositor role: one thread per shard). */
  actor_roles: RoleSpread[];
  /** Under qemu: share of BQL takes that had to wait, time waited and held per frame (medians). */
  qemu_contended_share: number;
  qemu_wait_us_per_frame: number;
  qemu_hold_us_per_frame: number;
  /** The machine's own efficiency at `devices` threads, per kernel: aggregate rate(N) / (N × rate(1)), medians. */
  machine_efficiency: Record<KernelName, number>;
  /** Aggregate iterations/s of `devices` threads, per kernel (bench/parallel-reference.ts). */
  machine_rate: Record<KernelName, Spread>;
}

export interface ScalingBenchResult {
  suite: 'scaling';
  machine: MachineInfo;
  /** VmOptions.profile of every run (docs/fidelity.md). */
  profile: Profile;
  workload: string;
  mode: string;
  /** Each run's measured window and the warm-up before it (ms); frames are counted, not fixed. */
  measure_ms: number;
  warmup_ms: number;
  /** Frames a device drew in the window: median over the actor runs, per device count. */
  actor_frames_per_device: Record<string, number>;
  repeat: number;
  /** What the actor runs asked for: 'default' (VmOptions.compositorShards left out) or a count (capped at the devices). */
  compositor_shards: number | 'default';
  points: ScalingPoint[];
  ratio_actor_vs_qemu_8: number;
  /** Every device count: actor latency p99 ≤ qemu latency p99 (medians over runs). */
  actor_p99_not_above_qemu: boolean;
  scaling_efficiency_8: number;
  scaling_efficiency_16: number;
  /** CPU per frame at 8 devices over that at 1 (medians). */
  cpu_per_frame_8_vs_1: number;
  /** The machine's own efficiency at 8 and 16 threads, per kernel (no VMM: the ceiling). */
  machine_efficiency_8: Record<KernelName, number>;
  machine_efficiency_16: Record<KernelName, number>;
  targets: Record<string, string>;
}

export interface ScalingBenchOptions {
  scale: number;
  repeat?: number;
  /** Device counts to measure (default 1, 2, 4, 8, 12, 16). */
  devices?: number[];
  /** The profile every VM runs under (default native); only the first is used. */
  profiles?: Profile[];
  /** VmOptions.compositorShards of the actor runs, capped at the device count (default: the VM's default). */
  compositorShards?: number;
  progress?: (what: string) => void;
  /** Each device count's figures once measured (a run cut short keeps them in the log). */
  finding?: (line: string) => void;
}

export const DEFAULT_DEVICE_COUNTS = [1, 2, 4, 8, 12, 16];
const MODE = '640x480@60';
const WORKLOAD = 'desktop';
/** More frames than any window draws: the guests run until the VM stops. */
const ENDLESS_FRAMES = 1e9;

interface Run {
  /** Compositor shards the VM ran with. */
  shards: number;
  fps: number;
  cpuUsPerFrame: number;
  coresBusy: number;
  roles: RoleCpu[];
  frames: number;
  lock: { takes: number; contended: number; waitMs: number; holdMs: number } | null;
  latencyP50Us: number;
  latencyP99Us: number;
}

/** Every display's frame-latency histogram, summed. */
function latencyBuckets(stats: VmStats): number[] {
  const sum: number[] = [];
  for (const d of stats.compositor.displays) d.frameLatency.buckets.forEach((c, i) => (sum[i] = (sum[i] ?? 0) + c));
  return sum;
}

/** Each guest's frames done so far (from one stats round trip). */
function framesDone(stats: VmStats): number[] {
  return stats.vcpus.map((v) => v.guest?.framesDone ?? 0);
}

/** A stats round trip with the time it was taken at (the midpoint of the call: ~1 ms at 16 devices). */
async function sample(vm: Vm): Promise<{ stats: VmStats; at: number }> {
  const before = performance.now();
  const stats = await vm.stats();
  return { stats, at: (before + performance.now()) / 2 };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const noKernels = (): Record<KernelName, number> => ({ alu: Number.NaN, copy: Number.NaN });

/** Each kernel's aggregate rate at `threads` threads, one measurement each. */
async function machineRates(threads: number, measureMs: number, warmupMs: number): Promise<Record<KernelName, number>> {
  const out = noKernels();
  for (const k of KERNELS) out[k] = await aggregateRate(k, threads, measureMs, warmupMs);
  return out;
}

/**
 * One run: every guest draws without end; after `warmupMs` (boot, mode set, and V8 optimising the
 * actors' hot paths on its helper threads: about 0.6 s of CPU for one device's isolates, which a
 * run of a fixed 1500–3000 frames — 65–130 ms for one device — measured as its own cost) the
 * window of `measureMs` is measured from two stats round trips, whatever the device count and
 * model. A fixed frame count made one device's window a tenth of a second and qemu's at 16
 * devices many seconds; a fixed time gives every point the same footing.
 */
async function throughput(devices: number, threading: ThreadingModel, measureMs: number, profile: Profile, warmupMs: number, shards?: number): Promise<Run> {
  (globalThis as { gc?: () => void }).gc?.();
  const vm = await Vm.create({
    ramMiB: 64 * devices,
    threading,
    profile,
    devices: Array.from({ length: devices }, () => ({ displayModes: [MODE] })),
    ...(shards !== undefined ? { compositorShards: Math.min(shards, devices) } : {}),
  });
  try {
    await vm.runWorkload({ name: WORKLOAD, frames: ENDLESS_FRAMES, seed: 5 });
    await sleep(warmupMs);
    const first = await sample(vm);
    const threadsBefore = sampleThreadCpu();
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    await sleep(measureMs);
    const cpu = process.cpuUsage(cpuBefore);
    const roles = cpuByRole(threadsBefore, sampleThreadCpu(), performance.now() - t0);
    const last = await sample(vm);
    const wallMs = last.at - first.at;
    const framesBefore = framesDone(first.stats);
    const perGuest = framesDone(last.stats).map((n, i) => n - (framesBefore[i] ?? 0));
    const stalled = perGuest.filter((n) => n <= 0).length;
    if (stalled > 0) throw new Error(`${threading} × ${devices}: ${stalled} guest(s) drew no frame in ${measureMs} ms`);
    const done = perGuest.reduce((a, b) => a + b, 0);
    const before = first.stats.bql;
    const after = last.stats.bql;
    const b0 = latencyBuckets(first.stats);
    const frameLatency = latencyBuckets(last.stats).map((c, i) => c - (b0[i] ?? 0));
    const lock =
      before && after
        ? {
            takes: after.acquisitions - before.acquisitions,
            contended: after.contended - before.contended,
            waitMs: after.waitMs - before.waitMs,
            holdMs: after.holdMs - before.holdMs,
          }
        : null;
    const cpuUs = cpu.user + cpu.system;
    return {
      shards: last.stats.compositor.shards.length,
      fps: (done * 1000) / wallMs,
      cpuUsPerFrame: cpuUs / done,
      coresBusy: cpuUs / 1000 / wallMs,
      roles,
      frames: done,
      lock,
      latencyP50Us: frameLatencyQuantileUs(frameLatency, 0.5) ?? Number.NaN,
      latencyP99Us: frameLatencyQuantileUs(frameLatency, 0.99) ?? Number.NaN,
    };
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
  const profile = options.profiles?.[0] ?? 'native';
  // Paced to 60 Hz under pvg, a window of 5 s holds 300 frames a device.
  const measureMs = Math.max(50, Math.round((profile === 'pvg' ? 5000 : 1000) * options.scale));
  const warmupMs = Math.max(50, Math.round(1000 * options.scale));
  const repeat = options.repeat ?? 3;
  const counts = [...(options.devices ?? DEFAULT_DEVICE_COUNTS)].sort((a, b) => a - b);
  const referenceMs = Math.max(50, Math.round(300 * options.scale));
  const referenceWarmupMs = Math.max(20, Math.round(100 * options.scale));
  // One thread of each kernel, `repeat` times: the base of the machine's efficiency at every count.
  const single: Record<KernelName, number>[] = [];
  for (let i = 0; i < repeat; i++) {
    options.progress?.(`machine reference, 1 thread, run ${i + 1}/${repeat}`);
    single.push(await machineRates(1, referenceMs, referenceWarmupMs));
  }
  const singleRate = Object.fromEntries(KERNELS.map((k) => [k, spread(single.map((r) => r[k])).median])) as Record<KernelName, number>;
  const points: ScalingPoint[] = [];
  let oneDeviceFps: number | null = null;
  for (const devices of counts) {
    const actor: Run[] = [];
    const qemu: Run[] = [];
    const reference: Record<KernelName, number>[] = [];
    // Interleaved, so a slow spell of the machine falls on both models alike.
    for (let i = 0; i < repeat; i++) {
      options.progress?.(`${devices} device${devices > 1 ? 's' : ''}, actor, run ${i + 1}/${repeat}`);
      actor.push(await throughput(devices, 'actor', measureMs, profile, warmupMs, options.compositorShards));
      options.progress?.(`${devices} device${devices > 1 ? 's' : ''}, qemu, run ${i + 1}/${repeat}`);
      qemu.push(await throughput(devices, 'qemu', measureMs, profile, warmupMs));
      if (devices > 1) {
        options.progress?.(`machine reference, ${devices} threads, run ${i + 1}/${repeat}`);
        reference.push(await machineRates(devices, referenceMs, referenceWarmupMs));
      }
    }
    const machineRate = Object.fromEntries(KERNELS.map((k) => [k, spread((devices > 1 ? reference : single).map((r) => r[k]))])) as Record<KernelName, Spread>;
    const machineEfficiency = Object.fromEntries(KERNELS.map((k) => [k, machineRate[k].median / (devices * singleRate[k])])) as Record<KernelName, number>;
    const actorFps = spread(actor.map((r) => r.fps));
    const qemuFps = spread(qemu.map((r) => r.fps));
    if (devices === 1) oneDeviceFps = actorFps.median;
    const contended = spread(qemu.map((r) => (r.lock && r.lock.takes > 0 ? r.lock.contended / r.lock.takes : 0)));
    const waited = spread(qemu.map((r) => (r.lock ? (r.lock.waitMs * 1000) / r.frames : 0)));
    const held = spread(qemu.map((r) => (r.lock ? (r.lock.holdMs * 1000) / r.frames : 0)));
    points.push({
      devices,
      actor_compositor_shards: Math.max(...actor.map((r) => r.shards)),
      actor_fps: actorFps,
      qemu_fps: qemuFps,
      ratio: actorFps.median / qemuFps.median,
      actor_latency_p50_us: spread(actor.map((r) => r.latencyP50Us)),
      actor_latency_p99_us: spread(actor.map((r) => r.latencyP99Us)),
      qemu_latency_p50_us: spread(qemu.map((r) => r.latencyP50Us)),
      qemu_latency_p99_us: spread(qemu.map((r) => r.latencyP99Us)),
      efficiency: oneDeviceFps === null ? Number.NaN : actorFps.median / (devices * oneDeviceFps),
      actor_frames_per_device: Math.round(spread(actor.map((r) => r.frames / devices)).median),
      actor_cpu_us_per_frame: spread(actor.map((r) => r.cpuUsPerFrame)),
      actor_cores_busy: spread(actor.map((r) => r.coresBusy)),
      actor_roles: roleSpreads(actor),
      qemu_contended_share: contended.median,
      qemu_wait_us_per_frame: waited.median,
      qemu_hold_us_per_frame: held.median,
      machine_efficiency: machineEfficiency,
      machine_rate: machineRate,
    });
    options.finding?.(pointLine(points.at(-1)!));
  }
  const at = (n: number) => points.find((p) => p.devices === n);
  const cpu1 = at(1)?.actor_cpu_us_per_frame.median;
  const cpu8 = at(8)?.actor_cpu_us_per_frame.median;
  return {
    suite: 'scaling',
    machine: machineInfo(),
    profile,
    workload: WORKLOAD,
    mode: MODE,
    measure_ms: measureMs,
    warmup_ms: warmupMs,
    actor_frames_per_device: Object.fromEntries(points.map((p) => [String(p.devices), p.actor_frames_per_device])),
    repeat,
    compositor_shards: options.compositorShards ?? 'default',
    points,
    ratio_actor_vs_qemu_8: at(8)?.ratio ?? Number.NaN,
    actor_p99_not_above_qemu: points.every((p) => p.actor_latency_p99_us.median <= p.qemu_latency_p99_us.median),
    scaling_efficiency_8: at(8)?.efficiency ?? Number.NaN,
    scaling_efficiency_16: at(16)?.efficiency ?? Number.NaN,
    cpu_per_frame_8_vs_1: cpu1 !== undefined && cpu8 !== undefined ? cpu8 / cpu1 : Number.NaN,
    machine_efficiency_8: at(8)?.machine_efficiency ?? noKernels(),
    machine_efficiency_16: at(16)?.machine_efficiency ?? noKernels(),
    targets: {
      ratio_actor_vs_qemu_8: '≥ 4 on the 16-core machine',
      actor_p99_not_above_qemu: 'true: actor p99 frame latency ≤ qemu p99 at every device count',
      scaling_efficiency_8: '≥ 0.75 (8 devices ≥ 6× one) on 16 cores',
      scaling_efficiency_16: '≥ 0.5 (16 devices ≥ 8× one) on 16 cores',
      cpu_per_frame_8_vs_1: '≤ 1.5',
    },
  };
}

/** The machine's own efficiency at the point's thread count, both kernels (older results have none). */
function machineColumn(p: ScalingPoint): string {
  const e = p.machine_efficiency;
  return e ? `${e.alu.toFixed(2)} / ${e.copy.toFixed(2)}` : '–';
}

export function scalingTables(r: ScalingBenchResult): string {
  const rows = r.points.map((p) => [
    String(p.devices),
    String(p.actor_compositor_shards),
    formatSpread(p.actor_fps),
    Number.isFinite(p.efficiency) ? p.efficiency.toFixed(2) : '–',
    machineColumn(p),
    formatSpread(p.actor_cpu_us_per_frame, 1),
    formatSpread(p.actor_cores_busy, 1),
    formatSpread(p.qemu_fps),
    p.ratio.toFixed(2),
    `${(p.qemu_contended_share * 100).toFixed(1)}%`,
    p.qemu_wait_us_per_frame.toFixed(1),
    p.qemu_hold_us_per_frame.toFixed(1),
  ]);
  const table = markdownTable(
    [
      'devices',
      'compositor shards',
      'actor frames/s',
      'efficiency',
      'machine efficiency (alu / copy)',
      'CPU µs/frame',
      'cores busy',
      'qemu frames/s',
      'actor/qemu',
      'BQL takes contended',
      'BQL wait µs/frame',
      'BQL held µs/frame',
    ],
    rows,
  );
  const ms = (us: number) => (Number.isFinite(us) ? (us / 1000).toFixed(2) : '–');
  const latency = markdownTable(
    ['devices', 'actor p50 ms', 'actor p99 ms', 'qemu p50 ms', 'qemu p99 ms'],
    r.points.map((p) => [
      String(p.devices),
      ms(p.actor_latency_p50_us.median),
      ms(p.actor_latency_p99_us.median),
      ms(p.qemu_latency_p50_us.median),
      ms(p.qemu_latency_p99_us.median),
    ]),
  );
  // Where the CPU goes at the largest count: the busiest thread of a role near 1.0 is a serial limit.
  const last = r.points.at(-1);
  const roles = last
    ? `\n\nactor model at ${last.devices} devices (${last.actor_compositor_shards} compositor shard${last.actor_compositor_shards > 1 ? 's' : ''}), CPU by thread role (median (min–max) over ${r.repeat} runs; busiest thread: share of one core)\n\n${markdownTable(
        ['role', 'threads', 'CPU µs/frame', 'busiest thread'],
        last.actor_roles.map((x) => [x.role, String(x.threads), formatSpread(x.cpu_us_per_frame, 1), formatSpread(x.busiest_share, 2)]),
      )}`
    : '';
  const ratios = {
    ratio_actor_vs_qemu_8: r.ratio_actor_vs_qemu_8,
    actor_p99_not_above_qemu: r.actor_p99_not_above_qemu ? 1 : 0,
    scaling_efficiency_8: r.scaling_efficiency_8,
    scaling_efficiency_16: r.scaling_efficiency_16,
    cpu_per_frame_8_vs_1: r.cpu_per_frame_8_vs_1,
  };
  const profile =
    r.profile === 'pvg'
      ? 'profile pvg (a model of a PVG host: presents paced to 60 Hz, whole-frame readback, synchronous MMIO writes; docs/fidelity.md)'
      : "profile native (this project's own protocol)";
  return `${r.workload} at ${r.mode}, ${profile}, every device drawing without end: ${r.warmup_ms} ms of warm-up, then ${r.measure_ms} ms measured (frames a device in that window, actor model: ${Object.entries(
    r.actor_frames_per_device,
  )
    .map(([n, f]) => `${n}: ${f}`)
    .join(
      ', ',
    )}); median (min–max) of ${r.repeat} runs; machine efficiency: N threads of a fixed kernel without the VMM against one (bench/parallel-reference.ts), the machine's own ceiling; actor/qemu: the actor model against the model of QEMU's big lock (docs/threading-models.md)\n\n${table}\n\nper-frame latency, new frame → shown (median over runs of each run's percentile; qemu shows frames on its 30 ms console refresh)\n\n${latency}${roles}\n\n${ratioTable(ratios, r.targets)}`;
}

/** One device count's figures on one line: medians with min–max, as the tables give them. */
export function pointLine(p: ScalingPoint): string {
  const range = (s: { median: number; min: number; max: number }, digits = 0) =>
    `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
  return (
    `${p.devices} device${p.devices > 1 ? 's' : ''}: actor (${p.actor_compositor_shards} compositor shard${p.actor_compositor_shards > 1 ? 's' : ''}) ${range(p.actor_fps)} frames/s, qemu ${range(p.qemu_fps)}, ` +
    `actor/qemu ${p.ratio.toFixed(2)}, efficiency ${p.efficiency.toFixed(2)} (machine ${machineColumn(p)}), CPU ${range(p.actor_cpu_us_per_frame, 1)} µs/frame, ` +
    `p99 actor ${(p.actor_latency_p99_us.median / 1000).toFixed(2)} ms, qemu ${(p.qemu_latency_p99_us.median / 1000).toFixed(2)} ms`
  );
}
