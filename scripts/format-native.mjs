#!/usr/bin/env node
// clang-format over the C and C++ sources git knows (.clang-format): --write rewrites them,
// --check (the default) lists the files that differ and fails, as CI runs it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const write = process.argv.includes('--write');
const unknown = process.argv.slice(2).filter((a) => a !== '--write' && a !== '--check');
if (unknown.length > 0) {
  console.error(`format-native: unknown argument ${unknown.join(' ')} (use --check or --write)`);
  process.exit(2);
}
if (spawnSync('clang-format', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('format-native: clang-format not found (Debian: apt-get install clang-format; node scripts/system-deps.mjs --for ci installs it)');
  process.exit(1);
}
const listed = spawnSync('git', ['ls-files', '-z', 'native/*.h', 'native/*.hpp', 'native/*.c', 'native/*.cpp', 'guest/c/*.h', 'guest/c/*.c'], {
  cwd: root,
  encoding: 'utf8',
});
if (listed.status !== 0) {
  console.error(`format-native: git ls-files failed: ${listed.stderr}`);
  process.exit(1);
}
const files = listed.stdout.split('\0').filter(Boolean);
const args = write ? ['-i', ...files] : ['--dry-run', '--Werror', ...files];
const r = spawnSync('clang-format', args, { cwd: root, encoding: 'utf8' });
if (r.status !== 0) {
  const differ = [...new Set([...r.stderr.matchAll(/^(\S+?):\d+:\d+: (?:error|warning)/gm)].map((m) => m[1]))];
  console.error(`format-native: ${differ.length} file(s) not formatted (npm run format fixes them):\n${differ.map((f) => `  ${f}`).join('\n') || r.stderr}`);
  process.exit(1);
}
console.log(`format-native: ${files.length} files ${write ? 'formatted' : 'formatted already'}`);
