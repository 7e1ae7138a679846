// `pvg-vmm trace`: runs a workload and writes what every thread did as Chrome Trace Event JSON
// (open it in Perfetto or chrome://tracing): one track per actor and per engine thread; --svg also
// draws a window of it as a picture (shared/trace/svg.ts).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { WORKLOAD_NAMES } from '../guest/ts/workloads/index.js';
import { timelineWindow, toTimelineSvg } from '../shared/trace/svg.js';
import { VmConfigError } from '../vmm/config.js';
import { Vm } from '../vmm/vm.js';
import {
  CliError,
  ENGINE_HELP,
  ENGINE_OPTION,
  PROFILE_HELP,
  UsageError,
  engineFlag,
  integerFlag,
  joinNegativeValues,
  outputFileFlag,
  profileOptions,
  threadingFlag,
} from './usage.js';

export const TRACE_HELP = `usage: pvg-vmm trace --workload NAME --frames N --out FILE [options]

Runs a built-in workload on a VM and writes a Chrome Trace Event JSON file: one track per actor
(vCPU, device, interrupt controller) and per engine thread (MMIO dispatcher, display queue, pool;
with --engine vulkan also gpu: each frame readback from submit to fence, its GPU time inside).

options:
  --workload NAME     ${WORKLOAD_NAMES.join(' | ')} (default desktop)
  --frames N          frames the guest draws (default 60)
  --out FILE          where to write the JSON (required)
  --variant V         mmio | pci (default mmio)
  --modes LIST        comma-separated WxH@R modes
  --devices N         apple-gfx devices, each with its own vCPU (default 1)
  --threading M       actor | qemu | record-lock: the model of QEMU's big lock, or one lock
                      per actor record; lock holds and waits show as spans (default actor)
${PROFILE_HELP}
                      A paced display's waits show on the engine executor's track (vblank_wait)
                      with each refresh tick it presented on (vblank)
${ENGINE_HELP}
  --svg FILE          also draw a window of the timeline as an SVG picture (a row per thread,
                      spans, flow arrows, counters, a legend; docs/tracing.md explains it)
  --svg-window FROM_US:TO_US
                      the window to draw, in µs since the trace's first event (default: about
                      2 ms in the middle of the run around a complete MMIO read)
  -h, --help          this text`;

export async function trace(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv),
    strict: true,
    options: {
      workload: { type: 'string', default: 'desktop' },
      frames: { type: 'string', default: '60' },
      out: { type: 'string' },
      variant: { type: 'string', default: 'mmio' },
      modes: { type: 'string' },
      devices: { type: 'string', default: '1' },
      threading: { type: 'string', default: 'actor' },
      ...ENGINE_OPTION,
      profile: { type: 'string' },
      pacing: { type: 'string' },
      svg: { type: 'string' },
      'svg-window': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(TRACE_HELP);
    return 0;
  }
  if (values.out === undefined) throw new UsageError('--out FILE is required');
  // Checked before the run, so a typo in a folder does not cost the whole workload.
  const out = outputFileFlag('--out', values.out);
  if (values.svg !== undefined) outputFileFlag('--svg', values.svg);
  if (values['svg-window'] !== undefined && values.svg === undefined) throw new UsageError('--svg-window needs --svg FILE');
  const svgWindow = values['svg-window'] === undefined ? undefined : svgWindowFlag(values['svg-window']);
  if (values.variant !== 'mmio' && values.variant !== 'pci') throw new UsageError(`--variant must be mmio or pci, got "${values.variant}"`);
  let vm: Vm;
  try {
    const variant: 'mmio' | 'pci' = values.variant;
    const device = { variant, ...(values.modes ? { displayModes: values.modes.split(',') } : {}) };
    vm = await Vm.create({
      trace: true,
      devices: Array.from({ length: integerFlag('--devices', values.devices, 1, 16) }, () => ({ ...device })),
      threading: threadingFlag(values.threading),
      engine: engineFlag(values.engine),
      ...profileOptions(values),
      workload: { name: values.workload, frames: integerFlag('--frames', values.frames, 1, 1e6) },
    });
    if (vm.engine.fallback) process.stderr.write(`pvg-vmm: --engine auto: drawing with the soft backend (${vm.engine.fallback})\n`);
  } catch (err) {
    if (err instanceof VmConfigError) throw new UsageError(err.message);
    throw err;
  }
  try {
    await Promise.race([vm.whenGuestsDone(), vm.whenFailed().then((f) => Promise.reject(f))]);
    await vm.settle();
    const json = vm.drainTrace();
    writeOutput(out, JSON.stringify(json));
    const tracks = json.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').length;
    console.log(
      `trace: ${json.traceEvents.length} events on ${tracks} tracks written to ${out}` +
        (Number(json.otherData.lostEvents) > 0 ? ` (${json.otherData.lostEvents} lost: rings wrapped)` : ''),
    );
    if (values.svg !== undefined) {
      const window = timelineWindow(json, svgWindow ?? {});
      writeOutput(
        values.svg,
        toTimelineSvg(json, {
          ...svgWindow,
          title: `pvg-vmm trace: ${values.workload}, ${values.threading} threading, ${values.devices} device${values.devices === '1' ? '' : 's'}`,
        }),
      );
      console.log(`trace: picture of ${window ? `${us(window.fromUs)}–${us(window.toUs)} µs` : 'an empty trace'} written to ${values.svg}`);
    }
    return 0;
  } finally {
    await vm.stop();
  }
}

/** A write that fails after the run (the disk filled, the folder went) is one line, status 1. */
function writeOutput(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${(err as Error).message}`);
  }
}

function us(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** `FROM_US:TO_US`, µs since the trace's first event, 0 ≤ FROM_US < TO_US. */
export function svgWindowFlag(text: string): { fromUs: number; toUs: number } {
  const m = /^\s*(\d+(?:\.\d*)?)\s*:\s*(\d+(?:\.\d*)?)\s*$/.exec(text);
  const fromUs = m ? Number(m[1]) : NaN;
  const toUs = m ? Number(m[2]) : NaN;
  if (!m || !Number.isFinite(fromUs) || !Number.isFinite(toUs) || fromUs < 0 || toUs <= fromUs) {
    throw new UsageError(`--svg-window must be FROM_US:TO_US, µs since the trace's first event with 0 <= FROM_US < TO_US (e.g. 20000:22000), got "${text}"`);
  }
  return { fromUs, toUs };
}
