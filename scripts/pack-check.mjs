#!/usr/bin/env node
// The package as a user gets it: packs the tarball, checks it holds everything its compiled code
// imports and nothing of the tests' own, installs it into a fresh consumer project (which builds
// the native engine there), and runs from that project what the README says a user runs: the
// embedding example, `npx pvg-vmm run --exit`, `npx pvg-vmm --version` and require('pvg-vmm').
// Needs the npm registry (for the package's dependencies). `npm run pack:check`; CI runs it.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(path.join(tmpdir(), 'pvg-pack-'));
const failures = [];
const fail = (line) => {
  failures.push(line);
  console.error(`pack-check: FAIL ${line}`);
};
const say = (line) => console.log(`pack-check: ${line}`);

function run(cmd, args, cwd, timeoutMs = 600_000) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

// 1. Pack (npm runs `prepare`, the TypeScript build, first).
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
);
const tarball = path.join(work, packed[0].filename);
const files = new Set(packed[0].files.map((f) => f.path));
say(`${packed[0].filename}: ${files.size} files, ${(packed[0].size / 1024).toFixed(0)} KiB`);

// 2. What it holds: no tests, no native test/fuzz/testing sources, no test hooks, no source maps;
// every import resolves.
for (const f of files) {
  if (
    /\.test\.(js|ts)$/.test(f) ||
    f.startsWith('native/test/') ||
    f.startsWith('native/fuzz/') ||
    // The test and benchmark harness: the testing addon's sources and the VM test hooks.
    f.startsWith('native/testing/') ||
    f.startsWith('dist/test/support/faulty-device/') ||
    f.startsWith('dist/test/support/test-vm.') ||
    f.endsWith('.map') ||
    f.startsWith('docs/api/')
  ) {
    fail(`the tarball ships ${f}`);
  }
}
for (const required of [
  'LICENSE',
  'CHANGELOG.md',
  'README.md',
  'package.json',
  'dist/index.js',
  'dist/index.d.ts',
  'bin/pvg-vmm.js',
  'scripts/build-native.mjs',
  'native/CMakeLists.txt',
]) {
  if (!files.has(required)) fail(`the tarball lacks ${required}`);
}
const staged = path.join(work, 'staged');
mkdirSync(staged);
execFileSync('tar', ['-xzf', tarball, '-C', staged]);
for (const f of files) {
  if (!f.endsWith('.js') || !f.startsWith('dist/')) continue;
  const text = readFileSync(path.join(staged, 'package', f), 'utf8');
  // Relative imports, and the modules workers are started from (paths from the package root).
  const relative = [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => path.posix.join(path.posix.dirname(f), m[1]));
  const workers = [...text.matchAll(/(?:module: |startWorker\()'((?:actors|outputs|guest|test|bench|shared)\/[\w/-]+)'/g)].map((m) => `dist/${m[1]}.js`);
  for (const target of [...relative, ...workers]) if (!files.has(target)) fail(`${f} needs ${target}, which the tarball lacks`);
}

// 3. A fresh consumer project installs it (the engine builds there) and runs it.
const consumer = path.join(work, 'consumer');
mkdirSync(consumer);
writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'pvg-consumer', private: true, type: 'module' }, null, 2));
say(`installing into ${consumer} (builds the native engine)`);
const install = run('npm', ['install', '--no-audit', '--no-fund', tarball], consumer, 900_000);
if (install.status !== 0) {
  fail(`npm install exited ${install.status}: ${install.stderr.slice(-2000)}`);
} else {
  copyFileSync(path.join(root, 'examples', 'embedding.mjs'), path.join(consumer, 'embedding.mjs'));
  const example = run(process.execPath, ['embedding.mjs'], consumer);
  if (example.status !== 0 || !/^display 0: 1920x1080$/m.test(example.stdout) || !/100 frames drawn/.test(example.stdout)) {
    fail(`the README's example: status ${example.status}\n${example.stdout}${example.stderr}`);
  } else say(`README example: ${example.stdout.trim().split('\n').at(-1)}`);
  const cli = run('npx', ['pvg-vmm', 'run', '--exit'], consumer);
  if (cli.status !== 0 || !/^frames: 300 in /m.test(cli.stdout)) fail(`npx pvg-vmm run --exit: status ${cli.status}\n${cli.stdout}${cli.stderr}`);
  else say(`npx pvg-vmm run --exit: ${cli.stdout.split('\n')[0]}`);
  const version = run('npx', ['pvg-vmm', '--version'], consumer);
  const expected = `pvg-vmm ${JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version}`;
  if (version.stdout.trim() !== expected) fail(`npx pvg-vmm --version said "${version.stdout.trim()}", not "${expected}"`);
  // CommonJS callers: require(esm), on from Node 20.19 (package.json engines).
  const cjs = run(process.execPath, ['-e', "const { Vm } = require('pvg-vmm'); if (typeof Vm.create !== 'function') process.exit(1)"], consumer);
  if (cjs.status !== 0) fail(`require('pvg-vmm') failed: ${cjs.stderr.slice(-1000)}`);
}

if (failures.length === 0) rmSync(work, { recursive: true, force: true });
else console.error(`pack-check: ${failures.length} failures; the work is left in ${work}`);
say(failures.length === 0 ? 'ok' : 'FAILED');
process.exit(failures.length === 0 ? 0 : 1);
