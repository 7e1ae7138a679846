// `bench lanes`: what running task commands of independent contexts at once buys (issue 15).
// The engine script `lanes` (test/support/engine-scripts.ts: per round, a map into each of eight
// contexts, two errors, eight blits, eight unmaps, a fence) runs twice on the same engine set-up:
// as is, where each run of task commands is split into per-context lanes that run at once on the
// pool, and with a NOP after every task command, which makes every run one command long: the
// engine then makes its task callbacks one at a time, as it did before task lanes (the reference,
// measured in the same run). The stand-in host serves callbacks like an actor's pump (parking).
// Reported: wall time per round, the ratio lanes / one at a time, and the share of task-callback
// spans that overlapped one on another pool thread (0 for the reference).
import { TRACE_EVENTS } from '../../shared/trace/events.js';
import { TraceSetReader } from '../../shared/trace/reader.js';
import { createTraceSetBuffer } from '../../shared/trace/ring.js';
import { EngineRig } from '../../test/support/engine-rig.js';
import { runGuest } from '../../test/support/run-guest.js';
import { machineInfo, type MachineInfo } from '../machine.js';
import { markdownTable } from '../report.js';

export interface LanesRun {
  description: string;
  pool_threads: number;
  rounds: number;
  wall_us_per_round: number;
  /** Task-callback spans of the pool's threads, and the share that overlapped one on another pool thread. */
  task_callbacks: number;
  overlapping_share: number;
}

export interface LanesBenchResult {
  suite: 'lanes';
  machine: MachineInfo;
  runs: Record<string, LanesRun>;
  /** Wall time per round with lanes against one task command at a time (below 1: lanes are faster). */
  ratio_lanes_vs_serial_pool2: number;
  ratio_lanes_vs_serial_pool4: number;
  targets: Record<string, string>;
}

export interface LanesBenchOptions {
  scale: number;
  progress?: (path: string) => void;
}

const TASK_CALLBACKS = new Set<number>([
  TRACE_EVENTS.apple_gfx_create_task,
  TRACE_EVENTS.apple_gfx_destroy_task,
  TRACE_EVENTS.apple_gfx_map_memory,
  TRACE_EVENTS.apple_gfx_unmap_memory,
  TRACE_EVENTS.apple_gfx_read_memory,
]);

async function run(poolThreads: number, serial: boolean, rounds: number): Promise<LanesRun> {
  const set = createTraceSetBuffer(2 + poolThreads, 1 << 17);
  const rig = new EngineRig({ poolThreads, traceSet: set, host: 'parking' });
  let wallMs: number;
  try {
    const t0 = performance.now();
    await runGuest(rig, 'lanes', { rounds, serial });
    wallMs = performance.now() - t0;
  } finally {
    await rig.stop();
  }
  const spans = new TraceSetReader(set)
    .drain()
    .events.filter((e) => e.ring >= 2 && TASK_CALLBACKS.has(e.id))
    .sort((a, b) => a.ts - b.ts);
  const overlapping = new Set<number>();
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length && spans[j]!.ts < spans[i]!.ts + spans[i]!.dur; j++) {
      if (spans[j]!.ring !== spans[i]!.ring) overlapping.add(i).add(j);
    }
  }
  return {
    description: serial ? 'a NOP after every task command: one callback at a time (reference)' : 'runs of task commands in per-context lanes',
    pool_threads: poolThreads,
    rounds,
    wall_us_per_round: (wallMs * 1000) / rounds,
    task_callbacks: spans.length,
    overlapping_share: spans.length ? overlapping.size / spans.length : NaN,
  };
}

export async function runLanesBench(options: LanesBenchOptions): Promise<LanesBenchResult> {
  const step = options.progress ?? (() => undefined);
  const rounds = Math.max(20, Math.round(400 * options.scale));
  const runs: Record<string, LanesRun> = {};
  for (const pool of [2, 4]) {
    step(`serial_pool${pool}`);
    runs[`serial_pool${pool}`] = await run(pool, true, rounds);
    step(`lanes_pool${pool}`);
    runs[`lanes_pool${pool}`] = await run(pool, false, rounds);
  }
  const ratio = (pool: number) => runs[`lanes_pool${pool}`]!.wall_us_per_round / runs[`serial_pool${pool}`]!.wall_us_per_round;
  return {
    suite: 'lanes',
    machine: machineInfo(),
    runs,
    ratio_lanes_vs_serial_pool2: ratio(2),
    ratio_lanes_vs_serial_pool4: ratio(4),
    targets: {
      ratio_lanes_vs_serial_pool2: 'below 1 where the host answers faster than one callback at a time can use',
      ratio_lanes_vs_serial_pool4: 'the same; lower than pool 2 on a machine with cores to spare',
    },
  };
}

export function lanesTables(result: LanesBenchResult): string {
  const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
  const runs = markdownTable(
    ['run', 'pool threads', 'rounds', 'µs / round', 'task callbacks', 'overlapping', 'what'],
    Object.entries(result.runs).map(([k, r]) => [
      k,
      String(r.pool_threads),
      String(r.rounds),
      fmt(r.wall_us_per_round),
      String(r.task_callbacks),
      `${fmt(r.overlapping_share * 100)} %`,
      r.description,
    ]),
  );
  const ratios = markdownTable(
    ['ratio', 'value', 'target'],
    (['ratio_lanes_vs_serial_pool2', 'ratio_lanes_vs_serial_pool4'] as const).map((k) => [k, fmt(result[k], 3), result.targets[k] ?? '']),
  );
  return `${runs}\n\n${ratios}`;
}
