#!/usr/bin/env node
// Builds the C++ addon with cmake-js (run by `npm install`). PVG_SANITIZE=address|thread, or
// --sanitize=address|thread, selects a sanitizer variant, built into build-asan/ or build-tsan/.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const flag = process.argv.find((a) => a.startsWith('--sanitize='));
const sanitize = flag ? flag.slice('--sanitize='.length) : (process.env.PVG_SANITIZE ?? '');
const outDirs = { '': 'build', address: 'build-asan', thread: 'build-tsan' };
if (!(sanitize in outDirs)) {
  console.error(`pvg-vmm: PVG_SANITIZE must be empty, "address" or "thread" (got "${sanitize}")`);
  process.exit(1);
}

function has(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.status === 0;
}
const missing = [];
if (!has('cmake', ['--version'])) missing.push('CMake >= 3.20 (Debian/Ubuntu: apt-get install cmake)');
const cxx = process.env.CXX ?? 'c++';
if (!has(cxx, ['--version'])) missing.push(`a C++20 compiler "${cxx}" (Debian/Ubuntu: apt-get install g++)`);
if (missing.length > 0) {
  console.error('pvg-vmm: cannot build the native engine; install:');
  for (const m of missing) console.error(`  - ${m}`);
  process.exit(1);
}

const addonApiDir = require('node-addon-api').include_dir.replace(/"/g, '');
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const args = [
  cmakeJs,
  'build',
  '--directory',
  path.join(root, 'native'),
  '--out',
  path.join(root, outDirs[sanitize]),
  '--parallel',
  '2',
  `--CDNODE_ADDON_API_DIR=${path.resolve(root, addonApiDir)}`,
  `--CDPVG_SANITIZE=${sanitize}`,
];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
