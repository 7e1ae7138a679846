// What the native (libFuzzer) and JavaScript (Jazzer.js, libFuzzer inside) fuzz scripts share:
// listing targets by their first comment line, refreshing a working corpus from the seeds,
// running the fuzzer while echoing and keeping the lines a summary needs, and the summary.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Lines libFuzzer prints that the summary reads (stats, progress, where a crash was written). */
const LIBFUZZER_LINES = /^(stat::|#\d+\s+(DONE|INITED|NEW|REDUCE|pulse)|Done \d+ runs)|Test unit written to|artifact_prefix/;

/**
 * The targets in `dir` with extension `ext`, each `{ name, about }`: `about` is the first line's
 * "// Fuzz target `name`: what it fuzzes"; `nameOf` turns a file's base name into the target's.
 */
export function describedTargets(dir, ext, nameOf = (base) => base) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => {
      const first = fs.readFileSync(path.join(dir, f), 'utf8').split('\n')[0];
      const m = /^\/\/ Fuzz target `[^`]+`: (.*)$/.exec(first);
      return { name: nameOf(f.slice(0, -ext.length)), about: m ? m[1] : '' };
    });
}

/** The working corpus `<workRoot>/corpus/<target>`, with the seeds copied in afresh (they may have changed). */
export function prepareCorpus(seedsRoot, workRoot, target) {
  const work = path.join(workRoot, 'corpus', target);
  fs.mkdirSync(work, { recursive: true });
  const seeds = path.join(seedsRoot, target);
  let copied = 0;
  if (fs.existsSync(seeds)) {
    for (const f of fs.readdirSync(seeds)) {
      fs.copyFileSync(path.join(seeds, f), path.join(work, `seed-${f}`));
      copied++;
    }
  }
  return { work, copied };
}

/**
 * Runs a fuzzer, echoing its output, and resolves to its exit and the lines the summary needs:
 * libFuzzer's own and those matching `failure` (how this kind of target reports a finding).
 */
export function runFuzzer(file, args, { cwd, env, failure }) {
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd, env });
    const lines = [];
    let partial = '';
    const take = (chunk, out) => {
      out.write(chunk);
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop();
      for (const l of parts) if (LIBFUZZER_LINES.test(l) || failure.test(l)) lines.push(l);
    };
    child.stdout.on('data', (c) => take(c, process.stdout));
    child.stderr.on('data', (c) => take(c, process.stderr));
    const started = Date.now();
    child.on('close', (status, signal) => resolve({ status, signal, lines, seconds: (Date.now() - started) / 1000 }));
  });
}

/**
 * Prints what a run did (inputs, rate, coverage, corpus) and any finding with how to reproduce it;
 * returns 0 for no finding, 1 for one. `tool` prefixes the lines, `fuzzer` names the program in
 * an exit without a recognised cause, `reproduce(file)` is the command that replays a crash file.
 */
export function summarize({ tool, fuzzer, target, result, work, failure, root, reproduce }) {
  const stat = (name) =>
    result.lines
      .find((l) => l.startsWith(`stat::${name}:`))
      ?.split(':')
      .pop()
      .trim();
  const last = [...result.lines].reverse().find((l) => /^#\d+\s+(DONE|pulse|NEW|REDUCE|INITED)/.test(l)) ?? '';
  const cov = /cov: (\d+)/.exec(last)?.[1] ?? '?';
  const ft = /ft: (\d+)/.exec(last)?.[1] ?? '?';
  const execs = stat('number_of_executed_units') ?? /^#(\d+)/.exec(last)?.[1] ?? '?';
  const rate = stat('average_exec_per_sec') ?? '?';
  const coverage = last ? `; coverage ${cov} edges, ${ft} features` : '';
  const corpus = fs.readdirSync(work).length;
  console.log(`\n${tool}: ${target}: ${execs} inputs tried in ${result.seconds.toFixed(0)} s (${rate}/s)${coverage}; corpus ${corpus} inputs`);
  const written = result.lines.map((l) => /Test unit written to (.*)$/.exec(l)?.[1]).filter(Boolean);
  if (result.status === 0 && written.length === 0) {
    console.log(`${tool}: ${target}: no finding`);
    return 0;
  }
  const why = result.lines.find((l) => failure.test(l)) ?? `${fuzzer} exited with ${result.status ?? result.signal}`;
  console.log(`${tool}: ${target}: FINDING: ${why}`);
  for (const f of written) {
    console.log(`${tool}: crash file: ${path.resolve(root, f)}`);
    console.log(`${tool}: reproduce: ${reproduce(path.resolve(root, f))}`);
  }
  return 1;
}
