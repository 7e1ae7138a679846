#!/usr/bin/env node
// Runs the coverage-guided JavaScript fuzz targets (fuzz/js/, docs/fuzzing.md) with Jazzer.js:
//   node scripts/fuzz-js.mjs --list
//   node scripts/fuzz-js.mjs --target TARGET [--seconds N] [-- LIBFUZZER_FLAGS...]
//   node scripts/fuzz-js.mjs --all --seconds N
// The targets run from dist/ (npm run build first). The checked-in seeds (fuzz/js/corpus/TARGET)
// are copied into a work corpus (build-fuzz-js/corpus/TARGET); findings go to
// build-fuzz-js/findings/TARGET/. Exit status: 0 no finding, 1 a finding, 2 a bad command line
// or a missing piece.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describedTargets, prepareCorpus, runFuzzer, summarize } from './fuzz-output.mjs';
import { weakenVersions } from './jazzer-compat/weaken-versions.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourcesDir = path.join(root, 'fuzz', 'js', 'targets');
const distDir = path.join(root, 'dist', 'fuzz', 'js', 'targets');
const seedsDir = path.join(root, 'fuzz', 'js', 'corpus');
const workDir = path.join(root, 'build-fuzz-js');
const DEFAULT_SECONDS = 60;
// What each target's coverage counts: the project's code it reaches, and for the WebSocket
// target the `ws` library's Receiver, which does the framing (Jazzer.js leaves node_modules out
// unless a pattern includes it); for the virtqueue and virtio-pci targets the transports in
// shared/virtio (and shared/pci); for the
// control socket's target vmm/control/, where its parser is; for the snapshot loader vmm/ (the
// loader and the config checks).
const INSTRUMENT = {
  default: ['/dist/actors/', '/dist/outputs/'],
  'ws-bridge-framing': ['/dist/actors/', '/dist/outputs/', '/node_modules/ws/lib/'],
  virtqueue: ['/dist/actors/input/', '/dist/shared/virtio/'],
  'virtio-pci': ['/dist/actors/input/', '/dist/shared/virtio/', '/dist/shared/pci/'],
  'control-requests': ['/dist/vmm/control/'],
  'snapshot-loader': ['/dist/vmm/'],
};

const HELP = `usage: npm run fuzz:js -- --list
       npm run fuzz:js -- --target TARGET [--seconds N] [-- LIBFUZZER_FLAGS...]
       npm run fuzz:js -- --all [--seconds N]

Fuzzes a JavaScript target (fuzz/js/targets/, built into dist/ by npm run build) with Jazzer.js
for N seconds (default ${DEFAULT_SECONDS}; with --all, each target in turn), from its checked-in
seeds (fuzz/js/corpus/TARGET) copied into build-fuzz-js/corpus/TARGET. Findings are written to
build-fuzz-js/findings/TARGET/.

Exit status: 0 no finding, 1 a finding, 2 a bad command line or a missing piece.
See docs/fuzzing.md.`;

function fail(message, status = 2) {
  console.error(`fuzz-js: ${message}`);
  process.exit(status);
}

// Targets are fuzz/js/targets/<name>.ts.
const targets = () => describedTargets(sourcesDir, '.ts');

function parseArgs(argv) {
  const opts = { list: false, help: false, all: false, target: undefined, seconds: DEFAULT_SECONDS, passthrough: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]);
    if (a === '--') {
      opts.passthrough = argv.slice(i + 1);
      break;
    } else if (a === '--help' || a === '-h') opts.help = true;
    else if (a === '--list') opts.list = true;
    else if (a === '--all') opts.all = true;
    else if (a === '--target' || a.startsWith('--target=')) opts.target = value();
    else if (a === '--seconds' || a.startsWith('--seconds=')) {
      const v = value();
      if (v === undefined || !/^[1-9][0-9]*$/.test(v)) fail(`--seconds needs a positive whole number (got ${v === undefined ? 'nothing' : `"${v}"`})`);
      opts.seconds = Number(v);
    } else if (a.startsWith('-')) fail(`unknown option "${a}" (see --help)`);
    else if (opts.target === undefined) opts.target = a;
    else fail(`one target at a time (got "${opts.target}" and "${a}"); --all runs them all`);
  }
  return opts;
}

// How to start Jazzer.js here. Its prebuilt addon is linked against glibc 2.38 and GCC 13's
// libstdc++; where it does not load as it is (Debian 12: glibc 2.36, GCC 12), a copy with those
// versions marked weak runs with a small preloaded library that supplies the three functions it
// uses from them (scripts/jazzer-compat/). Returns the command and environment.
function jazzerCommand() {
  const require = createRequire(path.join(root, 'package.json'));
  let prebuild;
  try {
    prebuild = require.resolve(`@jazzer.js/fuzzer/prebuilds/fuzzer-${process.platform}-${process.arch}.node`);
  } catch {
    fail('@jazzer.js/fuzzer is not installed (npm ci installs it: it is a devDependency)');
  }
  const cli = require.resolve('@jazzer.js/core/dist/cli.js');
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(prebuild)})`], { encoding: 'utf8' });
  if (probe.status === 0) return { args: [cli], env: {} };
  const missing = [...new Set([...(probe.stderr ?? '').matchAll(/version `([A-Z_]+[0-9.]+)' not found/g)].map((m) => m[1]))];
  const known = ['GLIBC_2.38', 'GLIBCXX_3.4.32'];
  if (missing.length === 0 || missing.some((v) => !known.includes(v))) {
    fail(`the Jazzer.js addon does not load here:\n${probe.stderr}`);
  }
  const compat = path.join(workDir, 'compat');
  fs.mkdirSync(compat, { recursive: true });
  const shim = path.join(compat, 'glibc-compat.so');
  const source = path.join(root, 'scripts', 'jazzer-compat', 'glibc-compat.cpp');
  if (!fs.existsSync(shim) || fs.statSync(shim).mtimeMs < fs.statSync(source).mtimeMs) {
    const cxx = ['c++', 'g++', 'clang++'].find((c) => spawnSync(c, ['--version']).status === 0);
    if (!cxx) fail('a C++ compiler is needed to run Jazzer.js on this system (apt-get install g++)');
    const built = spawnSync(cxx, ['-shared', '-fPIC', '-O2', '-o', shim, source], { stdio: 'inherit' });
    if (built.status !== 0) fail(`building ${path.relative(root, shim)} failed`);
  }
  const addon = path.join(compat, 'fuzzer.node');
  const weakened = weakenVersions(prebuild, addon, known);
  console.log(
    `fuzz-js: the Jazzer.js addon needs ${missing.join(', ')}, which this system lacks: running a copy with ${weakened.join(', ')} weak and ${path.relative(root, shim)} preloaded`,
  );
  const preload = [process.env.LD_PRELOAD, shim].filter(Boolean).join(':');
  return { args: [path.join(root, 'scripts', 'jazzer-compat', 'launch.cjs'), addon], env: { LD_PRELOAD: preload } };
}

/** How a JavaScript target reports a finding: its own invariant checks, or an exception. */
const FAILURE = /fuzz invariant|Uncaught Exception/;

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
if (!opts.all && opts.target === undefined) fail(`name a target (one of: ${known.map((t) => t.name).join(', ')}), or --all / --list / --help`);
if (opts.target !== undefined && !known.some((t) => t.name === opts.target))
  fail(`unknown target "${opts.target}" (targets: ${known.map((t) => t.name).join(', ')})`);

const command = jazzerCommand();
let status = 0;
for (const t of opts.all ? known : known.filter((k) => k.name === opts.target)) {
  const compiled = path.join(distDir, `${t.name}.js`);
  if (!fs.existsSync(compiled)) fail(`${path.relative(root, compiled)} is missing: run npm run build first`);
  const { work, copied } = prepareCorpus(seedsDir, workDir, t.name);
  const findings = path.join(workDir, 'findings', t.name);
  fs.mkdirSync(findings, { recursive: true });
  console.log(`fuzz-js: ${t.name}: ${copied} seeds copied into ${path.relative(root, work)}`);
  const includes = (INSTRUMENT[t.name] ?? INSTRUMENT.default).flatMap((p) => ['--includes', p]);
  // A file given after -- replays it (a crash file) instead of fuzzing.
  const replay = opts.passthrough.some((a) => !a.startsWith('-'));
  const args = [
    ...command.args,
    compiled,
    ...(replay ? [] : [work]),
    '--sync',
    ...includes,
    '--',
    ...(replay ? [] : [`-max_total_time=${opts.seconds}`]),
    '-max_len=4096',
    '-timeout=10',
    '-print_final_stats=1',
    `-artifact_prefix=${findings}/`,
    ...opts.passthrough,
  ];
  console.log(`$ node ${args.map((a) => (a.startsWith(root) ? path.relative(root, a) : a)).join(' ')}`);
  const result = await runFuzzer(process.execPath, args, { cwd: root, env: { ...process.env, ...command.env }, failure: FAILURE });
  const reproduce = (file) => `npm run fuzz:js -- --target ${t.name} -- ${file}`;
  status = Math.max(status, summarize({ tool: 'fuzz-js', fuzzer: 'Jazzer.js', target: t.name, result, work, failure: FAILURE, root, reproduce }));
}
process.exit(status);
