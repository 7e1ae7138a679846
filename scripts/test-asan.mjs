#!/usr/bin/env node
// The vitest suites with the native addon under ASan+UBSan (docs/hardening.md, "Sanitizers"): the
// addon from build-asan/, the runtime preloaded into every Node process of the run (vitest's
// workers, and the processes the tests start: fault injection that kills actors mid-run, stalled
// engines, the CLI). Every ASan/LSan report goes to a log file per process; after the run each is
// read and classified like the end-to-end run's. Fails if vitest fails, or on any memory error,
// any undefined behaviour (UBSan aborts the process, which fails its test), or a leak with a frame
// of ours.
//
//   npm run test:asan -- [vitest arguments, e.g. test/vmm/faults.test.ts]
//
// TSan is not run over the suites: vitest's own native module (rolldown) races under it, and
// every test with a time bound fails at TSan's speed. TSan covers the native tests and the
// end-to-end run (npm run test:native:tsan, npm run test:e2e:sanitizers).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { sanitizerReports } from './sanitizers/reports.mjs';
import { SANITIZERS, SanitizerSetupError, buildTypeScript, findRuntime, launcher, npmRun, root } from './sanitizers/runtime.mjs';

const TAG = 'test-asan';
const USAGE = `usage: npm run test:asan -- [vitest arguments]

Runs the vitest suites (all, or the files and options given, as for vitest run) with the native
addon built under ASan+UBSan and the sanitizer runtime preloaded into every Node process of the
run. Builds the addon first (PVG_SANITIZE=address npm run build:native; incremental) and the
TypeScript if dist/ is missing or older than the sources.

Fails (exit 1) if a test fails, or on any sanitizer report: a memory error, undefined behaviour,
or a leak with a frame of ours (leaks only from Node itself are counted, not failed).
Sanitizer logs: build-test-asan/ (one file per process that reported).`;

function fail(message) {
  console.error(`${TAG}: ${message}`);
  process.exit(1);
}

function run(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: 'inherit' });
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
}

async function main() {
  const vitestArgs = process.argv.slice(2);
  if (vitestArgs.includes('-h') || vitestArgs.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  const address = SANITIZERS.address;
  buildTypeScript(TAG);
  npmRun('build:native', { ...process.env, PVG_SANITIZE: 'address' }, `addon build (${address.dir}/, incremental)`, TAG);
  const runtime = findRuntime('address', address.dir);
  const logDir = path.join(root, 'build-test-asan');
  fs.rmSync(logDir, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });
  // Each process writes its reports to LOG.PID, so a report from a process that dies with it (a
  // test's child, a vitest worker) is still read afterwards.
  const env = {
    ...process.env,
    LD_PRELOAD: runtime.file,
    PVG_NATIVE_BUILD: address.dir,
    ASAN_OPTIONS: `detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=${address.exitCode}:log_path=${path.join(logDir, 'asan')}`,
    // UBSan in ASan's runtime ignores log_path: its report goes to the process's stderr. It aborts
    // the process, so the test fails even where it expected a child to exit with an error status.
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1:abort_on_error=1',
    // A leak report leaves the exit status alone (tests check their children's), and the report
    // is judged from the log: Node's own leaks at a process.exit() are tolerated, ours fail.
    LSAN_OPTIONS: `exitcode=0:suppressions=${path.join(root, 'scripts', 'sanitizers', 'lsan-vitest.supp')}:print_suppressions=0`,
  };
  const prefix = await launcher('address', env, runtime.addon, TAG);
  console.log(`${TAG}: ${path.relative(root, runtime.addon)} with ${runtime.file} preloaded (${runtime.compiler})`);
  const started = Date.now();
  const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
  // ASan+UBSan makes every process two to four times slower, and a test that spawns VMs with it
  // can pass vitest's 30 s bound by that alone: this run looks for memory errors, not for speed,
  // so its bounds are three times the suites' own unless the arguments name others.
  const timeouts = vitestArgs.some((a) => a.startsWith('--testTimeout')) ? [] : ['--testTimeout', '90000', '--hookTimeout', '90000'];
  const [cmd, ...rest] = [...prefix, process.execPath, vitest, 'run', ...timeouts, ...vitestArgs];
  const result = await run(cmd, rest, env);

  const reports = fs.readdirSync(logDir).flatMap((f) => sanitizerReports(fs.readFileSync(path.join(logDir, f), 'utf8')).map((r) => ({ ...r, file: f })));
  const bad = reports.filter((r) => r.verdict === 'ours' || r.verdict === 'unknown');
  const tolerated = reports.length - bad.length;
  for (const r of bad.slice(0, 5)) console.error(`\n---- ${r.kind} (${r.verdict}) in build-test-asan/${r.file} ----\n${r.body}\n`);
  if (bad.length > 5) console.error(`(${bad.length - 5} more in build-test-asan/)`);
  // Tolerated reports are tallied, not listed one by one: a leaky Node process can give
  // hundreds, and the verdict line below must stay the last thing a log's tail shows.
  const tally = new Map();
  for (const r of reports.filter((x) => !bad.includes(x))) {
    const what = `${r.kind} in ${r.where}`;
    const seen = tally.get(what) ?? { count: 0, files: new Set() };
    seen.count += 1;
    seen.files.add(r.file);
    tally.set(what, seen);
  }
  for (const [what, seen] of [...tally].sort((a, b) => b[1].count - a[1].count)) {
    console.log(`    tolerated ${seen.count}× ${what} (${[...seen.files].slice(0, 3).join(', ')}${seen.files.size > 3 ? ', …' : ''})`);
  }
  const testsFailed = result.code !== 0;
  console.log(
    `${TAG}: vitest ${testsFailed ? `FAILED (exit ${result.code ?? result.signal}; its failures are listed above the sanitizer tally)` : 'passed'}; ` +
      `sanitizer reports: ${bad.length} failing${bad.length > 0 ? ' (printed above)' : ''}, ` +
      `${tolerated} from Node or a module of its own (tolerated) (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return testsFailed || bad.length > 0 ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof SanitizerSetupError) fail(err.message);
  throw err;
}
