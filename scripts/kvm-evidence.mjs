#!/usr/bin/env node
// The KVM evidence run, for a machine that has /dev/kvm (docs/kvm.md, "Evidence"): the KVM
// vitest suites, a long KVM soak and `bench kvm` repeated, written under
// bench/results/<machine>-<date>/ with a README.md that gives medians and min–max. The
// development and CI machines have no KVM; this is how the KVM figures are kept honest there.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const HELP = `usage: node scripts/kvm-evidence.mjs [options]

On a machine with /dev/kvm: runs the KVM test suites, a KVM soak and bench kvm, and writes
what they measured under bench/results/<machine>-<date>/ (README.md, summary.json and each
run's JSON). Build first (npm ci, or npm run build after a change). Exits 2 where KVM cannot run,
1 when a step failed (the report is still written).

options:
  --repeat N       bench kvm runs (default 5; medians with min–max are reported)
  --soak-frames F  frames for the KVM soak (default 100000)
  --machine NAME   the results folder's machine part (default: from the CPU model and count,
                   e.g. xeon16)
  --out DIR        the results folder (default bench/results/<machine>-<date>)
  -h, --help       this text`;

const KVM_SUITES = [
  'test/vmm/kvm.test.ts',
  'test/bench/kvm.test.ts',
  'test/vmm/soak.test.ts',
  'test/cli/run.test.ts',
  'test/guest/c/guest-protocol.test.ts',
  'test/actors/vcpu',
  'test/guest/ts',
  'test/vmm/lifecycle.test.ts',
  'test/vmm/msi-vectors.test.ts',
  'test/vmm/spin-policy.test.ts',
  'test/shared/guest-memory.test.ts',
];

function fail(message, status = 2) {
  console.error(`kvm-evidence: ${message}`);
  process.exit(status);
}

function parseOptions() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        repeat: { type: 'string', default: '5' },
        'soak-frames': { type: 'string', default: '100000' },
        machine: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    fail(`${e.message}\n\n${HELP}`);
  }
  if (parsed.help) {
    console.log(HELP);
    process.exit(0);
  }
  const repeat = Number(parsed.repeat);
  const soakFrames = Number(parsed['soak-frames']);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 50) fail(`--repeat must be an integer 1–50 (got "${parsed.repeat}")`);
  if (!Number.isInteger(soakFrames) || soakFrames < 1000) fail(`--soak-frames must be an integer ≥ 1000 (got "${parsed['soak-frames']}")`);
  const machine = parsed.machine ?? defaultMachineName();
  if (!/^[\w.-]+$/.test(machine)) fail(`--machine must be letters, digits, '.', '_' or '-' (got "${machine}")`);
  const date = new Date().toISOString().slice(0, 10);
  const out = path.resolve(parsed.out ?? path.join(root, 'bench', 'results', `${machine}-${date}`));
  return { repeat, soakFrames, machine, out };
}

function defaultMachineName() {
  const model = os.cpus()[0]?.model ?? '';
  const family = /xeon/i.test(model) ? 'xeon' : /epyc/i.test(model) ? 'epyc' : /ryzen/i.test(model) ? 'ryzen' : 'cpu';
  return `${family}${os.cpus().length}`;
}

/** Runs a command with its output shown, and says how it ended and how long it took. */
function step(name, command, args, env = {}) {
  console.log(`\nkvm-evidence: ${name}: ${command} ${args.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const seconds = (Date.now() - started) / 1000;
  const ok = r.status === 0;
  console.log(`kvm-evidence: ${name}: ${ok ? 'ok' : `failed (exit ${r.status ?? r.signal})`} in ${seconds.toFixed(1)} s`);
  return { name, ok, seconds, status: r.status };
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** "median (min–max)" of what the runs measured at `key`, skipping runs that lack it. */
function figure(runs, key, digits, { spread, formatSpread }) {
  const values = runs.map((r) => key.split('.').reduce((o, k) => o?.[k], r)).filter((v) => typeof v === 'number');
  if (values.length === 0) return { text: 'not measured', median: null };
  const s = spread(values);
  return { text: formatSpread(s, digits), ...s };
}

const BENCH_FIGURES = [
  ['ratio_kvm_mmio_vs_raw_exit', 'device MMIO read / bare exit (target ≤ 1.5)'],
  ['ratio_unassigned_vs_raw_exit', 'unassigned read / bare exit'],
  ['ratio_inject_vs_raw_exit', 'interrupt injection / bare exit'],
  ['paths.raw_exit.mean_us', 'bare exit round trip, mean µs'],
  ['mmio.device_read_us', 'device MMIO read from the guest, µs'],
  ['mmio.unassigned_read_us', 'unassigned read from the guest, µs'],
  ['paths.inject.p50_us', 'interrupt injection p50 µs'],
  ['paths.inject.p99_us', 'interrupt injection p99 µs'],
  ['ratio_fps_kvm_vs_ts_1080p', 'frames/s KVM guest / TypeScript guest, 1080p'],
  ['ratio_fps_kvm_vs_ts_480p', 'frames/s KVM guest / TypeScript guest, 640x480'],
];

function vitestCounts(report) {
  if (!report) return null;
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests,
    skipped: report.numPendingTests + (report.numTodoTests ?? 0),
    total: report.numTotalTests,
  };
}

function writeReadme({ out, machine, steps, suites, soak, benchRuns, figures, options }) {
  const m = benchRuns[0]?.machine ?? soak?.machine;
  const lines = [
    `# KVM evidence, ${path.basename(out)}`,
    '',
    `\`node scripts/kvm-evidence.mjs --repeat ${options.repeat} --soak-frames ${options.soakFrames}\` on ${
      m ? `${m.cpus} × "${m.cpu_model}", ${m.memory_gib} GiB, Node ${m.node}, ${m.platform}` : machine
    }, ${new Date().toISOString()}.`,
    '',
    '## Steps',
    '',
    '| step | result | seconds |',
    '|---|---|---|',
    ...steps.map((s) => `| ${s.name} | ${s.ok ? 'ok' : `**failed** (exit ${s.status})`} | ${s.seconds.toFixed(1)} |`),
    '',
    '## KVM test suites',
    '',
    suites
      ? `${suites.passed} passed, ${suites.failed} failed, ${suites.skipped} skipped of ${suites.total} (${KVM_SUITES.join(', ')}); vitest's report: \`vitest-kvm.json\`.`
      : 'No vitest report was written.',
    '',
    `## \`bench kvm\` × ${benchRuns.length}: median (min–max)`,
    '',
    '| figure | key | median (min–max) |',
    '|---|---|---|',
    ...BENCH_FIGURES.map(([key, label]) => `| ${label} | \`${key}\` | ${figures[key].text} |`),
    '',
    `Each run's JSON: ${benchRuns.map((_, i) => `\`kvm-run${i + 1}.json\``).join(', ')}.`,
    '',
    `## KVM soak, ${options.soakFrames} frames`,
    '',
  ];
  if (soak) {
    lines.push(
      `${soak.framesDone} frames in ${(soak.elapsedMs / 1000).toFixed(0)} s (${soak.fps.toFixed(0)} frames/s) on ${soak.options.devices} devices, ` +
        `verdict **${soak.analysis?.verdict ?? (soak.analysis?.metrics?.every((x) => x.flat) ? 'flat' : 'not flat')}**; fault: ${soak.fault ?? 'none'}.`,
      '',
      '| metric | baseline MiB | growth after warm-up MiB | % | flat |',
      '|---|---|---|---|---|',
      ...(soak.analysis?.metrics ?? []).map(
        (x) =>
          `| ${x.label} | ${(x.baselineBytes / 2 ** 20).toFixed(1)} | ${(x.growthBytes / 2 ** 20).toFixed(2)} | ${x.growthPercent?.toFixed(2) ?? '–'} | ${x.flat} |`,
      ),
      '',
      'Its JSON: `soak-kvm.json`.',
    );
  } else {
    lines.push('The soak wrote no report.');
  }
  fs.writeFileSync(path.join(out, 'README.md'), `${lines.join('\n')}\n`);
}

async function main() {
  const options = parseOptions();
  const dist = path.join(root, 'dist', 'actors', 'vcpu', 'kvm', 'availability.js');
  if (!fs.existsSync(dist)) fail('dist/ is missing: run "npm ci" (or "npm run build") first');
  const { kvmUnavailableReason } = await import(dist);
  const unavailable = kvmUnavailableReason();
  if (unavailable) fail(`KVM cannot run here: ${unavailable}`);

  fs.mkdirSync(options.out, { recursive: true });
  console.log(`kvm-evidence: writing to ${options.out}`);
  const steps = [];
  const vitestReport = path.join(options.out, 'vitest-kvm.json');
  steps.push(
    step('KVM test suites', process.execPath, [
      path.join(root, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      ...KVM_SUITES,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${vitestReport}`,
    ]),
  );
  const suites = vitestCounts(readJson(vitestReport));
  // On this machine a KVM test that skips would hide a failure: count it as one.
  if (suites && suites.skipped > 0) {
    steps.push({ name: `KVM test suites: ${suites.skipped} skipped on a machine with KVM`, ok: false, seconds: 0, status: 'skip' });
  }

  const soakFile = path.join(options.out, 'soak-kvm.json');
  steps.push(
    step('KVM soak', process.execPath, [
      '--expose-gc',
      path.join(root, 'dist', 'bench', 'soak', 'cli.js'),
      '--cpu',
      'kvm',
      '--devices',
      '8',
      '--frames',
      String(options.soakFrames),
      '--modes',
      '640x480@60,320x200@60,800x600@60',
      '--quiet',
      '--json',
      '--out',
      soakFile,
    ]),
  );

  const benchRuns = [];
  for (let i = 1; i <= options.repeat; i++) {
    const file = path.join(options.out, `kvm-run${i}.json`);
    steps.push(
      step(`bench kvm run ${i}/${options.repeat}`, process.execPath, ['--expose-gc', path.join(root, 'dist', 'bench', 'cli.js'), 'kvm', '--out', file]),
    );
    const run = readJson(file);
    if (run) benchRuns.push(run);
  }

  const spreads = await import(path.join(root, 'dist', 'bench', 'spread.js'));
  const figures = Object.fromEntries(BENCH_FIGURES.map(([key]) => [key, figure(benchRuns, key, key.startsWith('ratio') ? 2 : 1, spreads)]));
  const soak = readJson(soakFile);
  fs.writeFileSync(
    path.join(options.out, 'summary.json'),
    `${JSON.stringify({ machine: benchRuns[0]?.machine ?? soak?.machine ?? null, options, steps, suites, bench_kvm: figures, soak_verdict: soak?.analysis?.verdict ?? null }, null, 2)}\n`,
  );
  writeReadme({ out: options.out, machine: options.machine, steps, suites, soak, benchRuns, figures, options });
  console.log(`\nkvm-evidence: report in ${path.relative(root, options.out) || options.out}/README.md`);
  for (const [key, label] of BENCH_FIGURES) console.log(`  ${label}: ${figures[key].text}`);
  const failed = steps.filter((s) => !s.ok);
  if (failed.length > 0) fail(`${failed.length} step(s) failed: ${failed.map((s) => s.name).join('; ')}`, 1);
}

await main();
