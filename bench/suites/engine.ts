// `bench engine`: the soft engine's CPU renderer against memcpy, and the callback round trip
// native engine thread → device actor → native engine thread. Each ratio compares two numbers
// measured in this same run. With --engine vulkan (or auto finding a GPU) also the render rates
// through the vulkan store against the soft store (engine-vulkan.ts).
import { Op, commandHeader } from '../../guest/ts/protocol.js';
import { nativeTesting, type RenderKind } from '../native-testing.js';
import type { NativeEngine } from '../../shared/native/types.js';
import { EngineRig, RAM_BASE, RAM_SIZE } from '../../test/support/engine-rig.js';
import type { BadCase } from '../../test/support/engine-scripts.js';
import { resolveEngine, type EngineChoice } from '../../vmm/engine-backend.js';
import { runGuest } from '../../test/support/run-guest.js';
import { machineInfo, type MachineInfo } from '../machine.js';
import { markdownTable } from '../report.js';
import { vulkanStoreRates, vulkanStoreTable, type VulkanStoreRates } from './engine-vulkan.js';
import { median } from '../spread.js';
import { compositorCopyRates, type CopyRate } from './compositor-copy.js';

export interface RenderRate {
  description: string;
  kind: RenderKind;
  width: number;
  height: number;
  /** Frames drawn per round, rounds run (the rate is the median round's). */
  iterations: number;
  rounds: number;
  mpixel_per_s: number;
  gb_per_s: number;
}

export interface CallbackPath {
  description: string;
  /** Callbacks the engine saw answered (its histogram's count: the READ_MEMs and the set-up's few). */
  callbacks: number;
  p50_us: number;
  p99_us: number;
  /** Wall time of the guest script divided by its READ_MEMs (includes the guest's polling and the worker's start). */
  wall_us_per_read: number;
  read_mems: number;
  host_unavailable: number;
}

export interface EngineBenchResult {
  suite: 'engine';
  machine: MachineInfo;
  render: Record<string, RenderRate>;
  paths: Record<string, CallbackPath>;
  /** The compositor's damage copy: TypedArray.set per row against native.copyPixelRect (compositor-copy.ts). */
  copy: Record<string, CopyRate>;
  ratio_native_copy_vs_set_damage: number;
  ratio_native_copy_vs_set_1080p: number;
  ratio_blit_vs_memcpy: number;
  ratio_fill_vs_memcpy: number;
  ratio_blend_vs_memcpy: number;
  ratio_blit_vs_memcpy_2160p: number;
  /** Named with --engine only (absent without it or with soft, as before the option). */
  engine?: EngineChoice;
  /** --engine auto that found no GPU: why (nothing drawn on a GPU). */
  engine_fallback?: string;
  /** --engine vulkan: fill, blit and blend through the vulkan store and the soft store, same calls. */
  vulkan?: Omit<VulkanStoreRates, 'ratios'>;
  /** --engine vulkan, per `<kind>_<res>` of `vulkan.stores`: vulkan GB/s over the soft store's. */
  [ratio: `ratio_vulkan_vs_soft_${string}`]: number;
  targets: Record<string, string>;
}

export interface EngineBenchOptions {
  /** Multiplies every iteration count (0.1 for a quick look). */
  scale: number;
  /** soft (default): the CPU renderer alone; vulkan, or auto finding a GPU: the stores compared too. */
  engine?: EngineChoice;
  progress?: (path: string) => void;
}

const KINDS: RenderKind[] = ['memcpy', 'fill', 'blit', 'blend'];
const WHAT: Record<RenderKind, string> = {
  memcpy: 'memcpy of a frame-sized image into the frame (reference)',
  fill: 'fillRect of the whole frame, opaque',
  blit: 'blit, copy, of a frame-sized image (ContiguousRows)',
  blend: 'blit, source-over, per-pixel alpha onto an opaque frame',
};

/** Every kind at one size, interleaved round by round so drift and neighbours hit them alike. */
function renderRates(width: number, height: number, iterations: number, rounds: number): Record<RenderKind, RenderRate> {
  const addon = nativeTesting();
  const gbps: Record<RenderKind, number[]> = { memcpy: [], fill: [], blit: [], blend: [] };
  for (let r = 0; r < rounds; r++) {
    for (const kind of KINDS) {
      const { ns, bytes } = addon.benchRender(kind, width, height, iterations);
      gbps[kind].push(bytes / ns);
    }
  }
  const out = {} as Record<RenderKind, RenderRate>;
  for (const kind of KINDS) {
    const gb = median(gbps[kind]);
    out[kind] = { description: `${WHAT[kind]}, ${width}x${height}`, kind, width, height, iterations, rounds, mpixel_per_s: (gb * 1e3) / 4, gb_per_s: gb };
  }
  return out;
}

/** READ_MEM commands, `perCase` to a ring submission, each a synchronous readMemory callback. */
function readMemCases(total: number, perCase: number, bytes: number): BadCase[] {
  const gpa = RAM_BASE + RAM_SIZE - 4096; // a page the guest's allocator leaves alone
  const one = [commandHeader(Op.ReadMem, 7), 1, 0, 0, gpa >>> 0, Math.floor(gpa / 2 ** 32), bytes];
  const cases: BadCase[] = [];
  for (let left = total; left > 0; left -= perCase) {
    const n = Math.min(perCase, left);
    cases.push({ name: `read-mem-${cases.length}`, raw: Array.from({ length: n }, () => one).flat() });
  }
  return cases;
}

type GuestResult = { codes: Record<string, number>; after: { count: number } };

function checkCodes(result: GuestResult): void {
  const failed = Object.entries(result.codes).filter(([, code]) => code !== 0);
  if (failed.length > 0) throw new Error(`READ_MEM set a device error: ${failed.map(([n, c]) => `${n}=${c}`).join(', ')}`);
}

function callbackPath(engine: NativeEngine, description: string, reads: number, wallMs: number): CallbackPath {
  const s = engine.stats();
  return {
    description,
    callbacks: s.callbacks,
    p50_us: s.callbackP50Us,
    p99_us: s.callbackP99Us,
    wall_us_per_read: (wallMs * 1e3) / reads,
    read_mems: reads,
    host_unavailable: s.hostUnavailable,
  };
}

/** READ_MEMs through the test rig: its host is a main-thread event-loop pump. */
async function rigRoundTrip(reads: number): Promise<CallbackPath> {
  const rig = new EngineRig();
  try {
    // The `bad` script sets up a ring and context 1 (16 KiB mapped at va 0), then runs each case
    // on its own: submit, doorbell, wait until the ring is consumed, read ERROR_CODE.
    const t0 = performance.now();
    checkCodes(await runGuest<GuestResult>(rig, 'bad', readMemCases(reads, 500, 64)));
    const wallMs = performance.now() - t0;
    return callbackPath(
      rig.engine,
      'READ_MEM → readMemory: engine ring thread → device mailbox → host → reply slot → engine thread; host = the test rig’s ' +
        'main-thread event-loop pump (setImmediate while busy, setTimeout(0) ≈ 1 ms when it found nothing)',
      reads,
      wallMs,
    );
  } finally {
    await rig.stop();
  }
}

/**
 * The same READ_MEMs, the same wiring as EngineRig, but the host serves the device mailbox the
 * way an actor's pump does (actors/runtime/host.ts): spin 2000 checks, then park in the addon
 * futex, where the engine thread's enqueue wakes it. It serves in bursts on the main thread and
 * yields to the event loop between them, so the guest worker's messages still arrive.
 */
async function actorStyleRoundTrip(reads: number): Promise<CallbackPath> {
  const rig = new EngineRig({ poolThreads: 3, host: 'parking' });
  try {
    const t0 = performance.now();
    const result = await runGuest<GuestResult>(rig, 'bad', readMemCases(reads, 500, 64));
    const wallMs = performance.now() - t0;
    checkCodes(result);
    return callbackPath(
      rig.engine,
      'as callback_read_mem, the host serving like an actor’s pump: spin 2000 checks, then park in the addon futex ' +
        '(woken by the engine thread’s enqueue); on the main thread, in 20 ms bursts between event-loop turns',
      reads,
      wallMs,
    );
  } finally {
    await rig.stop();
  }
}

export async function runEngineBench(options: EngineBenchOptions): Promise<EngineBenchResult> {
  const step = options.progress ?? (() => undefined);
  // vulkan where it cannot run throws here, with the reason, before anything is measured.
  const resolved = resolveEngine(options.engine ?? 'soft');
  const it = (base: number) => Math.max(1, Math.round(base * options.scale));
  const rounds = Math.max(3, Math.min(7, Math.round(5 * options.scale)));
  const render: Record<string, RenderRate> = {};

  step('render 1920x1080');
  const hd = renderRates(1920, 1080, it(40), rounds);
  for (const kind of KINDS) render[`${kind}_1080p`] = hd[kind];
  step('render 3840x2160');
  const uhd = renderRates(3840, 2160, it(10), rounds);
  for (const kind of KINDS) render[`${kind}_2160p`] = uhd[kind];

  let stores: VulkanStoreRates | null = null;
  if (resolved.engine === 'vulkan') {
    stores = await vulkanStoreRates(
      [
        { name: '1080p', width: 1920, height: 1080, iterations: it(40) },
        { name: '2160p', width: 3840, height: 2160, iterations: it(10) },
      ],
      rounds,
      step,
    );
  }

  step('compositor damage copy');
  const copy = compositorCopyRates(options.scale, rounds);

  const reads = Math.max(200, Math.round(4000 * options.scale));
  const paths: Record<string, CallbackPath> = {};
  step('callback round trip (test rig host)');
  paths.callback_read_mem = await rigRoundTrip(reads);
  step('callback round trip (actor-style host)');
  paths.callback_read_mem_actor_host = await actorStyleRoundTrip(reads * 5);

  const gb = (name: string) => render[name]!.gb_per_s;
  return {
    suite: 'engine',
    machine: machineInfo(),
    render,
    paths,
    copy: copy.rates,
    ratio_native_copy_vs_set_damage: copy.ratios.ratio_native_copy_vs_set_damage!,
    ratio_native_copy_vs_set_1080p: copy.ratios.ratio_native_copy_vs_set_1080p!,
    ratio_blit_vs_memcpy: gb('blit_1080p') / gb('memcpy_1080p'),
    ratio_fill_vs_memcpy: gb('fill_1080p') / gb('memcpy_1080p'),
    ratio_blend_vs_memcpy: gb('blend_1080p') / gb('memcpy_1080p'),
    ratio_blit_vs_memcpy_2160p: gb('blit_2160p') / gb('memcpy_2160p'),
    ...(options.engine !== undefined && options.engine !== 'soft' ? { engine: options.engine } : {}),
    ...(resolved.why !== null ? { engine_fallback: resolved.why } : {}),
    ...(stores !== null ? { vulkan: { device: stores.device, stores: stores.stores }, ...stores.ratios } : {}),
    targets: {
      ratio_blit_vs_memcpy: '>= 0.5',
      ratio_fill_vs_memcpy: 'report (a fill only writes)',
      ratio_blend_vs_memcpy: 'report (per-pixel arithmetic)',
      ratio_blit_vs_memcpy_2160p: '>= 0.5',
      ratio_native_copy_vs_set_damage: 'report (the compositor copy before and after copyPixelRect)',
      ratio_native_copy_vs_set_1080p: 'report',
    },
  };
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** The suite's tables: render rates, callback round trip, ratios. */
export function engineTables(result: EngineBenchResult): string {
  const render = markdownTable(
    ['path', 'MPixel/s', 'GB/s', 'frames × rounds', 'what'],
    Object.entries(result.render).map(([name, r]) => [name, fmt(r.mpixel_per_s), fmt(r.gb_per_s), `${r.iterations} × ${r.rounds}`, r.description]),
  );
  const callbacks = markdownTable(
    ['path', 'p50 µs', 'p99 µs', 'wall µs/read', 'callbacks', 'what'],
    Object.entries(result.paths).map(([name, p]) => [name, fmt(p.p50_us), fmt(p.p99_us), fmt(p.wall_us_per_read), String(p.callbacks), p.description]),
  );
  const copy = markdownTable(
    ['path', 'GB/s', 'copies × rounds', 'what'],
    Object.entries(result.copy).map(([name, r]) => [name, fmt(r.gb_per_s), `${r.iterations} × ${r.rounds}`, r.description]),
  );
  const ratioNames = [
    'ratio_blit_vs_memcpy',
    'ratio_fill_vs_memcpy',
    'ratio_blend_vs_memcpy',
    'ratio_blit_vs_memcpy_2160p',
    'ratio_native_copy_vs_set_damage',
    'ratio_native_copy_vs_set_1080p',
  ] as const;
  const ratios = markdownTable(
    ['ratio', 'value', 'target'],
    ratioNames.map((k) => [k, fmt(result[k]), result.targets[k] ?? '']),
  );
  const vulkan = result.vulkan ? `\n\n${vulkanStoreTable(result.vulkan, (path) => result[`ratio_vulkan_vs_soft_${path}`])}` : '';
  const fallback = result.engine_fallback !== undefined ? `\n\n--engine ${result.engine}: nothing drawn on a GPU (${result.engine_fallback}).` : '';
  return `${render}${vulkan}\n\n${copy}\n\n${callbacks}\n\n${ratios}${fallback}`;
}
