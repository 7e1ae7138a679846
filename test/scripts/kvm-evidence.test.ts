// scripts/kvm-evidence.mjs: the KVM evidence run refuses, with the reason, where it cannot run.
import { spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['scripts/kvm-evidence.mjs', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });

describe('kvm-evidence', () => {
  it('says what it does with --help', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/bench\/results\/<machine>-<date>/);
  });

  it('refuses where KVM cannot run, with the reason, before writing anything', () => {
    const r = run(['--out', '/nonexistent/never-created'], { PVG_KVM_DEVICE: '/nonexistent/kvm' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/KVM cannot run here: .*\/nonexistent\/kvm/);
  });

  it.each([
    [['--repeat', '0'], /--repeat must be an integer 1–50/],
    [['--soak-frames', '10'], /--soak-frames must be an integer ≥ 1000/],
    [['--machine', '../x'], /--machine must be letters/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('refuses bad options %j', (args, message) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
