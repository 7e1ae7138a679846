#!/usr/bin/env node
// End-to-end workloads under the sanitizers (docs/hardening.md, "Sanitizers"): a real VM (the
// CLI's `run`, two devices, the desktop and the hostile workloads) in a child Node process that
// loads the addon built with ASan+UBSan (build-asan/) or TSan (build-tsan/), with the matching
// sanitizer runtime preloaded. Fails on any sanitizer report that involves our code, and unless
// every vCPU finished all its frames.
//
//   npm run test:e2e:sanitizers -- [--sanitizer address|thread|both] [--frames N] [--addon-dir DIR]
//
// Node itself is not instrumented. Under ASan that costs nothing (no report comes from Node on
// these runs; a leak report with no frame of ours would be tolerated and counted). Under TSan,
// Node's own threads report races TSan cannot see the synchronisation of (V8's platform workers,
// MessagePort, libuv locks). Every report is read and classified (sanitizerReports): a data race
// is tolerated only if Node's code made both accesses and allocated the memory (classifyRace);
// a leak or any other report only if no frame of it is ours and all are Node's or the C/C++
// runtimes'; anything else fails the run. TSan's own suppressions are not used: they drop a
// whole report as soon as any one frame matches, which could hide a race of ours.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { sanitizerReports } from './sanitizers/reports.mjs';
import { SANITIZERS, SanitizerSetupError, buildTypeScript, findRuntime, launcher, npmRun, root, runChild } from './sanitizers/runtime.mjs';

export { classifyRace, sanitizerReports } from './sanitizers/reports.mjs';

const TAG = 'e2e-sanitizers';

const USAGE = `usage: npm run test:e2e:sanitizers -- [options]

Runs a VM end to end (pvg-vmm run: 2 devices; the desktop workload on apple-gfx-mmio, the hostile
workload on apple-gfx-pci, and desktop on apple-gfx-pci with KVM vCPUs where /dev/kvm works)
with the native addon built under a sanitizer, and fails on any sanitizer report involving our
code or if the guests did not finish their frames. Builds the
sanitizer addon first (PVG_SANITIZE=... npm run build:native; incremental) and the TypeScript if
dist/ is missing or older than the sources.

options:
  --sanitizer S     address (ASan+UBSan, leaks checked) | thread (TSan) | both (default both)
  --frames N        frames each vCPU draws per workload (default 300)
  --addon-dir DIR   use this already-built sanitizer addon folder (relative to the package, like
                    PVG_NATIVE_BUILD) instead of building build-asan/ or build-tsan/; needs one
                    --sanitizer
  -h, --help        this text

Full logs: build-e2e-sanitizers/SANITIZER-WORKLOAD-CPU.log. Exit status: 0 pass, 1 a failure, 2 bad
arguments.`;

// The runs, each with two devices (one vCPU each).
const RUNS = [
  { workload: 'desktop', variant: 'mmio' },
  { workload: 'hostile', variant: 'pci' },
  // The KVM path (docs/kvm.md): vCPU threads in KVM_RUN, kicks, user-space injection.
  { workload: 'desktop', variant: 'pci', cpu: 'kvm' },
];
const DEVICES = 2;
const RUN_TIMEOUT_MS = 300_000;

function fail(message) {
  console.error(`e2e-sanitizers: ${message}`);
  process.exit(1);
}

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        sanitizer: { type: 'string', default: 'both' },
        frames: { type: 'string', default: '300' },
        'addon-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    console.error(`e2e-sanitizers: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const sanitizers = values.sanitizer === 'both' ? ['address', 'thread'] : [values.sanitizer];
  if (!sanitizers.every((s) => s in SANITIZERS)) {
    console.error(`e2e-sanitizers: --sanitizer must be address, thread or both (got "${values.sanitizer}")\n\n${USAGE}`);
    process.exit(2);
  }
  const frames = Number(values.frames);
  if (!/^\d+$/.test(values.frames) || !Number.isSafeInteger(frames) || frames < 1) {
    console.error(`e2e-sanitizers: --frames must be a positive integer (got "${values.frames}")\n\n${USAGE}`);
    process.exit(2);
  }
  const addonDir = values['addon-dir'];
  if (addonDir !== undefined && sanitizers.length !== 1) {
    console.error('e2e-sanitizers: --addon-dir needs one --sanitizer (address or thread)');
    process.exit(2);
  }
  return { sanitizers, frames, addonDir };
}

// The run's summary (cli/summary.ts): every vCPU done with all its frames, the right workload.
export function checkSummary(out, workload, frames) {
  const problems = [];
  const vcpus = [...out.matchAll(/^vcpu(\d+) \((\w+)\): (\w+)(?: \(([^)]*)\))?, workload (\w+), (\d+) frames/gm)];
  if (vcpus.length !== DEVICES) problems.push(`${vcpus.length} vCPU summary lines, expected ${DEVICES}`);
  for (const m of vcpus) {
    if (m[3] !== 'done' || m[5] !== workload || Number(m[6]) !== frames) {
      problems.push(`vcpu${m[1]}: ${m[3]}${m[4] ? ` (${m[4]})` : ''}, workload ${m[5]}, ${m[6]} of ${frames} frames`);
    }
  }
  const total = /^frames: (\d+) in ([\d.]+) s \(([\d.]+) fps\)/m.exec(out);
  if (!total || Number(total[1]) !== DEVICES * frames) problems.push(`frames line: ${total ? total[0] : 'missing'}`);
  const errorLines = [...out.matchAll(/^ {2}errors: (.*)$/gm)].map((m) => m[1]);
  if (errorLines.length !== DEVICES) problems.push(`${errorLines.length} device error lines, expected ${DEVICES}`);
  // The hostile guest must have made the engine report errors (it ran); the desktop none.
  if (workload === 'hostile' && errorLines.some((e) => e.startsWith('none'))) problems.push(`hostile workload without guest errors: ${errorLines.join(' | ')}`);
  if (workload === 'desktop' && errorLines.some((e) => !e.startsWith('none'))) problems.push(`desktop workload with guest errors: ${errorLines.join(' | ')}`);
  return { problems, fps: total ? Number(total[3]) : 0, seconds: total ? Number(total[2]) : 0 };
}

/** Whether this process may open /dev/kvm (the KVM run needs it; elsewhere it is skipped, said so). */
function kvmUsable() {
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function runSanitizer(sanitizer, frames, addonDir) {
  const s = SANITIZERS[sanitizer];
  const dir = addonDir ?? s.dir;
  if (!addonDir) npmRun('build:native', { ...process.env, PVG_SANITIZE: sanitizer }, `${sanitizer}: addon build (${dir}/, incremental)`, TAG);
  const runtime = findRuntime(sanitizer, dir);
  console.log(`e2e-sanitizers: ${sanitizer}: ${path.relative(root, runtime.addon)} with ${runtime.file} preloaded (${runtime.compiler})`);
  const env = { ...process.env, LD_PRELOAD: runtime.file, PVG_NATIVE_BUILD: dir, ...s.env };
  const prefix = await launcher(sanitizer, env, runtime.addon, TAG);
  const logDir = path.join(root, 'build-e2e-sanitizers');
  fs.mkdirSync(logDir, { recursive: true });
  let ok = true;
  for (const { workload, variant, cpu = 'ts' } of RUNS) {
    if (cpu === 'kvm' && !kvmUsable()) {
      console.log(`e2e-sanitizers: ${sanitizer} ${workload} on KVM skipped: /dev/kvm cannot be opened for reading and writing here`);
      continue;
    }
    const args = [
      path.join(root, 'bin', 'pvg-vmm.js'),
      'run',
      '--workload',
      workload,
      '--variant',
      variant,
      '--devices',
      String(DEVICES),
      '--frames',
      String(frames),
      '--cpu',
      cpu,
      '--exit',
      '--quiet',
    ];
    const r = await runChild(args, env, prefix, RUN_TIMEOUT_MS);
    const log = path.join(logDir, `${sanitizer}-${workload}-${cpu}.log`);
    fs.writeFileSync(log, r.out);
    const reports = sanitizerReports(r.out);
    const bad = reports.filter((x) => x.verdict === 'ours' || x.verdict === 'unknown');
    const foreign = reports.filter((x) => x.verdict === 'node' || x.verdict === 'node-via-ours');
    const summary = checkSummary(r.out, workload, frames);
    const problems = [...summary.problems];
    if (r.timedOut) problems.push(`did not finish within ${RUN_TIMEOUT_MS / 1000} s (killed)`);
    else if (r.signal) problems.push(`killed by ${r.signal}`);
    else if (r.code !== 0 && !(r.code === s.exitCode && reports.length > 0)) problems.push(`exit status ${r.code}`);
    if (bad.length > 0) problems.push(`${bad.length} sanitizer report(s) involving our code or not only Node's`);
    const tally = new Map();
    for (const x of foreign) {
      const key = `${x.kind} in ${x.where}${x.verdict === 'node-via-ours' ? " (Node's code racing, reached from a Node-API call of ours)" : ''}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    console.log(
      `e2e-sanitizers: ${sanitizer} ${workload} (apple-gfx-${variant}, ${DEVICES} devices, cpu ${cpu}): ` +
        `${summary.fps ? `${DEVICES * frames} frames in ${summary.seconds.toFixed(2)} s (${summary.fps} fps)` : 'no frame count'}, ` +
        `wall ${r.seconds.toFixed(1)} s; reports: ${bad.length} failing, ${foreign.length} from Node itself (tolerated)` +
        `${problems.length ? ` — FAIL: ${problems.join('; ')}` : ' — ok'}`,
    );
    for (const [what, n] of [...tally].sort((a, b) => b[1] - a[1])) console.log(`    tolerated ${n}× ${what}`);
    for (const x of bad.slice(0, 5))
      console.error(`\n---- ${x.verdict === 'ours' ? 'report involving our code' : 'report outside Node'} (${x.kind}) ----\n${x.body}\n`);
    if (bad.length > 5) console.error(`(${bad.length - 5} more in ${path.relative(root, log)})`);
    if (problems.length) {
      if (!summary.fps || summary.problems.length) console.error(`---- last output ----\n${r.out.slice(-3000)}`);
      console.error(`e2e-sanitizers: full log: ${path.relative(root, log)}`);
      ok = false;
    }
  }
  return ok;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { sanitizers, frames, addonDir } = parse();
  const start = Date.now();
  let ok = true;
  try {
    buildTypeScript(TAG);
  } catch (err) {
    if (err instanceof SanitizerSetupError) fail(err.message);
    throw err;
  }
  for (const sanitizer of sanitizers) {
    const t = Date.now();
    const passed = await runSanitizer(sanitizer, frames, addonDir).catch((err) =>
      err instanceof SanitizerSetupError ? fail(err.message) : Promise.reject(err),
    );
    console.log(`e2e-sanitizers: ${sanitizer}: ${passed ? 'pass' : 'FAIL'} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    ok &&= passed;
  }
  console.log(`e2e-sanitizers: ${ok ? 'pass' : 'FAIL'} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
  process.exit(ok ? 0 : 1);
}
