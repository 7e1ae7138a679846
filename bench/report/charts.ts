// Which charts a suite's result gets, read from the result's shape (so a suite added later with
// the same fields gets them too): percentile bars for latency paths, frames/s by resolution for
// `frames`, actor against qemu-model frames/s and per-frame latency by device count for `scaling`.
import type { MachineInfo } from '../machine.js';
import { renderBarChart, type BarChartSpec } from './bar-chart.js';
import { machineLine } from './machine.js';
import { fmtValue } from './number-format.js';

export interface Chart {
  /** File name inside the report folder. */
  file: string;
  /** What it shows, for the Markdown image's alt text. */
  alt: string;
  svg: string;
}

/** A figure as a plain number, or as the median of repeated runs. */
type Figure = number | { median: number; min: number; max: number };

/** The `scaling` suite's result, as far as its charts read it. */
export interface ScalingResultShape {
  suite: 'scaling';
  points: {
    devices: number;
    actor_fps: Figure;
    qemu_fps: Figure;
    ratio: number;
    efficiency?: number;
    actor_latency_p99_us?: Figure;
    qemu_latency_p99_us?: Figure;
  }[];
  ratio_actor_vs_qemu_8: number;
  machine: MachineInfo;
}

type Rec = Record<string, unknown>;
const isRec = (x: unknown): x is Rec => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown): number => (typeof x === 'number' ? x : NaN);
/** A plain number, or a repeated figure's median. */
const figure = (x: unknown): number => (isRec(x) ? num(x.median) : num(x));

function subtitle(result: Rec, fallback?: MachineInfo): string | undefined {
  const m = isRec(result.machine) ? (result.machine as unknown as MachineInfo) : fallback;
  return m ? machineLine(m) : undefined;
}

const PERCENTILES = [
  { name: 'p50', key: 'p50_us' },
  { name: 'p99', key: 'p99_us' },
  { name: 'p99.9', key: 'p999_us' },
] as const;

const LATENCY_TITLES: Record<string, string> = {
  mailbox: 'mailbox: round-trip latency by path',
  device: 'device: MMIO, config-space and interrupt latency',
  engine: 'engine: callback round trip, engine thread → host → engine thread',
  preempt: 'preempt: reads, RESET, stop and exit with a busy ring, against the same idle',
  lifecycle: 'lifecycle: vm.pause() request → quiescent and vm.reset(), idle and under load, against vm.stats()',
  input: 'input: VNC PointerEvent sent → the update showing the cursor moved or the pen drawn, 1080p60',
};

/** p50/p99/p99.9 per path of `result.paths` (percentiles no path has are left out); null without paths. */
export function latencyChart(name: string, result: unknown, machine?: MachineInfo): BarChartSpec | null {
  if (!isRec(result) || !isRec(result.paths)) return null;
  const paths = Object.entries(result.paths).filter((e): e is [string, Rec] => isRec(e[1]) && typeof e[1].p50_us === 'number');
  if (paths.length === 0) return null;
  const series = PERCENTILES.filter((p) => paths.some(([, s]) => typeof s[p.key] === 'number')).map((p) => ({
    name: p.name,
    values: paths.map(([, s]) => num(s[p.key])),
    ranges: paths.map(([path]) => repeatRange(result, `paths.${path}.${p.key}`)),
  }));
  return {
    title: LATENCY_TITLES[name] ?? `${name}: latency by path`,
    subtitle: subtitle(result, machine),
    categories: paths.map(([path]) => path),
    series,
    scale: 'log',
    axisLabel: 'latency, µs',
    note: repeatNote(result, 'Percentiles of each path measured in this run; the table has n, max and CPU per operation.'),
  };
}

/** frames/s per resolution: the memcpy reference, the present pipeline, the band workload at 100% and 1%. */
export function framesChart(result: unknown, machine?: MachineInfo): BarChartSpec | null {
  if (!isRec(result) || result.suite !== 'frames' || !isRec(result.memcpy_fps) || !isRec(result.runs)) return null;
  const runs = result.runs;
  const memcpy = result.memcpy_fps;
  const resolutions = Object.keys(memcpy);
  const fps = (key: string) => (isRec(runs[key]) ? num(runs[key].fps) : NaN);
  const label = (res: string) => {
    const run = Object.entries(runs).find(([k, r]) => k.startsWith(`${res}_`) && isRec(r));
    const r = run?.[1] as Rec | undefined;
    return r && typeof r.width === 'number' && typeof r.height === 'number' ? `${res} (${r.width}x${r.height})` : res;
  };
  return {
    title: 'frames: frames/s kept by the compositor, no client',
    subtitle: subtitle(result, machine),
    categories: resolutions.map(label),
    series: [
      { name: 'memcpy reference', values: resolutions.map((r) => num(memcpy[r])), ranges: resolutions.map((r) => repeatRange(result, `memcpy_fps.${r}`)) },
      ...(
        [
          ['present pipeline', 'present_null'],
          ['band, 100% redrawn', 'null_100'],
          ['band, 1% redrawn', 'null_1'],
        ] as const
      ).map(([name, run]) => ({
        name,
        values: resolutions.map((r) => fps(`${r}_${run}`)),
        ranges: resolutions.map((r) => repeatRange(result, `runs.${r}_${run}.fps`)),
      })),
    ],
    scale: 'log',
    axisLabel: 'frames/s',
    note: 'memcpy reference: one native memcpy of the frame per frame. present: whole frames, nothing redrawn. band: the guest draws.',
  };
}

/**
 * Per-frame latency of the runs that measured present → VNC client (bench frames, band 1% with a
 * client): present → kept and present → VNC client, p50 and p99, side by side; null without them.
 */
export function framesLatencyChart(result: unknown, machine?: MachineInfo): BarChartSpec | null {
  if (!isRec(result) || result.suite !== 'frames' || !isRec(result.runs)) return null;
  const runs = Object.entries(result.runs).filter((e): e is [string, Rec] => isRec(e[1]) && e[1].vnc_latency_samples !== undefined);
  if (runs.length === 0) return null;
  const ms = (r: Rec, key: string) => figure(r[key]) / 1000;
  const label = (name: string, r: Rec) => `${name.startsWith('pvg_') ? 'pvg' : 'native'} ${String(r.width)}x${String(r.height)} ${String(r.sink).slice(4)}`;
  return {
    title: 'frames: per-frame latency, present → kept and present → VNC client (band 1%)',
    subtitle: subtitle(result, machine),
    categories: runs.map(([name, r]) => label(name, r)),
    series: [
      { name: 'present → kept p50', values: runs.map(([, r]) => ms(r, 'latency_p50_us')) },
      { name: 'present → kept p99', values: runs.map(([, r]) => ms(r, 'latency_p99_us')) },
      { name: 'present → VNC client p50', values: runs.map(([, r]) => ms(r, 'vnc_latency_p50_us')) },
      { name: 'present → VNC client p99', values: runs.map(([, r]) => ms(r, 'vnc_latency_p99_us')) },
    ],
    scale: 'log',
    axisLabel: 'ms',
    note: 'Both from the device actor taking the new frame; kept: in the compositor frame store; VNC client: the last byte of the update showing it at the bench client (native: ZRLE, pvg: Raw). One sample per update; docs/fidelity.md.',
  };
}

/** The min–max of a figure over --repeat runs (bench/repeat.ts), or null for a single run. */
function repeatRange(result: Rec, path: string): [number, number] | null {
  const s = isRec(result.spreads) ? result.spreads[path] : undefined;
  return isRec(s) && typeof s.min === 'number' && typeof s.max === 'number' ? [s.min, s.max] : null;
}

function repeatNote(result: Rec, single: string): string {
  return typeof result.repeat === 'number' ? `Medians of ${result.repeat} runs, whiskers from min to max; the table has n, max and CPU per operation.` : single;
}

/** Actor against the qemu model (QEMU's big lock) frames/s by number of devices; null unless it is a scaling result. */
export function scalingChart(result: unknown, machine?: MachineInfo): BarChartSpec | null {
  if (!isRec(result) || result.suite !== 'scaling' || !Array.isArray(result.points)) return null;
  const points = result.points.filter(isRec).sort((a, b) => num(a.devices) - num(b.devices));
  const ratio8 = num(result.ratio_actor_vs_qemu_8);
  return {
    title: "scaling: frames/s, actors against the model of QEMU's big lock (qemu)",
    subtitle: subtitle(result, machine),
    categories: points.map((p) => `${p.devices} device${p.devices === 1 ? '' : 's'} (actor/qemu ${fmtValue(num(p.ratio))})`),
    series: [
      { name: 'actors', values: points.map((p) => figure(p.actor_fps)) },
      { name: 'QEMU big lock (qemu)', values: points.map((p) => figure(p.qemu_fps)) },
    ],
    scale: 'linear',
    axisLabel: 'frames/s',
    note: `actor/qemu at 8 devices: ${fmtValue(ratio8)}${Number.isFinite(ratio8) ? '×' : ''}`,
  };
}

/** p99 per-frame latency (new frame → shown) by device count, actor against qemu; null without latencies. */
export function frameLatencyChart(result: unknown, machine?: MachineInfo): BarChartSpec | null {
  if (!isRec(result) || result.suite !== 'scaling' || !Array.isArray(result.points)) return null;
  const points = result.points
    .filter(isRec)
    .filter((p) => p.actor_latency_p99_us !== undefined && p.qemu_latency_p99_us !== undefined)
    .sort((a, b) => num(a.devices) - num(b.devices));
  if (points.length === 0) return null;
  return {
    title: 'scaling: per-frame latency p99, new frame → shown',
    subtitle: subtitle(result, machine),
    categories: points.map((p) => `${p.devices} device${p.devices === 1 ? '' : 's'}`),
    series: [
      { name: 'actors', values: points.map((p) => figure(p.actor_latency_p99_us) / 1000) },
      { name: 'QEMU big lock (qemu)', values: points.map((p) => figure(p.qemu_latency_p99_us) / 1000) },
    ],
    scale: 'linear',
    axisLabel: 'ms',
    note: 'Medians over the runs of each run’s p99. qemu shows a frame on its 30 ms console refresh (GUI_REFRESH_INTERVAL_DEFAULT).',
  };
}

/** Scaling efficiency fps(N) / (N × fps(1)) by device count, beside the ideal (1); null without efficiencies. */
export function efficiencyChart(result: unknown, machine?: MachineInfo): BarChartSpec | null {
  if (!isRec(result) || result.suite !== 'scaling' || !Array.isArray(result.points)) return null;
  const points = result.points
    .filter(isRec)
    .filter((p) => typeof p.efficiency === 'number')
    .sort((a, b) => num(a.devices) - num(b.devices));
  if (points.length === 0) return null;
  return {
    title: 'scaling: efficiency against the ideal, actors',
    subtitle: subtitle(result, machine),
    categories: points.map((p) => `${p.devices} device${p.devices === 1 ? '' : 's'}`),
    series: [
      { name: 'measured: fps(N) / (N × fps(1))', values: points.map((p) => num(p.efficiency)) },
      // The machine's own efficiency at N threads (bench/parallel-reference.ts), where the result has it.
      ...(points.every((p) => isRec(p.machine_efficiency))
        ? [{ name: 'machine: N threads of a frame copy', values: points.map((p) => num((p.machine_efficiency as Rec).copy)) }]
        : []),
      { name: 'ideal', values: points.map(() => 1) },
    ],
    scale: 'linear',
    axisLabel: 'efficiency',
    note: 'Medians of the repeated runs; 1 is perfect scaling, 0.75 at 8 devices is 6× one device. The machine series: N threads copying a 640x480 frame, no VMM, against one.',
  };
}

/** Every chart for one suite's result, rendered; none for a result with nothing to draw. */
export function suiteCharts(name: string, result: unknown, machine?: MachineInfo): Chart[] {
  const charts: Chart[] = [];
  const add = (file: string, spec: BarChartSpec | null) => {
    if (spec) charts.push({ file, alt: spec.title, svg: renderBarChart(spec) });
  };
  add(`${name}-latency.svg`, latencyChart(name, result, machine));
  add(`${name}-fps.svg`, framesChart(result, machine));
  add(`${name}-present-latency.svg`, framesLatencyChart(result, machine));
  add(`${name}-devices.svg`, scalingChart(result, machine));
  add(`${name}-efficiency.svg`, efficiencyChart(result, machine));
  add(`${name}-frame-latency.svg`, frameLatencyChart(result, machine));
  return charts;
}
