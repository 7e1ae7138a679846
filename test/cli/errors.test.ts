// The pvg-vmm command's edges as a user meets them: --version, run --json, one-line errors
// without the usage text, output paths checked before the run, help naming the command typed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { runReport, type RunReport } from '../../cli/run-report.js';
import { packageRoot } from '../../shared/package-root.js';

const BIN = path.join(packageRoot, 'bin', 'pvg-vmm.js');
const pvg = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
const version = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

describe('pvg-vmm edges', () => {
  it.each([['--version'], ['-V'], ['-v'], ['version']])('%s prints the package version', (flag) => {
    const r = pvg(flag);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`pvg-vmm ${version}\n`);
  });

  it('run --json prints one object: the summary, every counter and the read latency histograms', () => {
    const r = pvg('run', '--json', '--frames', '6', '--modes', '320x200@60', '--exit');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report.summary.frames).toBe(6);
    expect(report.summary.fps).toBeGreaterThan(0);
    expect(report.stats.vcpus[0]!.guest?.framesDone).toBe(6);
    expect(report.stats.devices[0]!.engine!.mmioReads).toBeGreaterThan(0);
    expect(report.stats.compositor.displays[0]!.frames).toBeGreaterThan(0);
    const h = report.readLatency[0]!;
    expect(h.count).toBe(report.stats.vcpus[0]!.bus.readLatency.count);
    expect(h.buckets.reduce((n, b) => n + b.count, 0)).toBe(h.count);
    for (const b of h.buckets) expect(b.toUs === null || b.toUs > b.fromUs).toBe(true);
    expect(h.p50Us).not.toBeNull();
    expect(h.p50Us!).toBeLessThanOrEqual(h.p99Us!);
  });

  it('runReport gives null quantiles and no buckets for a vCPU that read nothing', () => {
    const stats = { vcpus: [{ vcpu: 0, guest: null, bus: { readLatency: { count: 0, totalUs: 0, buckets: new Array(64).fill(0) } } }] };
    const report = runReport(stats as never, 0);
    expect(report.summary).toEqual({ frames: 0, framesAtRestore: null, seconds: 0, fps: 0 });
    expect(report.readLatency).toEqual([{ vcpu: 0, count: 0, meanUs: null, p50Us: null, p90Us: null, p99Us: null, buckets: [] }]);
  });

  it('runReport after a restore: frames since boot, the count at the restore, fps over the frames drawn since', () => {
    const guest = { framesDone: 90 };
    const stats = { vcpus: [{ vcpu: 0, guest, bus: { readLatency: { count: 0, totalUs: 0, buckets: new Array(64).fill(0) } } }] };
    expect(runReport(stats as never, 2000, 60).summary).toEqual({ frames: 90, framesAtRestore: 60, seconds: 2, fps: 15 });
  });

  it.each([
    [['run', '--frames', '-3'], /^pvg-vmm: --frames must be an integer in \[0, 1000000000\], got "-3"/],
    [['run', '--seed', '-1'], /^pvg-vmm: --seed must be an integer in \[0, 4294967295\], got "-1"/],
    [['run', '--damage', '-5'], /^pvg-vmm: --damage must be a number in \(0, 100\], got "-5"/],
    [['trace', '--out', 't.json', '--frames', '-3'], /^pvg-vmm: --frames must be an integer in \[1, 1000000\], got "-3"/],
    [['trace', '--out', '/missing/dir/t.json'], /^pvg-vmm: --out \/missing\/dir\/t\.json: the folder \/missing\/dir does not exist/],
    [['trace', '--out', tmpdir()], /that is a folder, not a file/],
    [['trace', '--out', path.join(tmpdir(), 't.json'), '--svg', '/missing/t.svg'], /^pvg-vmm: --svg \/missing\/t\.svg: the folder \/missing does not exist/],
  ])('%j is refused in one line, before anything runs, with status 2', (args, message) => {
    const r = pvg(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('a port already in use is one line and status 1, no usage text', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      for (const flag of ['--vnc', '--web']) {
        const r = spawnSync(process.execPath, [BIN, 'run', flag, String(port), '--frames', '1', '--modes', '320x200@60', '--exit'], {
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(r.status, flag).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`^pvg-vmm: cannot start the outputs: .*EADDRINUSE.*:${port}\\n$`));
      }
    } finally {
      server.close();
    }
  });

  it('a trace that cannot be written after the run is one line and status 1', () => {
    // /dev/full passes the check before the run (its folder exists) and refuses every write.
    const r = pvg('trace', '--frames', '2', '--modes', '320x200@60', '--out', '/dev/full');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^pvg-vmm: cannot write \/dev\/full: ENOSPC/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('help names the command as typed: pvg-vmm bench, not npm run bench', () => {
    const r = pvg('bench', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: pvg-vmm bench SUITE\|all/);
    expect(r.stdout).not.toContain('npm run');
    const top = pvg('--help');
    expect(top.stdout).toMatch(/-V, --version/);
  });

  it('a checked --out is where the trace lands', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'pvg-out-')), 't.json');
    const r = pvg('trace', '--frames', '2', '--modes', '320x200@60', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).traceEvents.length).toBeGreaterThan(0);
  });
});
