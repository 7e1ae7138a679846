#!/usr/bin/env node
// Builds and runs the native libFuzzer targets (native/fuzz/, docs/fuzzing.md):
//   node scripts/fuzz.mjs --list
//   node scripts/fuzz.mjs --build          (every target, for a campaign: scripts/fuzz-campaign.sh)
//   node scripts/fuzz.mjs TARGET [--seconds N] [--threaded] [-- LIBFUZZER_FLAGS...]
// The build goes to build-fuzz/ (clang, ASan+UBSan); the checked-in seeds are copied into a work
// corpus there (build-fuzz/corpus/TARGET), so fuzzing never writes into the repository. Each
// target has two binaries: fuzz-TARGET, the inline engine on the harness's thread (fast), and
// fuzz-TARGET-threaded, the engine on its own threads (--threaded).
// Exit status: 0 no finding, 1 a finding (the crash file's path is printed) or a failed build,
// 2 a bad command line or a missing tool.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describedTargets, prepareCorpus, runFuzzer, summarize } from './fuzz-output.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const targetsDir = path.join(root, 'native', 'fuzz', 'targets');
const seedsDir = path.join(root, 'native', 'fuzz', 'corpus');
const buildDir = path.join(root, 'build-fuzz');
const DEFAULT_SECONDS = 60;

const HELP = `usage: npm run fuzz -- --list
       npm run fuzz -- --build
       npm run fuzz -- TARGET [--seconds N] [--threaded] [-- LIBFUZZER_FLAGS...]

Builds the libFuzzer targets with clang under ASan+UBSan into build-fuzz/, copies the target's
checked-in seeds (native/fuzz/corpus/TARGET) into build-fuzz/corpus/TARGET and fuzzes for N
seconds (default ${DEFAULT_SECONDS}). Findings are written to build-fuzz/findings/TARGET/.

  --list         the targets, one line each
  --build        build every target, both variants, into build-fuzz/ and stop (for
                 scripts/fuzz-campaign.sh)
  --seconds N    how long to fuzz (a positive integer)
  --threaded     fuzz the engine on its own threads (fuzz-TARGET-threaded), as the addon runs
                 it; without it, the inline engine (fuzz-TARGET: the same engine code, its
                 dispatcher and queues run on the harness's thread, many times faster)
  --help         this text
  -- FLAGS       passed to libFuzzer as they are (e.g. -seed=1 -jobs=2)

Exit status: 0 no finding, 1 a finding or a failed build, 2 a bad command line or a missing tool.
See docs/fuzzing.md.`;

function fail(message, status = 2) {
  console.error(`fuzz: ${message}`);
  process.exit(status);
}

// Targets are native/fuzz/targets/<name>.cpp ('_' → '-').
const targets = () => describedTargets(targetsDir, '.cpp', (base) => base.replaceAll('_', '-'));

function parseArgs(argv) {
  const opts = { list: false, build: false, help: false, threaded: false, target: undefined, seconds: DEFAULT_SECONDS, passthrough: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      opts.passthrough = argv.slice(i + 1);
      break;
    } else if (a === '--help' || a === '-h') opts.help = true;
    else if (a === '--list') opts.list = true;
    else if (a === '--build') opts.build = true;
    else if (a === '--threaded') opts.threaded = true;
    else if (a === '--seconds' || a.startsWith('--seconds=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined || !/^[1-9][0-9]*$/.test(v))
        fail(`--seconds needs a positive whole number of seconds (got ${v === undefined ? 'nothing' : `"${v}"`})`);
      opts.seconds = Number(v);
    } else if (a.startsWith('-')) fail(`unknown option "${a}" (see --help)`);
    else if (opts.target === undefined) opts.target = a;
    else fail(`one target at a time (got "${opts.target}" and "${a}")`);
  }
  return opts;
}

function run(cmd, args) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} failed (exit status ${r.status})`, 1);
}

// clang with its libFuzzer runtime (Debian's clang package ships both).
function checkClang() {
  const v = spawnSync('clang++', ['--version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) {
    fail('clang++ not found: the fuzz targets need clang and its libFuzzer. On Debian: apt-get install clang');
  }
  const dir = spawnSync('clang++', ['-print-runtime-dir'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const runtimes = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  if (!runtimes.some((f) => /^libclang_rt\.fuzzer(-x86_64|-aarch64)?\.a$/.test(f))) {
    fail(`clang's libFuzzer runtime was not found in "${dir}". On Debian it comes with the clang package (apt-get install clang)`);
  }
}

/** How a native target reports a finding: its own invariant checks, or a sanitizer. */
const FAILURE = /^(==ERROR|SUMMARY)|fuzz invariant/;

const opts = parseArgs(process.argv.slice(2));
const known = targets();
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
if (opts.list) {
  const width = Math.max(...known.map((t) => t.name.length));
  for (const t of known) console.log(`${t.name.padEnd(width)}  ${t.about}`);
  process.exit(0);
}
if (opts.build) {
  checkClang();
  run('cmake', ['-S', 'native', '-B', buildDir, '-DPVG_FUZZ=ON', '-DCMAKE_CXX_COMPILER=clang++', '-DCMAKE_BUILD_TYPE=RelWithDebInfo']);
  const binaries = known.flatMap((t) => [`fuzz-${t.name}`, `fuzz-${t.name}-threaded`]);
  run('cmake', ['--build', buildDir, '--parallel', '2', '--target', ...binaries]);
  console.log(`fuzz: built ${binaries.map((b) => path.relative(root, path.join(buildDir, b))).join(', ')}`);
  process.exit(0);
}
if (opts.target === undefined) fail(`name a target (one of: ${known.map((t) => t.name).join(', ')}), or --list / --help`);
if (!known.some((t) => t.name === opts.target)) fail(`unknown target "${opts.target}" (targets: ${known.map((t) => t.name).join(', ')})`);

checkClang();
run('cmake', ['-S', 'native', '-B', buildDir, '-DPVG_FUZZ=ON', '-DCMAKE_CXX_COMPILER=clang++', '-DCMAKE_BUILD_TYPE=RelWithDebInfo']);
const executable = `fuzz-${opts.target}${opts.threaded ? '-threaded' : ''}`;
run('cmake', ['--build', buildDir, '--parallel', '2', '--target', executable]);

const { work, copied } = prepareCorpus(seedsDir, buildDir, opts.target);
const findings = path.join(buildDir, 'findings', opts.target);
fs.mkdirSync(findings, { recursive: true });
console.log(`fuzz: ${opts.target}: ${copied} seeds copied into ${path.relative(root, work)}`);
const binary = path.join(buildDir, executable);
const args = [
  `-max_total_time=${opts.seconds}`,
  '-max_len=4096',
  '-timeout=30',
  '-rss_limit_mb=4096',
  '-print_final_stats=1',
  `-artifact_prefix=${findings}/`,
  ...opts.passthrough,
  work,
];
console.log(`$ ${path.relative(root, binary)} ${args.join(' ')}`);
const result = await runFuzzer(binary, args, {
  cwd: root,
  env: {
    ...process.env,
    ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'detect_leaks=1:abort_on_error=1:strict_string_checks=1:quarantine_size_mb=64',
    UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? 'print_stacktrace=1:halt_on_error=1',
  },
  failure: FAILURE,
});
process.exit(
  summarize({
    tool: 'fuzz',
    fuzzer: 'libFuzzer',
    target: opts.threaded ? `${opts.target} (threaded)` : opts.target,
    result,
    work,
    failure: FAILURE,
    root,
    reproduce: (file) => `${path.relative(root, binary)} ${file}`,
  }),
);
