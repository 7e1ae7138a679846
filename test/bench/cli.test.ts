// The bench command refuses bad --report values and --engine where it does not apply or cannot
// run before running anything (status 2; 1 for a backend this machine lacks), and its help
// describes both. Runs the compiled CLI (npm run build first); no suite runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../shared/package-root.js';

const CLI = path.join(packageRoot, 'dist', 'bench', 'cli.js');
// A timeout well under a suite's run: a refusal that came too late shows as a failure, not a hang.
const bench = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 15_000 });

describe('bench --report', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pvg-bench-cli-'));
  const file = path.join(dir, 'a-file');
  writeFileSync(file, 'x');

  it.each([
    [['mailbox', '--report', ''], /--report needs a folder/],
    [['mailbox', '--report', file], /exists and is not a folder/],
    [['mailbox', `--report=${path.join(file, 'sub')}`], /cannot create or write the folder \(ENOTDIR\)/],
    [['mailbox', '--report'], /argument missing/],
    [['scaling', '--repeat', '0'], /--repeat must be an integer from 1 to 100, got "0"/],
    [['scaling', '--repeat', '2.5'], /--repeat must be an integer/],
    [['scaling', '--devices', '1,x,4'], /--devices must list integers from 1 to 64, got "1,x,4"/],
    [['scaling', '--devices', '0'], /--devices must list integers/],
    [['all', '--report', dir, '--no-report'], /choose one/],
  ])('%j is refused with a clear message and status 2', (args, message) => {
    const r = bench(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('is described in --help', () => {
    const r = bench('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--report DIR/);
    expect(r.stdout).toMatch(/bench\/results\/<machine>-<YYYY-MM-DD>/);
  });
});

describe('bench --engine', () => {
  it.each([['mailbox'], ['vulkan'], ['scaling'], ['all']])('is refused for %s (a suite that does not take it) with status 2', (suite) => {
    const r = bench(suite, '--engine', 'soft');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--engine applies to the frames and engine suites only/);
    expect(r.stdout).toBe('');
  });

  it('names soft, vulkan and auto only', () => {
    const r = bench('frames', '--engine', 'metal');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--engine must be soft, vulkan, auto, got "metal"/);
  });

  // The loader's own variables point it at no driver: what a machine without a Vulkan driver sees.
  const noDriver = { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' };
  it.each([['frames'], ['engine']])('vulkan where it cannot run: %s is refused with the reason, status 1, before anything runs', (suite) => {
    const r = spawnSync(process.execPath, [CLI, suite, '--engine', 'vulkan'], { encoding: 'utf8', timeout: 15_000, env: noDriver });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`bench: cannot run ${suite}: --engine vulkan: (no-instance|no-device|no-loader|not-built) \\(`));
    expect(r.stdout).toBe('');
  });

  it('the help says which suites take it and what vulkan adds', () => {
    const r = bench('--help');
    expect(r.stdout).toMatch(/--engine E +frames and engine only/);
    expect(r.stdout).toMatch(/ratio_vulkan_vs_soft_\*/);
  });
});
