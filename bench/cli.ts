// `npm run bench -- SUITE [--json] [--scale X] [--out FILE]`: runs a benchmark suite and prints a
// table, or with --json one JSON object on stdout (use `npm run -s` to keep npm's banner out).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { machineInfo, type MachineInfo } from './machine.js';
import { latencyTable, ratioTable } from './report.js';
import { deviceTables, runDeviceBench } from './suites/device.js';
import { engineTables, runEngineBench } from './suites/engine.js';
import { framesTables, runFramesBench } from './suites/frames.js';
import { runMailboxBench, type MailboxBenchResult } from './suites/mailbox.js';

interface SuiteOptions {
  scale: number;
  progress?: (path: string) => void;
}

/** A suite: how to run it, and its own tables for the human-readable form. */
interface SuiteEntry<R extends { machine: MachineInfo }> {
  run(options: SuiteOptions): Promise<R>;
  tables(result: R): string;
}

/** Checks that a suite's runner and tables agree, then forgets the result type for the table below. */
function suite<R extends { machine: MachineInfo }>(entry: SuiteEntry<R>): SuiteEntry<{ machine: MachineInfo }> {
  return entry as unknown as SuiteEntry<{ machine: MachineInfo }>;
}

function mailboxTables(result: MailboxBenchResult): string {
  const { ratio_hot_vs_spin, ratio_parked_vs_futex, ratio_comlink_vs_hot } = result;
  return `${latencyTable(result.paths)}\n\n${ratioTable({ ratio_hot_vs_spin, ratio_parked_vs_futex, ratio_comlink_vs_hot }, result.targets)}`;
}

const SUITE_TABLE = {
  mailbox: suite({ run: runMailboxBench, tables: mailboxTables }),
  engine: suite({ run: runEngineBench, tables: engineTables }),
  device: suite({ run: runDeviceBench, tables: deviceTables }),
  frames: suite({ run: runFramesBench, tables: framesTables }),
};
type Suite = keyof typeof SUITE_TABLE;
const SUITES = Object.keys(SUITE_TABLE) as Suite[];

const HELP = `usage: npm run bench -- SUITE|all [options]

suites:
  mailbox   round-trip latency: spin reference, mailbox hot and parked, futex reference,
            JS→native→JS, native→JS→native, postMessage, comlink
  engine    CPU renderer fill/blit/blend rates against memcpy at 1920x1080 and 3840x2160;
            callback round trip engine thread → device actor → engine thread (p50/p99)
  device    MMIO read round trip from an external vCPU against spin ping-pong; posted against
            synchronous write throughput; interrupt raise → guest handler (PCI MSI); map/unmap
            cost in the task space at 1k and 100k mappings against the list-based reference
  frames    end-to-end frames/s (guest present → frame kept by the compositor) at 1920x1080 and
            3840x2160 with no client and with a VNC client, against one memcpy of the frame;
            1% against 100% damage; VNC bytes per frame
  all       every suite

options:
  --json         print one JSON object on stdout instead of tables
  --scale X      multiply iteration counts (default 1; 0.1 for a quick look)
  --out FILE     also write the JSON result to FILE
  -h, --help     this text`;

function fail(message: string): never {
  console.error(`bench: ${message}\n\n${HELP}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        scale: { type: 'string', default: '1' },
        out: { type: 'string' },
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
  const suites: Suite[] = name === 'all' ? [...SUITES] : [name as Suite];

  const results: Record<string, unknown> = {};
  for (const suiteName of suites) {
    const progress = values.json ? undefined : (path: string) => process.stderr.write(`  ${suiteName}: ${path}…\n`);
    const entry = SUITE_TABLE[suiteName];
    const result = await entry.run({ scale, ...(progress ? { progress } : {}) });
    results[suiteName] = result;
    if (!values.json) {
      const m = result.machine;
      console.log(`\n## ${suiteName} — ${m.cpus} × ${m.cpu_model}, Node ${m.node}\n`);
      console.log(entry.tables(result));
    }
  }
  const json = suites.length === 1 ? results[suites[0]!] : { machine: machineInfo(), suites: results };
  if (values.json) console.log(JSON.stringify(json));
  if (values.out) writeFileSync(values.out, `${JSON.stringify(json, null, 2)}\n`);
}

await main();
