#!/usr/bin/env node
// Builds and runs the native test executables, optionally under a sanitizer:
//   node scripts/native-tests.mjs [--sanitize=address|thread]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const flag = process.argv.find((a) => a.startsWith('--sanitize='));
const sanitize = flag ? flag.slice('--sanitize='.length) : (process.env.PVG_SANITIZE ?? '');
if (!['', 'address', 'thread'].includes(sanitize)) {
  console.error(`native-tests: --sanitize must be "address" or "thread" (got "${sanitize}")`);
  process.exit(1);
}
const dir = path.join(root, sanitize ? `build-tests-${sanitize}` : 'build-tests');
const env = {
  ...process.env,
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1:strict_string_checks=1',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
  TSAN_OPTIONS: 'halt_on_error=1:second_deadlock_stack=1',
};
function run(cmd, args) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env, cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
run('cmake', ['-S', 'native', '-B', dir, '-DPVG_NATIVE_TESTS=ON', `-DPVG_SANITIZE=${sanitize}`, '-DCMAKE_BUILD_TYPE=RelWithDebInfo']);
run('cmake', ['--build', dir, '--parallel', '2']);
run('ctest', ['--test-dir', dir, '--output-on-failure']);
