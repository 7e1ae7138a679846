// scripts/system-deps.mjs: npm test's check for the Debian packages its tests need.
import { spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['scripts/system-deps.mjs', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });

describe('system-deps', () => {
  it('finds what the tests need on this machine (npm test ran it first)', () => {
    const r = run(['--check']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('names the missing packages and the command, and installs nothing, when it may only check', () => {
    // With no PATH nothing is found: every command-backed need is missing.
    const r = run(['--check', '--for', 'ci'], { PATH: '/nonexistent' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing for CI:/);
    expect(r.stderr).toMatch(/- cmake: builds the native engine/);
    expect(r.stderr).toMatch(/apt-get install -y .*cmake/);
  });

  it('refuses a purpose it does not know', () => {
    const r = run(['--for', 'everything']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--for must be "test" or "ci"/);
  });
});
