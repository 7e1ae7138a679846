// Running Node with the addon built under a sanitizer: the builds, the sanitizer runtime to
// preload, and a launcher that works around TSan's fixed shadow mappings. Shared by the
// end-to-end run (scripts/e2e-sanitizers.mjs) and the sanitized test suite (scripts/test-asan.mjs).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { sanitizerReports } from './reports.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A setup step that cannot go on (a build failed, no runtime): the caller says so and exits 1. */
export class SanitizerSetupError extends Error {}

export const ASAN_EXIT = 23; // ASan/LSan's exit status here (reports are then read and classified)
export const TSAN_EXIT = 66;
export const SANITIZERS = {
  address: {
    dir: 'build-asan',
    runtime: 'libasan.so',
    env: {
      // Leaks checked at exit (LSan); the first memory error ends the process; UBSan is built
      // with -fno-sanitize-recover, so its first report ends it too.
      ASAN_OPTIONS: `detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=${ASAN_EXIT}`,
      UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
    },
    exitCode: ASAN_EXIT,
  },
  thread: {
    dir: 'build-tsan',
    runtime: 'libtsan.so',
    env: {
      // Go on after a report, so that Node's own reports do not end the run before ours could
      // show; every report is classified afterwards. A longer history restores more previous
      // access stacks (a stack that cannot be restored shows no frames, ours included).
      TSAN_OPTIONS: `halt_on_error=0:exitcode=${TSAN_EXIT}:history_size=4:second_deadlock_stack=1`,
    },
    exitCode: TSAN_EXIT,
  },
};

function newestMtime(dir, filter) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full, filter));
    else if (filter(entry.name)) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

// npm run SCRIPT, quietly unless it fails.
export function npmRun(script, env, what, tag) {
  const start = Date.now();
  const r = spawnSync('npm', ['run', '--silent', script], { cwd: root, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    throw new SanitizerSetupError(`${what} failed (npm run ${script}: exit ${r.status ?? r.signal})`);
  }
  console.log(`${tag}: ${what}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
}

export function buildTypeScript(tag) {
  const main = path.join(root, 'dist', 'cli', 'main.js');
  const built = fs.existsSync(main) ? fs.statSync(main).mtimeMs : 0;
  const sources = ['actors', 'guest', 'outputs', 'cli', 'shared', 'vmm', 'bench', 'test'].map((d) => path.join(root, d)).filter((d) => fs.existsSync(d));
  const newest = Math.max(fs.statSync(path.join(root, 'index.ts')).mtimeMs, ...sources.map((d) => newestMtime(d, (n) => n.endsWith('.ts'))));
  if (built > newest) return;
  npmRun('build', process.env, built === 0 ? 'TypeScript build (dist/ missing)' : 'TypeScript build (dist/ older than the sources)', tag);
}

// The sanitizer runtime to preload: the one of the compiler that built the addon, which must be
// the one the addon itself was linked against.
export function findRuntime(sanitizer, dir) {
  const { runtime } = SANITIZERS[sanitizer];
  const addon = path.join(root, dir, 'Release', 'pvg_native.node');
  if (!fs.existsSync(addon)) throw new SanitizerSetupError(`${addon} does not exist`);
  let compiler = 'g++';
  const cache = path.join(root, dir, 'CMakeCache.txt');
  if (fs.existsSync(cache)) {
    const m = /^CMAKE_CXX_COMPILER:[A-Z]+=(.+)$/m.exec(fs.readFileSync(cache, 'utf8'));
    if (m) compiler = m[1].trim();
  }
  const printed = spawnSync(compiler, [`-print-file-name=${runtime}`], { encoding: 'utf8' });
  const file = (printed.stdout ?? '').trim();
  if (printed.status !== 0 || !path.isAbsolute(file) || !fs.existsSync(file)) {
    throw new SanitizerSetupError(`${compiler} does not know ${runtime} (got "${file}"); install the compiler's sanitizer runtime`);
  }
  const ldd = spawnSync('ldd', [addon], { encoding: 'utf8' });
  const linked = new RegExp(`^\\s*${runtime.replace('.so', '\\.so')}[.\\d]*\\s*=>\\s*(\\S+)`, 'm').exec(ldd.stdout ?? '');
  if (!linked) throw new SanitizerSetupError(`${addon} is not linked against ${runtime} (ldd): was it built with PVG_SANITIZE=${sanitizer}?`);
  if (fs.realpathSync(linked[1]) !== fs.realpathSync(file)) {
    throw new SanitizerSetupError(`${compiler} gives ${file} (${fs.realpathSync(file)}), but the addon is linked against ${linked[1]}`);
  }
  return { file, compiler, addon };
}

export function runChild(args, env, prefix, timeoutMs) {
  return new Promise((resolve) => {
    const start = Date.now();
    const [cmd, ...rest] = [...prefix, process.execPath, ...args];
    const child = spawn(cmd, rest, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, timedOut, seconds: (Date.now() - start) / 1000 });
    });
  });
}

// Loads the addon in a bare Node with the runtime preloaded. TSan maps its shadow memory at fixed
// addresses; with a high ASLR entropy a library can land in it ("unexpected memory mapping"):
// then try again without ASLR (setarch -R), as the sanitizer's documentation advises.
export async function launcher(sanitizer, env, addon, tag) {
  const probeArgs = ['-e', `require(${JSON.stringify(addon)})`];
  const works = (r) => r.code === 0 && sanitizerReports(r.out).length === 0 && !/Sanitizer|unexpected memory mapping/.test(r.out);
  const probe = await runChild(probeArgs, env, [], 60_000);
  if (works(probe)) return [];
  const arch = spawnSync('uname', ['-m'], { encoding: 'utf8' }).stdout.trim();
  const prefix = ['setarch', arch, '-R'];
  const again = await runChild(probeArgs, env, prefix, 60_000);
  if (works(again)) {
    console.log(`${tag}: ${sanitizer}: Node does not start with the runtime preloaded; running under setarch -R (no ASLR)`);
    return prefix;
  }
  process.stderr.write(`${probe.out.slice(-3000)}\n---- under setarch -R ----\n${again.out.slice(-3000)}\n`);
  throw new SanitizerSetupError(
    `${sanitizer}: Node cannot load the addon with the sanitizer runtime preloaded, with or without ASLR (exit ${probe.code ?? probe.signal}, then ${again.code ?? again.signal})`,
  );
}
