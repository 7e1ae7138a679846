// scripts/fuzz-campaign.sh, with a stand-in fuzz binary that reports as many executions as the
// corpus it was given holds: a campaign resumed from a grown corpus starts from all of it.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { foreignProcessEnv } from '../support/foreign-env.js';

// libFuzzer's shape as the script reads it: a job log in the working folder with the executions
// (here: the corpus's file count), and a replay (-runs=0) that prints coverage.
const STAND_IN = `#!/usr/bin/env bash
corpus=\${@: -1}
n=$(ls "$corpus" | wc -l)
if [[ " $* " == *" -runs=0 "* ]]; then echo "#$n DONE cov: 7 ft: 9"; exit 0; fi
echo "stat::number_of_executed_units: $n" > fuzz-0.log
`;

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function campaign(seedFiles: number): { status: number | null; stderr: string; summary: string } {
  dir = mkdtempSync(path.join(tmpdir(), 'pvg-fuzz-campaign-'));
  const bin = path.join(dir, 'bin');
  const seeds = path.join(dir, 'seeds', 'stub');
  mkdirSync(bin);
  mkdirSync(seeds, { recursive: true });
  writeFileSync(path.join(bin, 'fuzz-stub'), STAND_IN);
  chmodSync(path.join(bin, 'fuzz-stub'), 0o755);
  // Long names, as libFuzzer's SHA-1 names are: enough of them overflow a command line.
  for (let i = 0; i < seedFiles; i++) writeFileSync(path.join(seeds, `${i.toString(16).padStart(40, '0')}`), 'x');
  const out = path.join(dir, 'out');
  const r = spawnSync(
    'bash',
    [
      'scripts/fuzz-campaign.sh',
      '--bin',
      bin,
      '--seeds',
      path.join(dir, 'seeds'),
      '--out',
      out,
      '--execs',
      '1',
      '--threaded-execs',
      '0',
      '--jobs',
      '1',
      '--seconds',
      '5',
    ],
    // bash and coreutils, not our addon: no sanitizer runtime for them under test:asan.
    { encoding: 'utf8', timeout: 120_000, env: foreignProcessEnv() },
  );
  return { status: r.status, stderr: r.stderr, summary: r.status === 0 ? readFileSync(path.join(out, 'summary.tsv'), 'utf8') : '' };
}

describe('fuzz-campaign.sh', () => {
  it('starts from every seed of a corpus too big for one command line', () => {
    const r = campaign(30_000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // target, binary, execs (= the files the stand-in found), ..., cov, ft, corpus, findings
    const row = r.summary.trim().split('\n')[1]!.split('\t');
    expect(row[0]).toBe('stub');
    expect(row[2]).toBe('30000');
    expect(row.slice(8)).toEqual(['7', '9', '30000', '0']);
  }, 180_000);
});
