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
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
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
const ASAN_EXIT = 23; // ASan/LSan's exit status here (reports are then read and classified)
const TSAN_EXIT = 66;
const SANITIZERS = {
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

// Frames of ours: the addon's module, our sources, our namespace, node-addon-api compiled into it.
const OURS = /pvg_native\.node|\/native\/(src|test|fuzz|guest)\/|\bpvg::|node-addon-api|\bNapi::/;
// Modules a tolerated report may name: Node (V8, libuv, OpenSSL are linked into it), the
// sanitizer runtime and the C/C++ runtimes; RUNTIME_MODULES are the latter (skipped to find the
// code that made an access: memcpy, free, strdup, pthread_* are not who raced).
const RUNTIME_MODULES = /^(libtsan\.so[.\d]*|libasan\.so[.\d]*|libubsan\.so[.\d]*|libc\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libm\.so\.6|ld-linux-x86-64\.so\.2)$/;
const FOREIGN_MODULES = new RegExp(`^node$|${RUNTIME_MODULES.source}`);

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

// ------------------------------------------------------------------ building

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
function npmRun(script, env, what) {
  const start = Date.now();
  const r = spawnSync('npm', ['run', '--silent', script], { cwd: root, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    fail(`${what} failed (npm run ${script}: exit ${r.status ?? r.signal})`);
  }
  console.log(`e2e-sanitizers: ${what}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
}

function buildTypeScript() {
  const main = path.join(root, 'dist', 'cli', 'main.js');
  const built = fs.existsSync(main) ? fs.statSync(main).mtimeMs : 0;
  const sources = ['actors', 'cli', 'shared', 'vmm', 'bench', 'test'].map((d) => path.join(root, d)).filter((d) => fs.existsSync(d));
  const newest = Math.max(fs.statSync(path.join(root, 'index.ts')).mtimeMs, ...sources.map((d) => newestMtime(d, (n) => n.endsWith('.ts'))));
  if (built > newest) return;
  npmRun('build', process.env, built === 0 ? 'TypeScript build (dist/ missing)' : 'TypeScript build (dist/ older than the sources)');
}

// The sanitizer runtime to preload: the one of the compiler that built the addon, which must be
// the one the addon itself was linked against.
function findRuntime(sanitizer, dir) {
  const { runtime } = SANITIZERS[sanitizer];
  const addon = path.join(root, dir, 'Release', 'pvg_native.node');
  if (!fs.existsSync(addon)) fail(`${addon} does not exist`);
  let compiler = 'g++';
  const cache = path.join(root, dir, 'CMakeCache.txt');
  if (fs.existsSync(cache)) {
    const m = /^CMAKE_CXX_COMPILER:[A-Z]+=(.+)$/m.exec(fs.readFileSync(cache, 'utf8'));
    if (m) compiler = m[1].trim();
  }
  const printed = spawnSync(compiler, [`-print-file-name=${runtime}`], { encoding: 'utf8' });
  const file = (printed.stdout ?? '').trim();
  if (printed.status !== 0 || !path.isAbsolute(file) || !fs.existsSync(file)) {
    fail(`${compiler} does not know ${runtime} (got "${file}"); install the compiler's sanitizer runtime`);
  }
  const ldd = spawnSync('ldd', [addon], { encoding: 'utf8' });
  const linked = new RegExp(`^\\s*${runtime.replace('.so', '\\.so')}[.\\d]*\\s*=>\\s*(\\S+)`, 'm').exec(ldd.stdout ?? '');
  if (!linked) fail(`${addon} is not linked against ${runtime} (ldd): was it built with PVG_SANITIZE=${sanitizer}?`);
  if (fs.realpathSync(linked[1]) !== fs.realpathSync(file)) {
    fail(`${compiler} gives ${file} (${fs.realpathSync(file)}), but the addon is linked against ${linked[1]}`);
  }
  return { file, compiler, addon };
}

// ------------------------------------------------------------------ running

function runChild(args, env, prefix, timeoutMs) {
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
async function launcher(sanitizer, env, addon) {
  const probeArgs = ['-e', `require(${JSON.stringify(addon)})`];
  const works = (r) => r.code === 0 && sanitizerReports(r.out).length === 0 && !/Sanitizer|unexpected memory mapping/.test(r.out);
  const probe = await runChild(probeArgs, env, [], 60_000);
  if (works(probe)) return [];
  const arch = spawnSync('uname', ['-m'], { encoding: 'utf8' }).stdout.trim();
  const prefix = ['setarch', arch, '-R'];
  const again = await runChild(probeArgs, env, prefix, 60_000);
  if (works(again)) {
    console.log(`e2e-sanitizers: ${sanitizer}: Node does not start with the runtime preloaded; running under setarch -R (no ASLR)`);
    return prefix;
  }
  process.stderr.write(`${probe.out.slice(-3000)}\n---- under setarch -R ----\n${again.out.slice(-3000)}\n`);
  fail(`${sanitizer}: Node cannot load the addon with the sanitizer runtime preloaded, with or without ASLR (exit ${probe.code ?? probe.signal}, then ${again.code ?? again.signal})`);
}

// Where a report happened, for the tally: the function of its SUMMARY line (or of a leak's first
// frame past the allocator), without arguments or addresses.
function where(body) {
  const summary = /^SUMMARY: \w+Sanitizer: .*? in (.+)$/m.exec(body)?.[1] ?? / #1 0x[0-9a-f]+ in (.+)$/m.exec(body)?.[1] ?? '?';
  return summary.replace(/\s*\(\/[^)]*\+0x[0-9a-f]+\)$/, '').replace(/\(.*$/, '').replace(/ \S+:\d+(:\d+)?$/, '').trim();
}

// The module of a frame line ("... (pvg_native.node+0x25c0e)"), or '' if it names none.
function frameModule(frame) {
  const m = /\(([^()\s]+?)\+0x[0-9a-f]+\)\s*$/.exec(frame);
  return m ? path.basename(m[1]) : '';
}

// Classifies a TSan data race by its stacks: the two accesses and the racy memory's location.
// In each, the innermost frame outside the sanitizer and C/C++ runtimes is the code that made the
// access (or the allocation); if it is ours anywhere, the race is ours. A race made by Node's code
// on Node's memory is Node's, even when our frames appear further down (a call of ours into
// Node-API during which V8 did the racing work): tolerated, but told apart ('node-via-ours'). An
// access whose stack TSan could not restore ("[failed to restore the stack]") is Node's only if
// the memory is a heap block Node's code allocated, or Node's code is freeing it; otherwise the
// race is 'unknown' (fails).
export function classifyRace(body) {
  const sections = [];
  for (const line of body.split('\n')) {
    if (/^ {2}\S/.test(line)) sections.push({ head: line, frames: [] });
    else if (/^ {4}#\d+ /.test(line) && sections.length > 0) sections.at(-1).frames.push(line);
  }
  let deeper = false, unrestored = false, nodeMemory = false;
  for (const { head, frames } of sections) {
    const kind = /^ {2}(Previous )?(atomic )?(read|write)\b/i.test(head) ? 'access' : /^ {2}Location is/.test(head) ? 'location' : 'other';
    if (kind === 'other') continue;  // threads' creation, mutexes: who made them is not who raced
    if (frames.length === 0) {
      if (OURS.test(head)) return 'ours';  // a global of ours
      if (kind === 'access') unrestored = true;
      continue;
    }
    const inner = frames.find((f) => !RUNTIME_MODULES.test(frameModule(f)));
    if (inner === undefined) return 'unknown';  // only runtime frames: cannot tell whose
    if (OURS.test(inner)) return 'ours';
    if (!FOREIGN_MODULES.test(frameModule(inner))) return 'unknown';
    if (kind === 'location' && /heap block/.test(head)) nodeMemory = true;
    // Node's code freeing a block (operator delete / free under a frame of Node's) owns it: V8
    // deleting its own objects races its own uninstrumented writes, whose stack is often lost.
    if (kind === 'access' && /\b(operator delete|free)\b/.test(frames[0] ?? '') && FOREIGN_MODULES.test(frameModule(inner))) nodeMemory = true;
    if (frames.some((f) => OURS.test(f))) deeper = true;
  }
  if (unrestored && !nodeMemory) return 'unknown';
  return deeper ? 'node-via-ours' : 'node';
}

// Splits the output into sanitizer reports, each classified: 'ours' (fails the run), 'node' or
// 'node-via-ours' (tolerated), 'unknown' (fails the run: neither ours nor only Node's).
export function sanitizerReports(text) {
  const reports = [];
  const lines = text.split('\n');
  const classify = (kind, body) => {
    const modules = [...body.matchAll(/\(([^()\s]+?)\+0x[0-9a-f]+\)/g)].map((m) => path.basename(m[1]));
    let verdict = 'node';
    if (kind === 'tsan data race') verdict = classifyRace(body);
    else if (OURS.test(body)) verdict = 'ours';  // leaks, thread leaks, mutex misuse: any frame of ours
    else if (modules.length === 0 || !modules.every((m) => FOREIGN_MODULES.test(m))) verdict = 'unknown';
    reports.push({ kind, verdict, where: where(body), body });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^WARNING: ThreadSanitizer: /.test(line)) {
      // ==================\nWARNING: ThreadSanitizer: KIND ...\n ... SUMMARY ...\n==================
      let j = i + 1;
      while (j < lines.length && lines[j] !== '==================') j++;
      classify(`tsan ${line.replace(/^WARNING: ThreadSanitizer: /, '').replace(/\s*\(pid=\d+\)/, '')}`, lines.slice(i, j).join('\n'));
      i = j;
    } else if (/ERROR: LeakSanitizer: detected memory leaks/.test(line)) {
      // One report per leak ("Direct leak of ..." up to the next blank line), up to the SUMMARY.
      let j = i + 1;
      for (; j < lines.length && !/^SUMMARY: /.test(lines[j]); j++) {
        if (!/^(Direct|Indirect) leak of /.test(lines[j])) continue;
        let k = j + 1;
        while (k < lines.length && lines[k].trim() !== '') k++;
        classify('leak', lines.slice(j, k).join('\n'));
        j = k;
      }
      i = j;
    } else if (/ERROR: AddressSanitizer: |runtime error: |(ERROR|FATAL): ThreadSanitizer|Sanitizer CHECK failed|AddressSanitizer: nested bug/.test(line)) {
      // A memory error, undefined behaviour, a sanitizer failure: never tolerated.
      let j = i + 1;
      while (j < lines.length && !/^SUMMARY: /.test(lines[j]) && j < i + 200) j++;
      const body = lines.slice(i, j + 1).join('\n');
      reports.push({ kind: 'error', verdict: 'ours', where: line.trim(), body });
      i = j;
    }
  }
  return reports;
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
  if (!addonDir) npmRun('build:native', { ...process.env, PVG_SANITIZE: sanitizer }, `${sanitizer}: addon build (${dir}/, incremental)`);
  const runtime = findRuntime(sanitizer, dir);
  console.log(`e2e-sanitizers: ${sanitizer}: ${path.relative(root, runtime.addon)} with ${runtime.file} preloaded (${runtime.compiler})`);
  const env = { ...process.env, LD_PRELOAD: runtime.file, PVG_NATIVE_BUILD: dir, ...s.env };
  const prefix = await launcher(sanitizer, env, runtime.addon);
  const logDir = path.join(root, 'build-e2e-sanitizers');
  fs.mkdirSync(logDir, { recursive: true });
  let ok = true;
  for (const { workload, variant, cpu = 'ts' } of RUNS) {
    if (cpu === 'kvm' && !kvmUsable()) {
      console.log(`e2e-sanitizers: ${sanitizer} ${workload} on KVM skipped: /dev/kvm cannot be opened for reading and writing here`);
      continue;
    }
    const args = [path.join(root, 'bin', 'pvg-vmm.js'), 'run', '--workload', workload, '--variant', variant, '--devices', String(DEVICES),
      '--frames', String(frames), '--cpu', cpu, '--exit', '--quiet'];
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
      const key = `${x.kind} in ${x.where}${x.verdict === 'node-via-ours' ? ' (Node\'s code racing, reached from a Node-API call of ours)' : ''}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    console.log(
      `e2e-sanitizers: ${sanitizer} ${workload} (apple-gfx-${variant}, ${DEVICES} devices, cpu ${cpu}): ` +
        `${summary.fps ? `${DEVICES * frames} frames in ${summary.seconds.toFixed(2)} s (${summary.fps} fps)` : 'no frame count'}, ` +
        `wall ${r.seconds.toFixed(1)} s; reports: ${bad.length} failing, ${foreign.length} from Node itself (tolerated)` +
        `${problems.length ? ` — FAIL: ${problems.join('; ')}` : ' — ok'}`,
    );
    for (const [what, n] of [...tally].sort((a, b) => b[1] - a[1])) console.log(`    tolerated ${n}× ${what}`);
    for (const x of bad.slice(0, 5)) console.error(`\n---- ${x.verdict === 'ours' ? 'report involving our code' : 'report outside Node'} (${x.kind}) ----\n${x.body}\n`);
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
  buildTypeScript();
  let ok = true;
  for (const sanitizer of sanitizers) {
    const t = Date.now();
    const passed = await runSanitizer(sanitizer, frames, addonDir);
    console.log(`e2e-sanitizers: ${sanitizer}: ${passed ? 'pass' : 'FAIL'} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    ok &&= passed;
  }
  console.log(`e2e-sanitizers: ${ok ? 'pass' : 'FAIL'} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
  process.exit(ok ? 0 : 1);
}
