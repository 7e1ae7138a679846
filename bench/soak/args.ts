// The soak's command line: options, their checks (a bad value is a UsageError naming the flag)
// and the help text.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { WORKLOAD_NAMES } from '../../guest/ts/workloads/index.js';
import { CpuUnavailableError, resolveCpu, type CpuBackendName } from '../../actors/vcpu/kvm/availability.js';
import { KVM_WORKLOADS } from '../../actors/vcpu/kvm/machine.js';
import { DEFAULT_MODES, parseMode, VmConfigError } from '../../vmm/config.js';
import { DEFAULT_BOUNDS, type GrowthBounds } from './analyze.js';
import type { SoakOptions } from './run.js';

const DEFAULT_WORKLOADS = ['desktop', 'mapchurn', 'modestorm', 'band', 'hostile'];
/** The machine-code guest's workloads (--cpu kvm). */
const KVM_DEFAULT_WORKLOADS = Object.keys(KVM_WORKLOADS);
/** The VM's own default modes, so the soak runs what pvg-vmm run runs. */
const MODES = DEFAULT_MODES;

export const SOAK_HELP = `usage: npm run soak -- [options]

Boots one VM (by default two apple-gfx devices, one MMIO and one PCI, each driven by its own
vCPU) and runs mixed workloads on it back to back: each round runs one workload on every device,
in turn ${DEFAULT_WORKLOADS.join(', ')} (mapchurn churns mappings,
modestorm changes modes; every round starts from a reset device, every cycle in another mode).
Every K frames it lets the frames settle, runs a gc (when node runs with --expose-gc, as npm run
soak does), makes every actor's worker collect its garbage (see --no-worker-gc) and samples the
process's memory: RSS, the main thread's JS heap, external and ArrayBuffer memory, and the C
heap (glibc mallinfo2). At the end it reports how much each grew after the warm-up and a
verdict.

options:
  --frames N          guest frames in total, summed over the devices (default 5000)
  --every K           sample every K frames (default: about frames / 40, rounded to whole
                      cycles of the workload list, so every sample follows the same workload)
  --warmup PCT        the first PCT percent of the frames are warm-up, not measured (default 15)
  --devices D         apple-gfx devices, alternately mmio and pci (default 2, at most 8)
  --chunk C           frames per device per round (default 100)
  --workloads LIST    comma-separated workloads (default ${DEFAULT_WORKLOADS.join(',')}; with
                      --cpu kvm ${KVM_DEFAULT_WORKLOADS.join(',')}, the machine-code guest's)
  --cpu ts|kvm        the vCPUs: the TypeScript guest (default) or the machine-code guest on KVM
                      vCPUs (docs/kvm.md; refused with the reason where KVM cannot run it)
  --modes LIST        comma-separated WxH@R display modes (default ${MODES.join(',')})
  --max-growth-mib M  growth after warm-up that is not flat, MiB (default ${DEFAULT_BOUNDS.maxGrowthBytes / 2 ** 20})
  --max-growth-pct P  … or percent of the baseline, unless under ${DEFAULT_BOUNDS.noiseFloorBytes / 2 ** 20} MiB (default ${DEFAULT_BOUNDS.maxGrowthPercent})
  --no-worker-gc      before each sample, do not force a garbage collection in every actor's
                      worker nor return free C heap to the system (by default it does both:
                      a heap snapshot of each worker, then malloc_trim; a worker that drops
                      buffers may not collect them for hundreds of MiB, which would read as
                      growth; "held native" shows the C heap before those collections)
  --json              print one JSON object on stdout instead of tables
  --out FILE          also write the JSON to FILE
  --quiet             no progress on stderr
  -h, --help          this text

Verdict: "flat" when every metric grew less than --max-growth-mib and less than
--max-growth-pct of its baseline; growth under 1 MiB is always flat. Growth is measured from
the first to the last sample after warm-up along the line through the medians of the first
and the last third of those samples (one odd sample moves it little). At least six samples
after warm-up are needed, otherwise the verdict is "inconclusive".

Exit status: 0 flat, 1 growing, inconclusive or a fault (an actor died, a guest faulted),
2 bad arguments, 130 interrupted (Ctrl-C stops after the round under way and reports).`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function integer(text: string | undefined, flag: string, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < min || v > max)
    throw new UsageError(`${flag} must be an integer in [${min}, ${max}], got "${text}"`);
  return v;
}

function number(text: string | undefined, flag: string, min: number, max: number, fallback: number, minExclusive = false): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v > max || (minExclusive ? v <= min : v < min)) {
    throw new UsageError(`${flag} must be a number in ${minExclusive ? '(' : '['}${min}, ${max}], got "${text}"`);
  }
  return v;
}

/** --cpu: ts or kvm; kvm where this machine cannot run it is refused with the reason. */
function cpuChoice(text: string | undefined): CpuBackendName {
  if (text === undefined || text === 'ts') return 'ts';
  if (text !== 'kvm') throw new UsageError(`--cpu must be ts or kvm, got "${text}"`);
  try {
    return resolveCpu('kvm', null).cpu;
  } catch (err) {
    if (err instanceof CpuUnavailableError) throw new UsageError(err.message);
    throw err;
  }
}

function list(text: string | undefined, flag: string, fallback: string[]): string[] {
  if (text === undefined) return fallback;
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${flag} must list at least one item`);
  return items;
}

export interface SoakArgs {
  soak: SoakOptions;
  /** Frames of one cycle of the workload list over every device. */
  cycleFrames: number;
  warmupPercent: number;
  bounds: GrowthBounds;
  json: boolean;
  out: string | null;
  quiet: boolean;
}

export function parseSoakArgs(argv: string[]): SoakArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        frames: { type: 'string' },
        every: { type: 'string' },
        warmup: { type: 'string' },
        devices: { type: 'string' },
        chunk: { type: 'string' },
        workloads: { type: 'string' },
        modes: { type: 'string' },
        cpu: { type: 'string' },
        'max-growth-mib': { type: 'string' },
        'max-growth-pct': { type: 'string' },
        'no-worker-gc': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        out: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const frames = integer(v.frames, '--frames', 1, 1e9, 5000);
  const devices = integer(v.devices, '--devices', 1, 8, 2);
  const chunk = integer(v.chunk, '--chunk', 1, 1e6, 100);
  const warmupPercent = number(v.warmup, '--warmup', 0, 90, 15);
  const cpu = cpuChoice(v.cpu);
  const workloads = list(v.workloads, '--workloads', cpu === 'kvm' ? KVM_DEFAULT_WORKLOADS : DEFAULT_WORKLOADS);
  for (const w of workloads)
    if (!WORKLOAD_NAMES.includes(w)) throw new UsageError(`--workloads: unknown workload "${w}" (one of ${WORKLOAD_NAMES.join(', ')})`);
  if (cpu === 'kvm') {
    for (const w of workloads) {
      if (KVM_WORKLOADS[w] === undefined)
        throw new UsageError(`--workloads: the machine-code guest (--cpu kvm) has no workload "${w}" (it runs ${KVM_DEFAULT_WORKLOADS.join(', ')})`);
    }
  }
  // One cycle: every workload once on every device. Samples a whole number of cycles apart all
  // follow the same workload, so what one workload leaves behind does not read as growth.
  const cycle = chunk * devices * workloads.length;
  const every = integer(v.every, '--every', 1, 1e9, cycle * Math.max(1, Math.round(frames / 40 / cycle)));
  const modes = list(v.modes, '--modes', MODES);
  modes.forEach((m, i) => {
    try {
      parseMode(m, `--modes[${i}]`);
    } catch (err) {
      throw new UsageError(err instanceof VmConfigError ? err.message : String(err));
    }
  });
  const maxGrowthMib = number(v['max-growth-mib'], '--max-growth-mib', 0, 1e6, DEFAULT_BOUNDS.maxGrowthBytes / 2 ** 20, true);
  const maxGrowthPct = number(v['max-growth-pct'], '--max-growth-pct', 0, 1000, DEFAULT_BOUNDS.maxGrowthPercent, true);
  const out = v.out ?? null;
  if (out !== null) {
    const dir = path.dirname(path.resolve(out));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--out: no directory ${dir}`);
    if (existsSync(out) && statSync(out).isDirectory()) throw new UsageError(`--out: ${out} is a directory`);
  }
  return {
    soak: { frames, every, chunk, devices, workloads, modes, cpu, workerGc: !v['no-worker-gc'] },
    cycleFrames: cycle,
    warmupPercent,
    bounds: { ...DEFAULT_BOUNDS, maxGrowthBytes: maxGrowthMib * 2 ** 20, maxGrowthPercent: maxGrowthPct },
    json: v.json,
    out,
    quiet: v.quiet,
  };
}
