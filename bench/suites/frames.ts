// `bench frames`: end-to-end frame throughput — the guest presents, the engine reads the frame
// back into one of the display's surfaces, the compositor copies it into its own frame store —
// with the null sink (no client) and with a VNC client, next to memcpy-bound frames/s measured in
// the same run (one native memcpy of the frame: the least work that puts a frame's bytes
// somewhere new). The `present` workload measures that pipeline alone (whole-frame presents,
// nothing redrawn); the `band` workload adds the guest's drawing (a fill and tiles over the
// band), at 100% and 1% of the frame.
// Both profiles side by side (VmOptions.profile, docs/fidelity.md): `native`, this project's own
// protocol (damage rectangles, posted writes, unpaced), and `pvg`, a model of a PVG host (whole
// frames read back, presents paced to the mode's 60 Hz, synchronous MMIO writes). Per-frame
// latency (new frame → kept) p50/p99 under both, and present → VNC client (the update showing the
// frame received by a client) for the band 1% runs with a VNC client (bench/vnc-latency.ts).
// With --engine vulkan (or auto finding a GPU) every case runs on both backends, soft and vulkan,
// in the same run, for the ratio of their kept frames/s (frames-backends.ts).
import { frameLatencyQuantileUs } from '../../actors/compositor/frame-latency.js';
import type { Profile } from '../../vmm/config.js';
import { resolveEngine, type EngineChoice } from '../../vmm/engine-backend.js';
import { nativeTesting } from '../native-testing.js';
import { Vm } from '../../vmm/vm.js';
import { machineInfo, type MachineInfo } from '../machine.js';
import { markdownTable, ratioTable } from '../report.js';
import { VncLoadClient, type LoadEncoding } from '../vnc-load-client.js';
import { TRACE_EVENTS } from '../../abi/generated/trace-events.js';
import { TraceSetReader } from '../../shared/trace/reader.js';
import { bandPeriod, bandProbe, quantile, vncLatency, vncLatencyByPixels } from '../vnc-latency.js';
import { VncUpdateLog } from '../vnc-update-log.js';
import { BackendCases } from './frames-backends.js';

export interface FramesRun {
  description: string;
  /** VmOptions.profile: native (this project's protocol) or pvg (a model of a PVG host). */
  profile: Profile;
  width: number;
  height: number;
  workload: 'present' | 'band';
  damage_percent: number;
  sink: 'null' | `vnc-${LoadEncoding}`;
  frames: number;
  seconds: number;
  /**
   * Frames that landed in the compositor's surface per second (encodes applied), until the last
   * present was kept. Presents that coalesced into a later frame are not counted.
   */
  fps: number;
  /** Frames the guest presented per second over the same time (≥ fps; the rest coalesced). */
  presents_per_s: number;
  coalesced: number;
  /** Bytes the engine read back and the compositor copied per kept frame: cost follows damage. */
  copied_bytes_per_frame: number;
  /** The longest one encode took, compositor request to answer (ms). */
  max_encode_ms: number;
  /**
   * VNC runs: bytes the server sent per presented frame, counted until the client caught up with
   * the last frame (VNC encodes on its own thread; a client gets coalesced updates), and per update.
   */
  vnc_bytes_per_frame?: number;
  vnc_bytes_per_update?: number;
  vnc_updates?: number;
  /**
   * The display's frame lock over the run (the compositor writes a frame under it; the VNC sink
   * copies an update out under it, so no update mixes two frames): takes that found it held, and
   * the time all threads spent waiting for it, per kept frame (ms).
   */
  frame_lock_contended: number;
  frame_lock_wait_ms_per_frame: number;
  /** Per-frame latency, new frame taken by the device actor → kept in the compositor's frame store (µs). */
  latency_p50_us: number;
  latency_p99_us: number;
  /**
   * VNC runs of the band workload below 100%: present → VNC client, from the device actor taking
   * the oldest frame the client had not seen (its apple_gfx_new_frame trace event, where present →
   * kept starts too) to the last byte of the update that shows it arriving at the bench's client
   * (same process, same CLOCK_MONOTONIC). One sample per update, like latency_p50_us; updates that
   * cannot be tied to their frames exactly are counted in vnc_latency_ambiguous and left out.
   * (At 100% every update covers the whole screen, so nothing says which frame it shows: absent.)
   */
  vnc_latency_p50_us?: number;
  vnc_latency_p99_us?: number;
  vnc_latency_samples?: number;
  vnc_latency_ambiguous?: number;
  /** MMIO accesses (reads + writes, every window) and interrupts raised per presented frame: the protocol's per-frame traffic. */
  mmio_per_frame: number;
  interrupts_per_frame: number;
}

export interface FramesBenchResult {
  suite: 'frames';
  machine: MachineInfo;
  memcpy_fps: Record<string, number>;
  /** The profiles measured; run names of the pvg profile start with `pvg_`. */
  profiles: Profile[];
  /** The engine backend the VMs drew with (vulkan, or auto finding a GPU: every case on soft too). */
  engine: EngineChoice;
  /** --engine auto that found no GPU: why, and every run drew with soft. */
  engine_fallback?: string;
  runs: Record<string, FramesRun>;
  /** --engine vulkan: each case of `runs` run again on the soft backend, in the same invocation. */
  soft_runs?: Record<string, FramesRun>;
  ratio_fps_vs_memcpy_1080p: number;
  ratio_fps_vs_memcpy_2160p: number;
  /** With the guest's drawing in the loop (band workload, 100%): the render's cost shows here. */
  ratio_band_fps_vs_memcpy_1080p: number;
  /** fps at 1% damage over fps at 100% (1080p): how far cost follows damage. */
  ratio_fps_damage_1_vs_100: number;
  /** fps with a VNC client (ZRLE) over fps with none, band 100% at 1080p: what a reading client costs the pipeline (frame lock waits included). */
  ratio_vnc_fps_vs_null_1080p: number;
  /** present → VNC client p50 over present → kept p50, same run (band 1%, 1080p; native: ZRLE client, pvg: Raw client): what the VNC leg adds. */
  ratio_vnc_latency_vs_kept_p50_1080p?: number;
  pvg_ratio_vnc_latency_vs_kept_p50_1080p?: number;
  /** pvg profile: fps at 1% over 100% (1080p): ≈ 1, a PVG host reads back the whole frame whatever changed. */
  pvg_ratio_fps_damage_1_vs_100?: number;
  /** pvg profile: present-workload fps over the mode's refresh (60 Hz), 1080p. */
  pvg_ratio_present_fps_vs_refresh_1080p?: number;
  /** --engine vulkan, per case of `runs`: kept frames/s on vulkan over the same case's on soft. */
  [ratio: `ratio_vulkan_vs_soft_${string}`]: number;
  targets: Record<string, string>;
}

export interface FramesBenchOptions {
  scale: number;
  /** Profiles to measure (default both). */
  profiles?: Profile[];
  /** The engine backend every VM draws with (default soft; docs/vulkan.md). */
  engine?: EngineChoice;
  progress?: (what: string) => void;
}

/** Frames drawn before each measured run (mode set, first frames, JIT). */
const WARMUP_FRAMES = 20;

const RESOLUTIONS = [
  { name: '1080p', width: 1920, height: 1080, frames: 400 },
  { name: '2160p', width: 3840, height: 2160, frames: 120 },
];

function memcpyFps(width: number, height: number, frames: number): number {
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const { ns } = nativeTesting().benchRender('memcpy', width, height, frames);
    rounds.push((frames * 1e9) / ns);
  }
  return rounds.sort((a, b) => a - b)[2]!;
}

export async function framesRun(
  profile: Profile,
  width: number,
  height: number,
  workload: FramesRun['workload'],
  damagePercent: number,
  frames: number,
  sink: FramesRun['sink'],
  engine: EngineChoice = 'soft',
): Promise<FramesRun> {
  // Each VM's SABs (guest RAM, surfaces, frame stores: hundreds of MB at 2160p) go only when the
  // main thread's GC runs; left to pile up they slow the next runs. `npm run bench` passes
  // --expose-gc so each run starts clean.
  (globalThis as { gc?: () => void }).gc?.();
  const vm = await Vm.create({ ramMiB: 64, profile, engine, devices: [{ displayModes: [`${width}x${height}@60`] }] });
  let client: VncLoadClient | null = null;
  // Present → VNC client needs to know which frames an update shows. Below 100% the band's rows say
  // so: in the update's rectangles (native: damage rectangles reach the client), or, where every
  // update is the whole screen (pvg: whole frames read back), in the pixels a Raw client receives.
  const rows = Math.max(1, Math.min(height, Math.round((height * damagePercent) / 100)));
  const banded = workload === 'band' && damagePercent < 100;
  const byPixels = banded && sink === 'vnc-raw' && frames <= bandPeriod({ height, rows });
  const log = byPixels
    ? new VncUpdateLog({ width, height, probe: bandProbe({ width, height, rows }, frames, WARMUP_FRAMES) })
    : banded && sink === 'vnc-zrle' && profile === 'native'
      ? new VncUpdateLog()
      : null;
  let presents: PresentTimes | null = null;
  try {
    if (sink !== 'null') {
      const [port] = await vm.startVnc({ port: 0 });
      client = await VncLoadClient.connect(port!, sink.slice(4) as LoadEncoding, '127.0.0.1', log ?? undefined);
    }
    // Warm up (mode set, first frames, JIT), then measure from a settled start.
    await vm.runWorkload({ name: workload, frames: WARMUP_FRAMES, damagePercent });
    await vm.whenGuestsDone();
    await vm.settle();
    const statsBefore = await vm.stats();
    const before = statsBefore.compositor.displays[0]!;
    const deviceBefore = statsBefore.devices[0]!;
    if (log) presents = new PresentTimes(vm);
    const updatesBefore = log?.updates.length ?? 0;
    const t0 = performance.now();
    await vm.runWorkload({ name: workload, frames, damagePercent, seed: 2 });
    await vm.whenGuestsDone();
    await vm.settle(60_000);
    const seconds = (performance.now() - t0) / 1000;
    const statsAfter = await vm.stats();
    const deviceAfter = statsAfter.devices[0]!;
    let after = statsAfter.compositor.displays[0]!;
    const latency = after.frameLatency.buckets.map((c, i) => c - (before.frameLatency.buckets[i] ?? 0));
    if (sink !== 'null') after = await vncCaughtUp(vm);
    let vnc: Pick<FramesRun, 'vnc_latency_p50_us' | 'vnc_latency_p99_us' | 'vnc_latency_samples' | 'vnc_latency_ambiguous'> = {};
    if (log && presents) {
      presents.stop();
      // The measured run's presents: band.ts's setup presents once (the whole screen), then frame n.
      const setupSeq = (deviceBefore.engine?.presents ?? 0) + 1;
      const presentUs = (n: number) => presents!.at(setupSeq + 1 + n);
      const updates = log.updates.slice(updatesBefore);
      const r = byPixels ? vncLatencyByPixels(presentUs, updates, WARMUP_FRAMES) : vncLatency({ height, rows }, frames, presentUs, updates);
      vnc = {
        vnc_latency_p50_us: quantile(r.samplesUs, 0.5),
        vnc_latency_p99_us: quantile(r.samplesUs, 0.99),
        vnc_latency_samples: r.samplesUs.length,
        vnc_latency_ambiguous: r.ambiguous,
      };
    }
    const run: FramesRun = {
      profile,
      description: `${profile === 'pvg' ? 'pvg profile: ' : ''}${workload === 'present' ? 'present workload (whole-frame presents, nothing redrawn)' : `band workload, ${damagePercent}% of the frame redrawn per frame`}, ${sink === 'null' ? 'no client (null sink)' : `one VNC client (${sink.slice(4)})`}`,
      width,
      height,
      workload,
      damage_percent: damagePercent,
      sink,
      frames,
      seconds,
      fps: (after.encodes - before.encodes) / seconds,
      presents_per_s: frames / seconds,
      coalesced: after.coalesced - before.coalesced,
      copied_bytes_per_frame: ((after.pixelsCopied - before.pixelsCopied) * 4) / Math.max(1, after.encodes - before.encodes),
      max_encode_ms: after.maxEncodeMs,
      frame_lock_contended: after.frameLock.contended - before.frameLock.contended,
      frame_lock_wait_ms_per_frame: (after.frameLock.waitMs - before.frameLock.waitMs) / Math.max(1, after.encodes - before.encodes),
      latency_p50_us: frameLatencyQuantileUs(latency, 0.5) ?? Number.NaN,
      latency_p99_us: frameLatencyQuantileUs(latency, 0.99) ?? Number.NaN,
      mmio_per_frame: (deviceAfter.mmioReads + deviceAfter.mmioWrites - deviceBefore.mmioReads - deviceBefore.mmioWrites) / frames,
      interrupts_per_frame: (deviceAfter.interrupts.raised - deviceBefore.interrupts.raised) / frames,
      ...vnc,
    };
    if (after.vnc && before.vnc) {
      const bytes = after.vnc.stats.bytesSent - before.vnc.stats.bytesSent;
      run.vnc_updates = after.vnc.stats.updatesSent - before.vnc.stats.updatesSent;
      run.vnc_bytes_per_frame = bytes / frames;
      run.vnc_bytes_per_update = bytes / Math.max(1, run.vnc_updates);
    }
    return run;
  } finally {
    presents?.stop();
    client?.close();
    await vm.stop();
  }
}

/**
 * When device 0's display 0 presented each frame: the device actor's apple_gfx_new_frame trace
 * events (CLOCK_MONOTONIC µs), by frame sequence number, drained every 20 ms so the ring never
 * wraps over them. Whatever the VM traced before it was made is dropped.
 */
class PresentTimes {
  private readonly reader: TraceSetReader;
  private readonly ring: number;
  private readonly bySeq = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(vm: Vm) {
    this.reader = new TraceSetReader(vm.supervisor.traceSet);
    this.ring = vm.supervisor.trackLabels.find((l) => l.name === 'device0')!.ring;
    this.reader.drain();
    this.timer = setInterval(() => this.take(), 20);
  }

  private take(): void {
    for (const e of this.reader.drain().events) {
      if (e.ring === this.ring && e.id === TRACE_EVENTS.apple_gfx_new_frame && e.args[0] === 0) this.bySeq.set(e.args[1], e.ts);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.take();
  }

  at(seq: number): number | undefined {
    return this.bySeq.get(seq);
  }
}

/** Waits until the VNC server has sent nothing new for a second (the client has the last frame). */
async function vncCaughtUp(vm: Vm) {
  let last = -1;
  let quietSince = performance.now();
  const deadline = performance.now() + 60_000;
  for (;;) {
    const d = (await vm.stats()).compositor.displays[0]!;
    const sent = d.vnc!.stats.bytesSent;
    if (sent !== last) {
      last = sent;
      quietSince = performance.now();
    } else if (performance.now() - quietSince > 1000 || performance.now() > deadline) {
      return d;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runFramesBench(options: FramesBenchOptions): Promise<FramesBenchResult> {
  const n = (x: number) => Math.max(10, Math.round(x * options.scale));
  const memcpy: Record<string, number> = {};
  const profiles = options.profiles ?? ['native', 'pvg'];
  const engine = options.engine ?? 'soft';
  // vulkan where it cannot run throws here, with the reason, before anything is measured.
  const resolved = resolveEngine(engine);
  const compare = resolved.engine === 'vulkan';
  const cases = new BackendCases<FramesRun>(engine, compare);
  const { runs } = cases;
  const measure = (name: string, run: (e: EngineChoice) => Promise<FramesRun>) => cases.measure(name, run);
  const both = compare ? ' (soft and vulkan)' : '';
  for (const r of RESOLUTIONS) {
    options.progress?.(`${r.name} memcpy reference`);
    memcpy[r.name] = memcpyFps(r.width, r.height, n(r.frames / 4));
    if (profiles.includes('native')) {
      options.progress?.(`${r.name} present → compositor, null sink${both}`);
      await measure(`${r.name}_present_null`, (e) => framesRun('native', r.width, r.height, 'present', 100, n(r.frames * 20), 'null', e));
      options.progress?.(`${r.name} band 100%, null sink${both}`);
      await measure(`${r.name}_null_100`, (e) => framesRun('native', r.width, r.height, 'band', 100, n(r.frames), 'null', e));
      options.progress?.(`${r.name} band 1%, null sink${both}`);
      // 1% frames are ~20× cheaper: more of them, so the run lasts about as long.
      await measure(`${r.name}_null_1`, (e) => framesRun('native', r.width, r.height, 'band', 1, n(r.frames * 20), 'null', e));
      for (const pct of [100, 1]) {
        options.progress?.(`${r.name} band ${pct}%, VNC ZRLE client${both}`);
        await measure(`${r.name}_vnc_zrle_${pct}`, (e) =>
          framesRun('native', r.width, r.height, 'band', pct, n(pct === 1 ? r.frames * 5 : r.frames / 2), 'vnc-zrle', e),
        );
      }
    }
    if (profiles.includes('pvg')) {
      // Paced to 60 Hz: 120 frames are two seconds, whatever the work per frame.
      const paced = n(120);
      options.progress?.(`${r.name} pvg profile: present, band 100% and 1%, null sink${both}`);
      await measure(`pvg_${r.name}_present_null`, (e) => framesRun('pvg', r.width, r.height, 'present', 100, paced, 'null', e));
      await measure(`pvg_${r.name}_null_100`, (e) => framesRun('pvg', r.width, r.height, 'band', 100, paced, 'null', e));
      await measure(`pvg_${r.name}_null_1`, (e) => framesRun('pvg', r.width, r.height, 'band', 1, paced, 'null', e));
      options.progress?.(`${r.name} pvg profile: band 100%, VNC ZRLE client; band 1%, VNC Raw client${both}`);
      await measure(`pvg_${r.name}_vnc_zrle_100`, (e) => framesRun('pvg', r.width, r.height, 'band', 100, paced, 'vnc-zrle', e));
      // Present → VNC client under pvg: whole-screen updates, so the client reads the frame from pixels (Raw).
      await measure(`pvg_${r.name}_vnc_raw_1`, (e) => framesRun('pvg', r.width, r.height, 'band', 1, paced, 'vnc-raw', e));
    }
  }
  const fps = (name: string) => runs[name]?.fps ?? Number.NaN;
  const vncOverKept = (name: string) => (runs[name]?.vnc_latency_p50_us ?? Number.NaN) / (runs[name]?.latency_p50_us ?? Number.NaN);
  return {
    suite: 'frames',
    machine: machineInfo(),
    memcpy_fps: memcpy,
    profiles,
    engine,
    ...(resolved.why !== null ? { engine_fallback: resolved.why } : {}),
    runs,
    ...(compare ? { soft_runs: cases.softRuns } : {}),
    ...cases.ratios(),
    ratio_fps_vs_memcpy_1080p: fps('1080p_present_null') / memcpy['1080p']!,
    ratio_fps_vs_memcpy_2160p: fps('2160p_present_null') / memcpy['2160p']!,
    ratio_band_fps_vs_memcpy_1080p: fps('1080p_null_100') / memcpy['1080p']!,
    ratio_fps_damage_1_vs_100: fps('1080p_null_1') / fps('1080p_null_100'),
    ratio_vnc_fps_vs_null_1080p: fps('1080p_vnc_zrle_100') / fps('1080p_null_100'),
    ...(profiles.includes('native') ? { ratio_vnc_latency_vs_kept_p50_1080p: vncOverKept('1080p_vnc_zrle_1') } : {}),
    ...(profiles.includes('pvg')
      ? {
          pvg_ratio_vnc_latency_vs_kept_p50_1080p: vncOverKept('pvg_1080p_vnc_raw_1'),
          pvg_ratio_fps_damage_1_vs_100: fps('pvg_1080p_null_1') / fps('pvg_1080p_null_100'),
          pvg_ratio_present_fps_vs_refresh_1080p: fps('pvg_1080p_present_null') / 60,
        }
      : {}),
    targets: {
      pvg_ratio_fps_damage_1_vs_100:
        "≈ 1 where the guest draws 100 % within a refresh (a PVG host reads back whole frames: damage buys nothing); above 1 only by the guest's own drawing",
      pvg_ratio_present_fps_vs_refresh_1080p: "≈ 1 (paced to the mode's refresh)",
      ratio_fps_vs_memcpy_1080p: '≥ 0.8',
      ratio_fps_damage_1_vs_100: '≫ 1 (cost follows damage)',
      ratio_vnc_fps_vs_null_1080p: 'close to 1 (encoding runs on the sink worker; only copies share the frame lock)',
      ratio_vnc_latency_vs_kept_p50_1080p:
        '≥ 1 expected (a client sees a frame only after it is kept; the two count different samples, so not by construction); how far above is what the VNC leg adds',
      pvg_ratio_vnc_latency_vs_kept_p50_1080p: '≥ 1, as above, under the pvg profile',
    },
  };
}

export function framesTables(r: FramesBenchResult): string {
  const fmt = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(d));
  // --engine vulkan: each case's soft run and the ratio beside the vulkan figure.
  const soft = r.soft_runs;
  const vsSoft = (name: string) => (soft === undefined ? [] : [fmt(soft[name]?.fps), fmt(r[`ratio_vulkan_vs_soft_${name}`], 2)]);
  const rows = Object.entries(r.runs).map(([name, x]) => [
    name,
    x.profile ?? 'native',
    `${x.width}x${x.height}`,
    x.workload === 'present' ? 'present' : `band ${x.damage_percent}%`,
    x.sink,
    fmt(x.fps),
    ...vsSoft(name),
    fmt(x.presents_per_s),
    String(x.coalesced),
    `${(x.copied_bytes_per_frame / 1e6).toFixed(2)} MB`,
    `${fmt((x.latency_p50_us ?? Number.NaN) / 1000, 2)} / ${fmt((x.latency_p99_us ?? Number.NaN) / 1000, 2)} ms`,
    x.vnc_latency_samples === undefined
      ? ''
      : x.vnc_latency_samples === 0
        ? `none (0 updates tied to frames, ${x.vnc_latency_ambiguous} ambiguous)`
        : `${fmt((x.vnc_latency_p50_us ?? Number.NaN) / 1000, 2)} / ${fmt((x.vnc_latency_p99_us ?? Number.NaN) / 1000, 2)} ms (${x.vnc_latency_samples} updates, ${x.vnc_latency_ambiguous} ambiguous)`,
    `${fmt(x.mmio_per_frame)} / ${fmt(x.interrupts_per_frame, 2)}`,
    x.vnc_bytes_per_frame === undefined ? '' : Math.round(x.vnc_bytes_per_frame).toString(),
    x.vnc_updates === undefined ? '' : `${x.vnc_updates} × ${Math.round(x.vnc_bytes_per_update!)} B`,
    `${x.frame_lock_contended} / ${x.frame_lock_wait_ms_per_frame.toFixed(3)} ms`,
  ]);
  const refs = Object.entries(r.memcpy_fps).map(([name, fps]) => [
    `${name}_memcpy`,
    '',
    name,
    'memcpy',
    'reference',
    fmt(fps),
    ...(soft === undefined ? [] : ['', '']),
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
  ]);
  const { ratio_fps_vs_memcpy_1080p, ratio_fps_vs_memcpy_2160p, ratio_band_fps_vs_memcpy_1080p, ratio_fps_damage_1_vs_100, ratio_vnc_fps_vs_null_1080p } = r;
  const ratios: Record<string, number> = {
    ratio_fps_vs_memcpy_1080p,
    ratio_fps_vs_memcpy_2160p,
    ratio_band_fps_vs_memcpy_1080p,
    ratio_fps_damage_1_vs_100,
    ratio_vnc_fps_vs_null_1080p,
  };
  if (r.ratio_vnc_latency_vs_kept_p50_1080p !== undefined) ratios.ratio_vnc_latency_vs_kept_p50_1080p = r.ratio_vnc_latency_vs_kept_p50_1080p;
  if (r.pvg_ratio_vnc_latency_vs_kept_p50_1080p !== undefined) ratios.pvg_ratio_vnc_latency_vs_kept_p50_1080p = r.pvg_ratio_vnc_latency_vs_kept_p50_1080p;
  if (r.pvg_ratio_fps_damage_1_vs_100 !== undefined) ratios.pvg_ratio_fps_damage_1_vs_100 = r.pvg_ratio_fps_damage_1_vs_100;
  if (r.pvg_ratio_present_fps_vs_refresh_1080p !== undefined) ratios.pvg_ratio_present_fps_vs_refresh_1080p = r.pvg_ratio_present_fps_vs_refresh_1080p;
  const note =
    "profile native: this project's own protocol (damage rectangles, posted MMIO writes, presents as fast as the ring goes); profile pvg: a model of a PVG host (whole frames read back, presents paced to the mode's 60 Hz, synchronous MMIO writes; docs/fidelity.md). Latency: new frame taken by the device actor → kept in the compositor's frame store; present → VNC client: the same start → the last byte of the update showing the frame read by the bench's client (band 1% runs only: the band's rows say which frame an update shows, from the update's rectangles under native and from its pixels, Raw, under pvg; docs/fidelity.md).";
  // Runs drawn on the GPU say so; soft runs (and results from before the option) read as before.
  const engine =
    r.engine === undefined || r.engine === 'soft'
      ? ''
      : r.engine_fallback !== undefined
        ? `Engine backend: ${r.engine}, drawn with soft (${r.engine_fallback}). `
        : soft !== undefined
          ? `Engine backend: vulkan (docs/vulkan.md); every case also ran on soft in this invocation, the two backends taking turns to go first: fps (kept) is vulkan's, soft fps (kept) soft's, vulkan ÷ soft their ratio (ratio_vulkan_vs_soft_<run>). `
          : `Engine backend: ${r.engine} (docs/vulkan.md). `;
  return `${engine}${note}\n\n${markdownTable(
    [
      'run',
      'profile',
      'mode',
      'workload',
      'sink',
      'fps (kept)',
      ...(soft === undefined ? [] : ['soft fps (kept)', 'vulkan ÷ soft']),
      'presents/s',
      'coalesced',
      'copied/frame',
      'latency p50 / p99',
      'present → VNC client p50 / p99',
      'MMIO / irq per frame',
      'VNC B/frame',
      'VNC updates',
      'frame lock: contended / wait per frame',
    ],
    [...refs, ...rows],
  )}\n\n${ratioTable(ratios, r.targets)}`;
}
