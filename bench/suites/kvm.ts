// `bench kvm`: what the KVM vCPU backend costs, each next to a reference measured in this run:
//   - raw_exit (the reference): the bare KVM exit round trip, host → KVM_RUN → guest → MMIO exit
//     → host, answered at once in C++ (native kvmRawExitBench, the tiny guest);
//   - kvm_mmio_read: a real VM on KVM running the machine-code guest's `mmioread` program: N reads
//     of the device's STATUS register (KVM exit → vCPU actor → device actor → engine → reply →
//     KVM entry) between MARK 1 and MARK 2, then N reads of unassigned space (our JS exit
//     handling, no device) between MARK 2 and MARK 3; per-read means over the raw exit's mean;
//   - inject: interrupt delivery (the vcpu-irq.ts protocol, native deliverer) → the guest handler's
//     exit reaching the host, the vCPU halted between deliveries (native kvmInjectBench);
//   - fullframe frames/s end to end on KVM against the TypeScript guest, same VM and mode.
// Ratios are reported, never judged: the targets say what we aim for.
import { kvmUnavailableReason } from '../../actors/vcpu/kvm/availability.js';
import type { KvmGuestStats } from '../../actors/vcpu/kvm/kvm-guest.js';
import { latencyQuantileUs, type ReadLatencyStats } from '../../actors/vcpu/read-latency.js';
import { nativeTesting } from '../native-testing.js';
import { Vm, type VmStats } from '../../vmm/vm.js';
import { machineInfo, type MachineInfo } from '../machine.js';
import { markdownTable } from '../report.js';

/** Summary of one path's samples (µs). p50/p99/p99.9 are exact (nearest rank). */
export interface SampleSummary {
  description: string;
  iterations: number;
  mean_us: number;
  p50_us: number;
  p99_us: number;
  p999_us: number;
  max_us: number;
}

export interface InjectSummary extends SampleSummary {
  /** Timed deliveries that found the vCPU parked in its futex, and that kicked it out of KVM_RUN. */
  parked: number;
  kicked: number;
}

/** A guest's MARK port write (actors/vcpu/kvm/kvm-guest.ts): the value, and when the host saw it. */
export interface Mark {
  value: number;
  atMs: number;
}

export interface MarkTiming {
  /** MARK 1 → MARK 2 over N: a device read's round trip, exit to re-entry. */
  device_read_us: number;
  /** MARK 2 → MARK 3 over N: an unassigned read, answered by the vCPU's bus without the device. */
  unassigned_read_us: number;
  device_phase_ms: number;
  unassigned_phase_ms: number;
}

export interface MmioReadRun extends MarkTiming {
  description: string;
  reads: number;
  /** The bus's own timing of the device reads (vCPU actor → device → engine → reply), whole run; null if it timed none. */
  bus_read: SampleSummary | null;
  /** KVM exits by kind over the whole run, and the bus's counters (for a sanity check). */
  mmio_read_exits: number;
  bus_reads: number;
  bus_unassigned_reads: number;
}

export interface FpsRun {
  description: string;
  cpu: 'kvm' | 'ts';
  width: number;
  height: number;
  frames: number;
  seconds: number;
  /**
   * Frames kept by the compositor per second (encodes applied, as `bench frames` counts them), from
   * the end of the warm-up until the compositor kept the guest's last frame (vm.settle()).
   */
  fps: number;
  /** That window: warm-up done → last frame kept (`seconds` ends when the guest is done). */
  kept_seconds: number;
  /** Frames the guest finished per second, from the end of its warm-up until it was done. */
  guest_fps: number;
  coalesced: number;
}

export interface KvmRatios {
  ratio_kvm_mmio_vs_raw_exit: number | null;
  ratio_unassigned_vs_raw_exit: number | null;
  ratio_inject_vs_raw_exit: number | null;
  [fps: `ratio_fps_kvm_vs_ts_${string}`]: number | null;
}

export type KvmBenchResult = {
  suite: 'kvm';
  machine: MachineInfo;
  /** raw_exit and inject: every sample; bus_read_device: the bus's histogram of the device reads. */
  paths: Record<string, SampleSummary | InjectSummary>;
  /** The mmioread run, or why it could not be measured. */
  mmio: MmioReadRun | { error: string };
  /** Paths that could not be measured (the run then exits 1). */
  failures: string[];
  /** By `<resolution>_<cpu>`: the run, or why it failed (the other runs are still measured). */
  fps: Record<string, FpsRun | { cpu: 'kvm' | 'ts'; width: number; height: number; error: string }>;
  targets: Record<string, string>;
  notes: string[];
} & KvmRatios;

export interface KvmBenchOptions {
  scale: number;
  progress?: (what: string) => void;
  /** Display modes for the frames/s comparison (default 1920x1080 and 640x480). */
  resolutions?: { name: string; width: number; height: number; frames: number }[];
}

export const KVM_TARGETS: Readonly<Record<string, string>> = {
  ratio_kvm_mmio_vs_raw_exit: '≤ 1.5',
  ratio_unassigned_vs_raw_exit: 'report (our exit handling without the device)',
  ratio_inject_vs_raw_exit: 'report (p50 over p50: wake-up + entry + injection + handler exit)',
};

// Windows of about half a second on the 16-core machine: the warm-up poll (a stats() round
// trip per look) overshoots by up to ~150 fast frames, and at 600 frames a 480p TypeScript run
// once ended inside it (no frame timed) while the others timed only ~0.1 s.
const RESOLUTIONS = [
  { name: '1080p', width: 1920, height: 1080, frames: 500 },
  { name: '480p', width: 640, height: 480, frames: 3000 },
];

const MMIO_MODE = '640x480@60';

// ------------------------------------------------------------------ pure parts

/** Mean and nearest-rank percentiles of samples in µs; throws on an empty or non-finite set. */
export function summarize(samples: ArrayLike<number>, description: string): SampleSummary {
  const n = samples.length;
  if (n === 0) throw new Error(`${description}: no samples`);
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const x of sorted) {
    if (!Number.isFinite(x)) throw new Error(`${description}: a sample is not a finite number (${x})`);
    sum += x;
  }
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  return { description, iterations: n, mean_us: sum / n, p50_us: at(0.5), p99_us: at(0.99), p999_us: at(0.999), max_us: sorted[n - 1]! };
}

/**
 * Per-read times from the mmioread program's marks: (MARK 2 − MARK 1) / N for the device reads,
 * (MARK 3 − MARK 2) / N for the unassigned ones. The first mark of each value counts; throws
 * when one is missing or they are out of order.
 */
export function perReadFromMarks(marks: readonly Mark[], reads: number): MarkTiming {
  if (!(Number.isInteger(reads) && reads > 0)) throw new Error(`mmioread: the read count must be a positive integer, got ${reads}`);
  const at = (value: number) => {
    const m = marks.find((x) => x.value === value);
    if (!m) throw new Error(`mmioread: MARK ${value} missing (marks seen: ${marks.map((x) => x.value).join(', ') || 'none'})`);
    return m.atMs;
  };
  const [m1, m2, m3] = [at(1), at(2), at(3)];
  if (!(m1 <= m2 && m2 <= m3)) throw new Error(`mmioread: marks out of order (1 at ${m1} ms, 2 at ${m2} ms, 3 at ${m3} ms)`);
  return {
    device_read_us: ((m2 - m1) * 1000) / reads,
    unassigned_read_us: ((m3 - m2) * 1000) / reads,
    device_phase_ms: m2 - m1,
    unassigned_phase_ms: m3 - m2,
  };
}

const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined || !(b > 0) || !Number.isFinite(a) ? null : a / b;

/** The suite's ratios from what it measured (null where a side was not measured). */
export function kvmRatios(input: {
  raw: Pick<SampleSummary, 'mean_us' | 'p50_us'>;
  inject: Pick<SampleSummary, 'p50_us'> | null;
  mmio: MarkTiming | null;
  fps: Record<string, Pick<FpsRun, 'fps' | 'cpu'> | { error: string }>;
  resolutions: string[];
}): KvmRatios {
  const r: KvmRatios = {
    ratio_kvm_mmio_vs_raw_exit: ratio(input.mmio?.device_read_us, input.raw.mean_us),
    ratio_unassigned_vs_raw_exit: ratio(input.mmio?.unassigned_read_us, input.raw.mean_us),
    ratio_inject_vs_raw_exit: ratio(input.inject?.p50_us, input.raw.p50_us),
  };
  const fpsOf = (key: string) => {
    const run = input.fps[key];
    return run && 'fps' in run ? run.fps : null;
  };
  for (const res of input.resolutions) r[`ratio_fps_kvm_vs_ts_${res}`] = ratio(fpsOf(`${res}_kvm`), fpsOf(`${res}_ts`));
  return r;
}

/** The bus's read-latency histogram as a path (null when it timed nothing). */
export function busReadPath(h: ReadLatencyStats, description: string): SampleSummary | null {
  if (!(h.count > 0)) return null;
  const q = (p: number) => latencyQuantileUs(h.buckets, p) ?? NaN;
  return { description, iterations: h.count, mean_us: h.totalUs / h.count, p50_us: q(0.5), p99_us: q(0.99), p999_us: q(0.999), max_us: NaN };
}

function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

const RATIO_KEYS = (r: KvmBenchResult) => Object.keys(r).filter((k) => k.startsWith('ratio_')) as (keyof KvmRatios)[];

/** The suite's tables: latency paths, the mmioread per-read times, frames/s, ratios, notes. */
export function kvmTables(r: KvmBenchResult): string {
  const paths = markdownTable(
    ['path', 'mean µs', 'p50 µs', 'p99 µs', 'p99.9 µs', 'max µs', 'n', 'what'],
    Object.entries(r.paths).map(([name, s]) => [
      name,
      fmt(s.mean_us),
      fmt(s.p50_us),
      fmt(s.p99_us),
      fmt(s.p999_us),
      fmt(s.max_us),
      String(s.iterations),
      'parked' in s ? `${s.description} (parked on ${s.parked}, kicked on ${s.kicked})` : s.description,
    ]),
  );
  let mmio: string;
  if ('error' in r.mmio) {
    mmio = `kvm_mmio_read: not measured: ${r.mmio.error}`;
  } else {
    const m = r.mmio;
    const raw = r.paths.raw_exit?.mean_us;
    mmio = markdownTable(
      ['per read (MARK timing)', 'mean µs', '× raw exit mean', 'reads', 'phase ms', 'what'],
      [
        [
          'kvm_mmio_read',
          fmt(m.device_read_us),
          fmt(ratio(m.device_read_us, raw)),
          String(m.reads),
          fmt(m.device_phase_ms),
          'STATUS: KVM exit → vCPU actor → device actor → engine → reply → KVM entry',
        ],
        [
          'kvm_unassigned_read',
          fmt(m.unassigned_read_us),
          fmt(ratio(m.unassigned_read_us, raw)),
          String(m.reads),
          fmt(m.unassigned_phase_ms),
          'unassigned 0x1000: KVM exit → vCPU actor (bus: all ones) → KVM entry',
        ],
      ],
    );
  }
  const fps = markdownTable(
    ['run', 'cpu', 'mode', 'frames', 'fps (kept)', 'guest fps', 'coalesced', 'what'],
    Object.entries(r.fps).map(([name, f]) =>
      'error' in f
        ? [name, f.cpu, `${f.width}x${f.height}`, '', '—', '—', '', `failed: ${f.error}`]
        : [name, f.cpu, `${f.width}x${f.height}`, String(f.frames), fmt(f.fps), fmt(f.guest_fps), String(f.coalesced), f.description],
    ),
  );
  const ratios = markdownTable(
    ['ratio', 'value', 'target'],
    RATIO_KEYS(r).map((k) => [k, r[k] === null ? 'not measured' : fmt(r[k]), r.targets[k] ?? '']),
  );
  return `${paths}\n\n${mmio}\n\n${fps}\n\n${ratios}${r.notes.length ? `\n\n${r.notes.map((n) => `- ${n}`).join('\n')}` : ''}`;
}

// ------------------------------------------------------------------ measurements

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function mmioReadRun(reads: number): Promise<MmioReadRun> {
  gc();
  const vm = await Vm.create({ cpu: 'kvm', ramMiB: 64, devices: [{ displayModes: [MMIO_MODE] }], workload: { name: 'mmioread', frames: reads } });
  try {
    const [v] = await vm.whenGuestsDone();
    if (!v || v.state !== 'done') throw new Error(`the mmioread guest did not finish: vCPU 0 ${v?.state ?? 'missing'}${v?.fault ? `: ${v.fault}` : ''}`);
    const g = v.guest as KvmGuestStats;
    const timing = perReadFromMarks(g.marks ?? [], reads);
    return {
      description: `machine-code guest, ${reads} 4-byte reads of STATUS then ${reads} of unassigned 0x1000, timed by its MARK port writes`,
      reads,
      ...timing,
      bus_read: busReadPath(
        v.bus.readLatency,
        "the vCPU bus's own timing of the device reads (bus.read → device mailbox → device actor → engine → reply slot; no KVM exit), from its histogram (bucket middles), whole run",
      ),
      mmio_read_exits: g.exits.byKind['mmio-read'] ?? 0,
      bus_reads: v.bus.reads,
      bus_unassigned_reads: v.bus.unassignedReads,
    };
  } finally {
    await vm.stop();
  }
}

const FPS_WARMUP_FRAMES = 20;

/**
 * One VM running `warm-up + frames` fullframe frames in one go: the clock starts once the guest
 * has done the warm-up frames (polled), and stops when it has done the last.
 * One workload per VM on purpose: a second workload on a reused KVM vCPU sometimes triple-faults
 * at its entry on this project's KVM hosts (seen on a PVM-based host), which is not what this
 * measures.
 */
async function fpsRun(cpu: 'kvm' | 'ts', width: number, height: number, frames: number): Promise<FpsRun> {
  gc();
  const total = FPS_WARMUP_FRAMES + frames;
  const vm = await Vm.create({
    cpu,
    ramMiB: 64,
    devices: [{ displayModes: [`${width}x${height}@60`] }],
    workload: { name: 'fullframe', frames: total, seed: 2 },
  });
  const describeStop = (v: VmStats['vcpus'][number] | undefined) => {
    const exits = cpu === 'kvm' && v?.guest ? ` (KVM exits ${JSON.stringify((v.guest as KvmGuestStats).exits?.byKind)})` : '';
    return `fullframe on ${cpu} at ${width}x${height}: ${v?.guest?.framesDone ?? 0} of ${total} frames, vCPU ${v?.state}${v?.fault ? `: ${v.fault}` : ''}${exits}`;
  };
  try {
    // Warm-up (boot, mode set, first frames, JIT): wait for it, then start the clock.
    let start = await vm.stats();
    const deadline = performance.now() + 60_000;
    while ((start.vcpus[0]?.guest?.framesDone ?? 0) < FPS_WARMUP_FRAMES && start.vcpus[0]?.state === 'running') {
      if (performance.now() > deadline) throw new Error(`${describeStop(start.vcpus[0])}: the warm-up did not finish in 60 s`);
      await new Promise((r) => setTimeout(r, 1));
      start = await vm.stats();
    }
    const t0 = performance.now();
    const framesAtStart = start.vcpus[0]?.guest?.framesDone ?? 0;
    const before = start.compositor.displays[0]!;
    const [v] = await vm.whenGuestsDone();
    const seconds = (performance.now() - t0) / 1000;
    if (!v || v.state !== 'done' || v.guest?.framesDone !== total) throw new Error(describeStop(v));
    // Count what the compositor kept once it has taken the last frame: read at once, it lagged
    // (an ASan run counted 0 frames kept).
    await vm.settle();
    const keptSeconds = (performance.now() - t0) / 1000;
    const after = (await vm.stats()).compositor.displays[0]!;
    const measured = total - framesAtStart;
    const kept = after.encodes - before.encodes;
    // A fast machine can run a short workload to its end inside the warm-up poll: nothing was
    // timed then, and a rate of 0 would read as a measurement.
    if (measured <= 0 || kept <= 0)
      throw new Error(
        `${describeStop(v)}: the guest finished during the warm-up, so no frame was timed (${measured} frames, ${kept} kept): give it more frames`,
      );
    return {
      description: `fullframe workload (full-frame fill, 256x256 blits, whole-frame present), ${cpu === 'kvm' ? 'machine-code guest on KVM' : 'TypeScript guest'}, no client; timed after ${framesAtStart} warm-up frames`,
      cpu,
      width,
      height,
      frames: measured,
      seconds,
      kept_seconds: keptSeconds,
      fps: kept / keptSeconds,
      guest_fps: measured / seconds,
      coalesced: after.coalesced - before.coalesced,
    };
  } finally {
    await vm.stop();
  }
}

/** The paths a run could not measure, named. */
export function kvmFailures(mmio: KvmBenchResult['mmio'], fps: KvmBenchResult['fps']): string[] {
  return [...('error' in mmio ? [`mmioread: ${mmio.error}`] : []), ...Object.entries(fps).flatMap(([k, f]) => ('error' in f ? [`${k}: ${f.error}`] : []))];
}

export async function runKvmBench(options: KvmBenchOptions): Promise<KvmBenchResult> {
  const why = kvmUnavailableReason();
  if (why) throw new Error(`bench kvm: ${why}`);
  const n = (base: number, min: number) => Math.max(min, Math.round(base * options.scale));
  const step = options.progress ?? (() => undefined);
  const resolutions = options.resolutions ?? RESOLUTIONS;
  const notes: string[] = [];

  step('raw KVM exit round trip (reference)');
  const rawIterations = n(100_000, 1000);
  const raw = summarize(
    nativeTesting().kvmRawExitBench(rawIterations, { warmup: Math.min(5000, rawIterations) }),
    'tiny guest reads a do-nothing MMIO address in a loop; C++ answers each read at once (completeRead(0), KVM_RUN): the bare exit → user space → KVM round trip',
  );

  step('interrupt delivery → guest handler');
  const injected = nativeTesting().kvmInjectBench(n(5000, 100), { warmup: 20, minGapUs: 50, maxGapUs: 500, seed: 1 });
  const inject: InjectSummary = {
    ...summarize(
      injected,
      'deliverer thread: pending bit, sequence++, futex wake if parked, kick if in KVM_RUN → injection → handler `out 0x500` exit reaches the host; vCPU halted (HLT exit → spin → futex) between, gaps 50–500 µs',
    ),
    parked: injected.parked,
    kicked: injected.kicked,
  };

  step('MMIO reads from the KVM guest (mmioread: device, then unassigned)');
  const reads = n(30_000, 500);
  let mmio: KvmBenchResult['mmio'];
  try {
    mmio = await mmioReadRun(reads);
  } catch (err) {
    mmio = { error: (err as Error).message };
    console.error(`bench kvm: the MMIO read path was not measured: ${mmio.error}`);
  }

  const fps: KvmBenchResult['fps'] = {};
  for (const r of resolutions) {
    for (const cpu of ['kvm', 'ts'] as const) {
      step(`fullframe ${r.name} on ${cpu}`);
      try {
        fps[`${r.name}_${cpu}`] = await fpsRun(cpu, r.width, r.height, n(r.frames, 10));
      } catch (err) {
        const error = (err as Error).message;
        fps[`${r.name}_${cpu}`] = { cpu, width: r.width, height: r.height, error };
        console.error(`bench kvm: fullframe ${r.name} on ${cpu} failed: ${error}`);
        notes.push(`fullframe ${r.name} on ${cpu} failed: ${error}`);
      }
    }
  }

  const paths: KvmBenchResult['paths'] = { raw_exit: raw, inject };
  if (!('error' in mmio) && mmio.bus_read) paths.bus_read_device = mmio.bus_read;
  const ratios = kvmRatios({ raw, inject, mmio: 'error' in mmio ? null : mmio, fps, resolutions: resolutions.map((r) => r.name) });

  if (!('error' in mmio)) {
    const m = mmio;
    const exitHandling = m.unassigned_read_us - raw.mean_us;
    const deviceHop = m.device_read_us - m.unassigned_read_us;
    notes.push(
      `where a device read's ${fmt(m.device_read_us)} µs goes: the KVM exit round trip ${fmt(raw.mean_us)} µs (raw_exit mean), the vCPU actor's part ${fmt(exitHandling)} µs more (unassigned − raw: ` +
        'kvmRun and kvmCompleteRead through N-API, decoding, the bus lookup, and whatever makes KVM_RUN itself dearer on a thread of the busy VM process), ' +
        `the device hop ${fmt(deviceHop)} µs more ` +
        `(device − unassigned; the bus itself timed its device reads at ${fmt(m.bus_read?.mean_us)} µs mean, p50 ${fmt(m.bus_read?.p50_us)} µs).`,
    );
    if (raw.max_us > 20 * raw.p50_us) {
      notes.push(
        `raw_exit's mean (${fmt(raw.mean_us)} µs) carries host hiccups (max ${fmt(raw.max_us)} µs, p50 ${fmt(raw.p50_us)} µs); the device read's per-read mean carries its own. ` +
          `Against the raw p50 instead, the device read is ${fmt(m.device_read_us / raw.p50_us)}× and the unassigned read ${fmt(m.unassigned_read_us / raw.p50_us)}×.`,
      );
    }
    if (m.bus_unassigned_reads < reads || m.bus_reads < reads) {
      notes.push(
        `check: the bus counted ${m.bus_reads} device reads and ${m.bus_unassigned_reads} unassigned reads for ${reads} of each — the guest program did not do what the marks say.`,
      );
    }
  }
  const parkedShare = inject.iterations > 0 ? inject.parked / inject.iterations : 0;
  notes.push(
    `inject: the vCPU was parked in its futex on ${(parkedShare * 100).toFixed(0)}% of the deliveries and inside KVM_RUN (kicked) on ${inject.kicked}; ` +
      'a parked delivery pays a futex wake and a thread wake-up before the KVM entry that injects.',
  );
  notes.push(
    'raw_exit and inject run the same KvmVcpu code the vCPU actor uses (native/src/kvm/), on a tiny hand-assembled guest, with no JavaScript in the loop.',
  );
  const m0 = machineInfo();
  if (m0.cpus < 4) notes.push(`${m0.cpus} CPUs: the VM's actors, the engine and the vCPU share them, so the VM paths are noisy and scheduling-bound.`);

  const failures = kvmFailures(mmio, fps);
  return {
    suite: 'kvm',
    machine: m0,
    paths,
    mmio,
    fps,
    failures,
    ...ratios,
    targets: {
      ...KVM_TARGETS,
      ...Object.fromEntries(resolutions.map((r) => [`ratio_fps_kvm_vs_ts_${r.name}`, 'report'])),
    },
    notes,
  };
}

/** Why `bench kvm` cannot run here (null: it can). */
export function kvmBenchUnavailable(): string | null {
  return kvmUnavailableReason();
}
