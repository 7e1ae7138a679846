// `npm run bench -- SUITE|all [--json] [--scale X] [--out FILE] [--report DIR]`: runs benchmark
// suites and prints their tables, or with --json one JSON object on stdout (use `npm run -s` to
// keep npm's banner out); --report (the default for `all`) also writes JSON, SVG charts and a
// Markdown report into a folder.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { joinNegativeValues } from '../cli/usage.js';
import { packageRoot } from '../shared/package-root.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { exitOnInterrupt } from './progress/interrupt.js';
import { createProgress } from './progress/progress.js';
import { defaultReportDir, prepareReportDir } from './report/dir.js';
import { allJson, writeReport } from './report/write.js';
import { latencyTable, markdownTable, ratioTable } from './report.js';
import { headlineSpreads, mergeRuns, referenceWarnings } from './repeat.js';
import { formatSpread } from './spread.js';
import { deviceTables, runDeviceBench } from './suites/device.js';
import { engineTables, runEngineBench } from './suites/engine.js';
import { runVulkanBench, vulkanBenchUnavailable, vulkanTables } from './suites/vulkan.js';
import { ENGINE_CHOICES, VulkanUnavailableError, resolveEngine, type EngineChoice } from '../vmm/engine-backend.js';
import { framesTables, runFramesBench } from './suites/frames.js';
import { kvmBenchUnavailable, kvmTables, runKvmBench } from './suites/kvm.js';
import { lanesTables, runLanesBench } from './suites/lanes.js';
import { pacingTables, runPacingBench } from './suites/pacing.js';
import { PROFILES, type Profile } from '../vmm/config.js';
import { inputTables, runInputBench } from './suites/input.js';
import { lifecycleTables, runLifecycleBench } from './suites/lifecycle.js';
import { runSnapshotBench, snapshotTables } from './suites/snapshot.js';
import { preemptTables, runPreemptBench } from './suites/preempt.js';
import { runScalingBench, scalingTables } from './suites/scaling.js';
import { runMailboxBench, type MailboxBenchResult } from './suites/mailbox.js';

interface SuiteOptions {
  scale: number;
  /** Runs per measured point, reported as median (min–max). */
  repeat: number;
  /** Device counts (scaling). */
  devices?: number[];
  /** scaling: VmOptions.compositorShards of the actor runs (capped at each device count). */
  compositorShards?: number;
  /** frames and scaling: the profiles to measure (VmOptions.profile; frames: both by default, scaling: native). */
  profiles?: Profile[];
  /** frames and engine: the engine backend (VmOptions.engine, docs/vulkan.md; default soft; vulkan: soft measured beside it). */
  engine?: EngineChoice;
  progress?: (path: string) => void;
  /** A measured point's figures, printed at once (scaling: one line per device count). */
  finding?: (line: string) => void;
}

/** A suite: how to run it, its own tables for the human-readable form, how many paths it reports. */
interface SuiteEntry<R extends { machine: MachineInfo }> {
  run(options: SuiteOptions): Promise<R>;
  tables(result: R): string;
  /** Calls to `progress` in one run (sizes the progress bar; a wrong guess only makes it grow). */
  steps?: number;
  /** Why the suite cannot run on this machine (null: it can); `all` skips it, naming it alone fails. */
  unavailable?: () => string | null;
  /** The suite repeats its own points (--repeat goes to it); otherwise the CLI runs it --repeat times and merges. */
  repeatsItself?: boolean;
  /** Dotted paths (or `prefix.*`) of the references the suite's ratios are taken against. */
  references?: string[];
}

/** Checks that a suite's runner and tables agree, then forgets the result type for the table below. */
function suite<R extends { machine: MachineInfo }>(entry: SuiteEntry<R>): SuiteEntry<{ machine: MachineInfo }> {
  return entry;
}

function mailboxTables(result: MailboxBenchResult): string {
  const { ratio_hot_vs_spin, ratio_parked_vs_futex, ratio_comlink_vs_hot } = result;
  return `${latencyTable(result.paths)}\n\n${ratioTable({ ratio_hot_vs_spin, ratio_parked_vs_futex, ratio_comlink_vs_hot }, result.targets)}`;
}

const SUITE_TABLE = {
  mailbox: suite({ run: runMailboxBench, tables: mailboxTables, steps: 9, references: ['paths.spin.p50_us', 'paths.futex.p50_us'] }),
  engine: suite({
    run: runEngineBench,
    tables: engineTables,
    steps: 5,
    references: ['render.memcpy_1080p.gb_per_s', 'render.memcpy_2160p.gb_per_s', 'copy.set_damage.gb_per_s', 'copy.set_1080p.gb_per_s'],
  }),
  device: suite({ run: runDeviceBench, tables: deviceTables, steps: 7, references: ['paths.spin.p50_us'] }),
  frames: suite({ run: runFramesBench, tables: framesTables, steps: 12, references: ['memcpy_fps.*'] }),
  scaling: suite({ run: runScalingBench, tables: scalingTables, steps: 54, repeatsItself: true }),
  kvm: suite({ run: runKvmBench, tables: kvmTables, steps: 7, unavailable: kvmBenchUnavailable, references: ['paths.raw_exit.p50_us'] }),
  preempt: suite({
    run: runPreemptBench,
    tables: preemptTables,
    steps: 5,
    references: ['paths.read_idle.p50_us', 'paths.reset_idle.p50_us', 'paths.vm_stop_idle.p50_us', 'paths.exit_idle.p50_us'],
  }),
  lanes: suite({ run: runLanesBench, tables: lanesTables, steps: 4 }),
  vulkan: suite({
    run: runVulkanBench,
    tables: vulkanTables,
    steps: 2,
    unavailable: vulkanBenchUnavailable,
    references: ['gb_per_s.1080p.copy_device', 'gb_per_s.1080p.copy_to_host'],
  }),
  pacing: suite({ run: runPacingBench, tables: pacingTables, steps: 3 }),
  lifecycle: suite({ run: runLifecycleBench, tables: lifecycleTables, steps: 3, references: ['paths.stats_load.p50_us', 'paths.pause_idle.p50_us'] }),
  input: suite({ run: runInputBench, tables: inputTables, steps: 2 }),
  snapshot: suite({
    run: runSnapshotBench,
    tables: snapshotTables,
    steps: 2,
    references: ['contents.dense.write_ms', 'contents.dense.read_ms', 'contents.mixed.write_ms', 'contents.mixed.read_ms'],
  }),
};

/** Runs a suite --repeat times (unless it repeats its own points) and merges the runs: medians, with spreads and warnings. */
async function runRepeated(entry: SuiteEntry<{ machine: MachineInfo }>, options: SuiteOptions): Promise<{ machine: MachineInfo }> {
  if (entry.repeatsItself || options.repeat === 1) return entry.run(options);
  const runs: { machine: MachineInfo }[] = [];
  for (let i = 0; i < options.repeat; i++) runs.push(await entry.run(options));
  const { merged, spreads } = mergeRuns(runs);
  const warnings = referenceWarnings(spreads, entry.references ?? []);
  for (const w of warnings) console.error(`bench: warning: ${w}`);
  const repeated: { machine: MachineInfo } & Record<string, unknown> = { ...merged, repeat: options.repeat, spreads, warnings };
  return repeated;
}

/** The repeated figures' table (every ratio and reference, median (min–max)) and the warnings. */
function repeatTables(result: object, references: readonly string[]): string {
  const r = result as { repeat?: number; spreads?: Parameters<typeof headlineSpreads>[0]; warnings?: string[] };
  if (r.repeat === undefined || r.spreads === undefined) return '';
  const rows = headlineSpreads(r.spreads, references).map(([path, s]) => [path, formatSpread(s, s.median >= 100 ? 0 : 2)]);
  const warnings = (r.warnings ?? []).map((w) => `\n\n**Warning:** ${w}`).join('');
  return `\n\nMedians of ${r.repeat} runs (every figure above is a median; min–max here):\n\n${markdownTable(['figure', 'median (min–max)'], rows)}${warnings}`;
}
type Suite = keyof typeof SUITE_TABLE;
const SUITES = Object.keys(SUITE_TABLE) as Suite[];

// The command as the user typed it: cli/main.ts runs this module with argv[1] set to 'bench'.
const COMMAND = process.argv[1] === 'bench' ? 'pvg-vmm bench' : 'npm run bench --';

const HELP = `usage: ${COMMAND} SUITE|all [options]

suites:
  mailbox   round-trip latency: spin reference, mailbox hot and parked, futex reference,
            JS→native→JS, native→JS→native, postMessage, comlink
  engine    CPU renderer fill/blit/blend rates against memcpy at 1920x1080 and 3840x2160;
            the compositor's damage copy on shared memory, native.copyPixelRect against
            TypedArray.set per row; callback round trip engine thread → device actor → engine
            thread (p50/p99); with --engine vulkan also fill/blit/blend through the vulkan store
            and the soft store in the same run, and their ratio
  device    MMIO read round trip from an external vCPU against spin ping-pong; posted against
            synchronous write throughput; interrupt raise → guest handler (PCI MSI); map/unmap
            cost in the task space at 1k and 100k mappings against the list-based reference
  frames    end-to-end frames/s (guest present → frame kept by the compositor) at 1920x1080 and
            3840x2160 with no client and with a VNC client, against one memcpy of the frame;
            1% against 100% damage; VNC bytes per frame; per-frame latency present → kept and
            present → VNC client (band 1%), p50/p99; with --engine vulkan every case on soft too,
            in the same run, and the ratio of kept frames/s vulkan ÷ soft per case
  scaling   1, 2, 4, 8, 12 and 16 devices, each with its own vCPU and display, in two
            threading models: actor, and qemu (the model of QEMU's big lock as upstream
            apple-gfx takes it, docs/threading-models.md): frames/s and the actor/qemu ratio,
            per-frame latency p50/p99 (new frame → shown) under both, BQL contention, wait and
            hold per frame, efficiency fps(N) / (N × fps(1)), CPU time per frame (every thread,
            spinning included), CPU by thread role with the busiest thread's share of a core,
            median (min–max) of --repeat runs; every run: 1 s warm-up, then 1 s measured
            (times --scale) with the guests drawing without end (needs cores: run it on a
            16-core machine)
  kvm       the KVM vCPU backend (Linux, /dev/kvm): MMIO read round trip from the machine-code
            guest through the device and back (per read, from the guest's marks) and without
            the device (unassigned space), against the bare KVM exit round trip to user space
            measured in the same run (a tiny guest reading a do-nothing MMIO address, answered
            in C++); interrupt delivery → guest handler with the vCPU halted between deliveries;
            fullframe frames/s on KVM against the TypeScript guest at 1920x1080 and 640x480.
            Where KVM cannot be used it says why and exits 1 (all skips it)
  preempt   one ring of valid, expensive work (1 MiB of full-frame source-over BLITs at
            1920x1080) and everyone else: an ID read from another vCPU while it runs and right
            behind a RESET, RESET and RING_CONTROL=0 → carried out, vm.stop() and process.exit()
            with it under way, each against the same with the device idle, measured in the same
            run; RESET and vm.stop() at 8192x8192 too (docs/hardening.md, finding 14)
  vulkan    the vulkan engine backend's store on the GPU the loader finds (docs/vulkan.md):
            whole-frame fill, blit, source-over blit and readback at 1080p and 2160p, GB/s,
            and the blit as 256x256 tiles, against a plain device-local copy and a plain
            device → host copy (alone, and read by the CPU after) on the same device, and the
            soft store's same operations, measured in the same run; the readback and staging
            buffers' memory types. Where Vulkan cannot run it says why and exits 1 (all skips it)
  lanes     runs of task commands over eight contexts with the engine's per-context lanes
            (task callbacks from several pool threads at once) against the same commands with a
            NOP after each (one callback at a time, as before lanes), pool of 2 and 4 threads:
            µs per round, the ratio, the share of task-callback spans that overlapped
  pacing    refresh pacing (--pacing refresh): presents/s of a paced display at 30, 60 and
            120 Hz over 10 s (at --scale 1) against the mode's refresh rate
  lifecycle vm.pause() request → quiescent (every vCPU at a step boundary, nothing in flight),
            p50/p99 idle and with 2 devices drawing 720p frames, the vCPUs' share of it, and
            vm.reset() under the same load, against vm.stats() (a round trip to every actor)
            under the same load, measured in the same run (docs/lifecycle.md)
  input     input-to-photon: a VNC PointerEvent sent → the client's update showing the moved
            cursor (painted in) or the pen's dab, with the paint workload at 1920x1080@60,
            p50/p99 against the mode's frame interval (16.7 ms; goal p99 ≤ 1 frame, docs/input.md);
            the input devices on virtio-mmio, then virtio-pci with MSI-X, then with INTx
  snapshot  vm.saveSnapshot() and Vm.restore() of a VM with 1 GiB of RAM (dense and mixed
            contents) against writing and reading the same RAM bytes raw to the same directory
            in the same run: ratio_save_vs_write, ratio_restore_vs_read, the downtime a save
            holds the machine for (docs/snapshots.md)
  all       every suite; writes a report (see --report) into
            bench/results/<machine>-<YYYY-MM-DD>/ unless --no-report

options:
  --json         print one JSON object on stdout instead of tables (and no progress)
  --scale X      multiply iteration counts (default 1; 0.1 for a quick look)
  --repeat N     runs per measured point, median (min–max) reported (default 3): scaling
                 repeats each point itself, interleaving the models; every other suite is run
                 N times and each figure is the median of its runs (ratios are taken within
                 each run first); a reference (spin, futex, memcpy, bare exit, idle path) whose
                 max is over 2× its min is reported as a warning
  --devices LIST scaling's device counts, comma-separated (default 1,2,4,8,12,16)
  --compositor-shards N
                 scaling only: compositor shards of the actor runs (VmOptions.compositorShards,
                 capped at each device count; default: the VM's default for the device count
                 and this machine's cores, docs/scaling.md)
  --profile P    native | pvg (VmOptions.profile, docs/fidelity.md): frames measures both side by
                 side unless one is named; scaling measures native unless pvg is named (paced
                 to 60 Hz per device, a 5 s window at --scale 1)
  --engine E     frames and engine only: soft | vulkan | auto (VmOptions.engine, docs/vulkan.md;
                 default soft). vulkan (or auto where Vulkan can run) measures each case on
                 vulkan and on soft in the same run, with ratio_vulkan_vs_soft_* per case; where
                 Vulkan cannot run, vulkan is refused with the reason and auto measures soft alone
  --out FILE     also write the JSON result to FILE
  --report DIR   also write a report into DIR (created if missing; files in it are replaced):
                 <suite>.json per suite, all.json, report.md (the machine, every suite's
                 tables) and SVG charts: latency percentiles per path, frames/s by resolution,
                 actor vs qemu frames/s and p99 frame latency by number of devices
  --no-report    with all: write no report
  -h, --help     this text

Progress goes to stderr: a bar on a terminal, one line per measured path otherwise.
Ctrl-C stops the run (exit status 130) once the measurement under way yields.`;

function fail(message: string): never {
  console.error(`bench: ${message}\n\n${HELP}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(process.argv.slice(2)),
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        scale: { type: 'string', default: '1' },
        repeat: { type: 'string', default: '3' },
        devices: { type: 'string' },
        'compositor-shards': { type: 'string' },
        profile: { type: 'string' },
        engine: { type: 'string' },
        out: { type: 'string' },
        report: { type: 'string' },
        'no-report': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (positionals.length !== 1) fail('name exactly one suite (or all)');
  const name = positionals[0]!;
  if (name !== 'all' && !SUITES.includes(name as Suite)) fail(`unknown suite "${name}"`);
  const scale = Number(values.scale);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 100) fail(`--scale must be a number in (0, 100], got "${values.scale}"`);
  if (values.report !== undefined && values['no-report']) fail('--report and --no-report: choose one');
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) fail(`--repeat must be an integer from 1 to 100, got "${values.repeat}"`);
  let devices: number[] | undefined;
  if (values.devices !== undefined) {
    devices = values.devices.split(',').map(Number);
    if (devices.some((d) => !Number.isInteger(d) || d < 1 || d > 64)) fail(`--devices must list integers from 1 to 64, got "${values.devices}"`);
  }
  let compositorShards: number | undefined;
  if (values['compositor-shards'] !== undefined) {
    compositorShards = Number(values['compositor-shards']);
    if (!Number.isInteger(compositorShards) || compositorShards < 1 || compositorShards > 16)
      fail(`--compositor-shards must be an integer from 1 to 16, got "${values['compositor-shards']}"`);
    if (name !== 'scaling') fail('--compositor-shards applies to the scaling suite only');
  }
  let profiles: Profile[] | undefined;
  if (values.profile !== undefined) {
    if (!PROFILES.includes(values.profile as Profile)) fail(`--profile must be ${PROFILES.join(' or ')}, got "${values.profile}"`);
    profiles = [values.profile as Profile];
  }
  let engine: EngineChoice | undefined;
  if (values.engine !== undefined) {
    if (!ENGINE_CHOICES.includes(values.engine as EngineChoice)) fail(`--engine must be ${ENGINE_CHOICES.join(', ')}, got "${values.engine}"`);
    if (name !== 'frames' && name !== 'engine') fail('--engine applies to the frames and engine suites only (docs/vulkan.md)');
    engine = values.engine as EngineChoice;
    // Refused before anything runs, as an unavailable suite is (status 1, the reason).
    try {
      const why = resolveEngine(engine).why;
      if (why !== null) console.error(`bench: --engine ${engine}: measuring the soft backend alone (${why})`);
    } catch (err) {
      if (!(err instanceof VulkanUnavailableError)) throw err;
      console.error(`bench: cannot run ${name}: ${err.message}`);
      process.exit(1);
    }
  }
  let suites: Suite[] = name === 'all' ? [...SUITES] : [name as Suite];
  // Suites this machine cannot run: named alone, the run fails with the reason; under all, skipped.
  const skipped: Partial<Record<Suite, string>> = {};
  for (const s of suites) {
    const why = SUITE_TABLE[s].unavailable?.() ?? null;
    if (why === null) continue;
    if (name !== 'all') {
      console.error(`bench: cannot run ${s}: ${why}`);
      process.exit(1);
    }
    skipped[s] = why;
    console.error(`bench: skipping ${s}: ${why}`);
  }
  suites = suites.filter((s) => skipped[s] === undefined);

  // Checked (and created) before the run, not after it.
  const reportDir = values.report ?? (name === 'all' && !values['no-report'] ? defaultReportDir(packageRoot, machineInfo(), new Date()) : undefined);
  if (reportDir !== undefined) {
    const problem = prepareReportDir(reportDir);
    if (problem) fail(problem);
  }

  const progress = createProgress({ quiet: values.json, stream: process.stderr });
  // Left installed to the end: a Ctrl-C that lands while the last suite finishes still exits 130.
  exitOnInterrupt({ cleanup: () => progress.stop() });
  const results: Record<string, { machine: MachineInfo }> = {};
  const tables: Record<string, string> = {};
  try {
    for (const [i, suiteName] of suites.entries()) {
      const entry = SUITE_TABLE[suiteName];
      const runs = entry.repeatsItself ? 1 : repeat;
      progress.suiteStart(suiteName, i, suites.length, entry.steps === undefined ? undefined : entry.steps * runs);
      const result = await runRepeated(entry, {
        scale,
        repeat,
        devices,
        ...(compositorShards !== undefined ? { compositorShards } : {}),
        ...(profiles ? { profiles } : {}),
        ...(engine ? { engine } : {}),
        progress: (path) => progress.step(path),
        finding: (line) => progress.finding(line),
      });
      progress.suiteEnd();
      results[suiteName] = result;
      if (!values.json || reportDir !== undefined) tables[suiteName] = entry.tables(result) + repeatTables(result, entry.references ?? []);
      if (!values.json) {
        const m = result.machine;
        console.log(`\n## ${suiteName} — ${m.cpus} × ${m.cpu_model}, Node ${m.node}\n`);
        console.log(tables[suiteName]);
      }
    }
  } finally {
    progress.stop();
  }
  // Skipped suites stay visible in the JSON and the report, with the reason.
  for (const [s, why] of Object.entries(skipped)) {
    results[s] = { suite: s, machine: machineInfo(), skipped: why } as { machine: MachineInfo };
    tables[s] = `skipped: ${why}`;
  }

  const machine = machineInfo();
  const json = name !== 'all' ? results[suites[0]!] : allJson({ machine, results });
  if (values.json) console.log(JSON.stringify(json));
  if (values.out) writeFileSync(values.out, `${JSON.stringify(json, null, 2)}\n`);
  if (reportDir !== undefined) {
    const command = `${COMMAND} ${process.argv
      .slice(2)
      .map((a) => (/^[\w./=:,-]+$/.test(a) ? a : JSON.stringify(a)))
      .join(' ')}`;
    const files = writeReport(reportDir, { machine, results, tables, command });
    console.error(`report written to ${reportDir}/ (${files.length} files; open report.md)`);
  }
  // A path a suite could not measure fails the run (after everything else was written).
  const failures = Object.entries(results).flatMap(([s, r]) => ((r as { failures?: string[] }).failures ?? []).map((f) => `${s}: ${f}`));
  for (const f of failures) console.error(`bench: not measured: ${f}`);
  if (failures.length > 0) process.exitCode = 1;
  // A Ctrl-C pressed during the last synchronous stretch waits in libuv's signal pipe; without a
  // poll of the event loop that may block (a timer: setImmediate is not enough) the process would
  // exit 0 without seeing it.
  await new Promise((resolve) => setTimeout(resolve, 20));
}

await main();
