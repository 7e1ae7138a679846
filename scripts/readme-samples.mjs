#!/usr/bin/env node
// Writes the README's sample outputs from a real run on this machine, naming the machine, so
// they never drift from what the command prints (test/scripts/readme-samples.test.ts checks the
// README's samples still have the shape the command prints today). Run after `npm run build`:
//   node scripts/readme-samples.mjs
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Each sample: the marker's id in README.md and the pvg-vmm arguments it shows. */
export const SAMPLES = [{ id: 'run', args: ['run', '--workload', 'desktop', '--frames', '300', '--exit'] }];

export const markers = (id) => [`<!-- sample ${id}: written by scripts/readme-samples.mjs from a real run -->`, `<!-- /sample ${id} -->`];

export function machine() {
  const cpus = os.cpus();
  // The load says whether other work shared the cores during the run (a shared box often has some).
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}`;
}

function runSample(args) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'pvg-vmm.js'), ...args], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`pvg-vmm ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout.trimEnd();
}

function main() {
  const file = path.join(root, 'README.md');
  let readme = readFileSync(file, 'utf8');
  for (const { id, args } of SAMPLES) {
    const [open, close] = markers(id);
    const from = readme.indexOf(open);
    const to = readme.indexOf(close);
    if (from < 0 || to < from) throw new Error(`README.md has no ${open} … ${close} block`);
    const output = runSample(args);
    const block = [
      open,
      `Measured on ${machine()}, ${new Date().toISOString().slice(0, 10)}; the time includes booting the VM:`,
      '',
      '```',
      `$ npx pvg-vmm ${args.join(' ')}`,
      output,
      '```',
      close,
    ].join('\n');
    readme = readme.slice(0, from) + block + readme.slice(to + close.length);
    console.log(`README.md: sample ${id} written`);
  }
  writeFileSync(file, readme);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
