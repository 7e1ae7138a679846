// The pvg-vmm command as a person uses it: a summary after --exit, clear errors for bad input,
// help text, and a clean stop on Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { kvmUnavailableReason } from '../../actors/vcpu/kvm/availability.js';
import { native } from '../../shared/native/addon.js';
import { packageRoot } from '../../shared/package-root.js';
import { RfbTestClient } from '../support/vnc-client/rfb-client.js';

const BIN = path.join(packageRoot, 'bin', 'pvg-vmm.js');
const pvg = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('pvg-vmm run', () => {
  it('runs a workload and prints a summary with --exit', () => {
    const r = pvg('run', '--workload', 'damage', '--frames', '12', '--modes', '320x200@60', '--exit');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^frames: 12 in /m);
    expect(r.stdout).toMatch(/vcpu0 \(ts\): done, workload damage, 12 frames/);
    expect(r.stdout).toMatch(/errors: none/);
    expect(r.stdout).toMatch(/display0: 320x200, 13 frames/);
  });

  it('--cpu kvm runs the machine-code guest and reports its exits; --cpu is checked', () => {
    const unavailable = kvmUnavailableReason();
    if (unavailable) {
      console.warn(`--cpu kvm part skipped: ${unavailable}`);
    } else {
      const r = pvg('run', '--cpu', 'kvm', '--workload', 'desktop', '--frames', '12', '--modes', '320x200@60', '--exit');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/vcpu0 \(kvm\): done, workload desktop, 12 frames/);
      expect(r.stdout).toMatch(/kvm exits: \d+ \(.*mmio-read \d+.*mmio-write \d+.*\); \d+ interrupts injected/);
      const band = pvg('run', '--cpu', 'kvm', '--workload', 'band', '--frames', '2', '--exit');
      expect(band.status).toBe(2);
      expect(band.stderr).toMatch(/does not implement workload band/);
    }
    const bad = pvg('run', '--cpu', 'arm', '--exit');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--cpu must be ts, kvm, auto/);
    const missing = spawnSync(process.execPath, [BIN, 'run', '--cpu', 'kvm', '--frames', '1', '--exit'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PVG_KVM_DEVICE: '/nonexistent/kvm' },
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cpu: \/nonexistent\/kvm does not exist/);
    const auto = spawnSync(process.execPath, [BIN, 'run', '--cpu', 'auto', '--frames', '2', '--modes', '320x200@60', '--exit'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PVG_KVM_DEVICE: '/nonexistent/kvm' },
    });
    expect(auto.status).toBe(0);
    expect(auto.stderr).toMatch(/--cpu auto: running the TypeScript guest \(\/nonexistent\/kvm does not exist/);
    expect(auto.stdout).toMatch(/vcpu0 \(ts\): done/);
  });

  it('--engine vulkan names its GPU in the summary; where Vulkan has no driver it is refused, auto falls back and says why', () => {
    const probe = native.vulkanProbe();
    if (probe.available) {
      const r = pvg('run', '--engine', 'vulkan', '--workload', 'desktop', '--frames', '6', '--modes', '320x200@60', '--exit');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`engine: vulkan on ${probe.device.name}`);
    }
    expect(pvg('run', '--engine', 'metal', '--exit').stderr).toMatch(/--engine must be soft, vulkan, auto/);
    // The loader's own variables point it at no driver: what a machine without a Vulkan driver sees.
    const noDriver = { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' };
    const refused = spawnSync(process.execPath, [BIN, 'run', '--engine', 'vulkan', '--frames', '1', '--exit'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: noDriver,
    });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/engine: vulkan: (no-instance|no-device|no-loader|not-built) \(/);
    const auto = spawnSync(process.execPath, [BIN, 'run', '--engine', 'auto', '--frames', '2', '--modes', '320x200@60', '--exit'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: noDriver,
    });
    expect(auto.status).toBe(0);
    expect(auto.stderr).toMatch(/--engine auto: drawing with the soft backend \(vulkan: /);
    expect(auto.stdout).not.toContain('engine: vulkan');
  });

  it('shows a live status line on stderr with --status, and none on a pipe without it', () => {
    const r = pvg('run', '--frames', '40', '--modes', '320x200@60', '--exit', '--status');
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\r\x1b[K').filter((l) => l.trim() !== '');
    expect(lines.length, JSON.stringify(r.stderr)).toBeGreaterThan(0);
    for (const l of lines)
      expect(l).toMatch(
        /^[\d.-]+ fps \([\d.-]+ kept\) \| (MMIO read p50 [\d.]+(µs|ms) p99 [\d.]+(µs|ms)|no MMIO reads) \| [\d-]+ irq\/s \| deepest mailbox \w+ \d+\/\d+$/,
      );
    expect(r.stderr.endsWith('\r\x1b[K'), 'the line is erased before the summary').toBe(true);
    expect(r.stdout).toMatch(/^frames: 40 in [\d.]+ s \([\d.]+ fps\)\nvcpu0 \(ts\): done, workload desktop, 40 frames/);
    expect(r.stdout).toMatch(/display0: 320x200, 41 frames/);
    expect(r.stdout).not.toContain('\x1b');

    for (const args of [[], ['--quiet']]) {
      const plain = pvg('run', '--frames', '40', '--modes', '320x200@60', '--exit', ...args);
      expect(plain.status).toBe(0);
      expect(plain.stderr).toBe('');
      expect(plain.stdout).toMatch(/^frames: 40 in /);
    }
    const both = pvg('run', '--status', '--quiet');
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--status and --quiet contradict each other/);
  });

  it('clears the status line before its other stderr lines', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'pvg-cli-')), 'shot.png');
    const r = pvg('run', '--frames', '6', '--modes', '320x200@60', '--exit', '--status', '--snapshot', file);
    expect(r.status).toBe(0);
    // Whatever the status line last drew was erased just before the message.
    expect(r.stderr).toMatch(/(^|\r\x1b\[K)pvg-vmm: snapshot written to /);
  });

  it('a snapshot into a folder that is not there is refused before the run, in one line', () => {
    const r = pvg('run', '--exit', '--frames', '3', '--modes', '320x200@60', '--snapshot', '/nonexistent-dir/frame.png');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'pvg-vmm: --snapshot /nonexistent-dir/frame.png: the folder /nonexistent-dir does not exist ("pvg-vmm run --help" lists the options)\n',
    );
    expect(r.stdout).toBe('');
  });

  it('writes a PNG snapshot once the frames are done', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'pvg-cli-')), 'shot.png');
    const r = pvg('run', '--frames', '6', '--modes', '320x200@60', '--exit', '--snapshot', file);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`snapshot written to ${file}`);
    expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
  });

  it('reports guest-visible errors by kind for the hostile workload and still exits 0', () => {
    const r = pvg('run', '--workload', 'hostile', '--frames', '18', '--modes', '320x200@60', '--exit', '--variant', 'pci');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/errors: .*bad-command \d+/);
    expect(r.stdout).toMatch(/device0 \(apple-gfx-pci\)/);
  });

  it.each([
    [['run', '--frames', 'x'], /--frames must be an integer/],
    [['run', '--variant', 'isa'], /--variant must be mmio or pci/],
    [['run', '--workload', 'doom'], /--workload must be one of/],
    [['run', '--modes', '640x480'], /devices\[0\]\.displayModes\[0\]: expected a mode like/],
    [['run', '--bogus'], /Unknown option '--bogus'/],
    [['launch'], /unknown command "launch"/],
  ])('%j is refused with a clear message and status 2', (args, message) => {
    const r = pvg(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('--profile pvg and --pacing run paced and are checked', () => {
    const r = pvg('run', '--profile', 'pvg', '--workload', 'present', '--frames', '12', '--modes', '320x200@60', '--exit', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { stats: { devices: { engine: { vblankWaits: number } }[] } };
    expect(report.stats.devices[0]!.engine.vblankWaits).toBeGreaterThanOrEqual(12);
    const native = pvg('run', '--workload', 'present', '--frames', '12', '--modes', '320x200@60', '--exit', '--json');
    expect((JSON.parse(native.stdout) as typeof report).stats.devices[0]!.engine.vblankWaits).toBe(0);
    for (const [flag, value] of [
      ['--profile', 'qemu'],
      ['--pacing', 'vsync'],
    ] as const) {
      const bad = pvg('run', flag, value, '--exit');
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain(`${flag} must be`);
    }
  });

  it('documents --status and --quiet', () => {
    const r = pvg('run', '--help');
    expect(r.stdout).toMatch(/--status .*status line/);
    expect(r.stdout).toMatch(/--quiet .*no status line/);
  });

  it('has help for every command', () => {
    for (const args of [['--help'], ['run', '--help']]) {
      const r = pvg(...args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/usage: pvg-vmm/);
    }
  });

  it('keeps the VM running after the frames until Ctrl-C, then stops cleanly', async () => {
    const child = spawn(process.execPath, [BIN, 'run', '--frames', '5', '--modes', '320x200@60'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!stderr.includes('keeps running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(stderr).toContain('keeps running');
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^frames: 5 in /m);
  });

  it('SIGTSTP pauses the machine, SIGCONT resumes it, SIGUSR2 resets it, and the run still ends on its frames', async () => {
    // --status: its first line says the signal handlers are in place.
    // Paced at 60 Hz, 240 frames take 4 s: the signals land while the first run still draws (an
    // unpaced guest can finish before SIGTSTP, and then 'keeps running' was said before the reset).
    const child = spawn(process.execPath, [BIN, 'run', '--frames', '240', '--modes', '320x200@60', '--pacing', 'refresh', '--status'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const waitFor = async (text: RegExp) => {
      const deadline = Date.now() + 30_000;
      while (!text.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(stderr).toMatch(text);
    };
    await waitFor(/fps|frames/);
    child.kill('SIGTSTP');
    await waitFor(/paused in [\d.]+ ms/);
    child.kill('SIGUSR2');
    await waitFor(/reset: the guest starts again from its entry \(still paused\)/);
    child.kill('SIGCONT');
    await waitFor(/resumed/);
    await waitFor(/resumed[^]*keeps running/);
    expect(stderr.match(/keeps running/g)).toHaveLength(1);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^frames: 240 in /m);
  }, 60_000);

  // A VM, a VNC handshake twice and a page fetch, in one process the sanitizer runs slow down
  // several times: its own bound, as the pause test's.
  it('serves VNC (with a password) and the browser viewer while the VM runs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-run-vnc-'));
    const passwordFile = path.join(dir, 'password');
    writeFileSync(passwordFile, 'sesame\n');
    const child = spawn(
      process.execPath,
      [BIN, 'run', '--frames', '5', '--modes', '320x200@60', '--vnc', '0', '--vnc-password-file', passwordFile, '--web', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!stderr.includes('keeps running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    try {
      const vnc = /VNC: device0 display0 on 127\.0\.0\.1:(\d+) \(password required\)/.exec(stderr);
      const web = /browser: device0 display0 at (http:\/\/127\.0\.0\.1:\d+\/display\/0)/.exec(stderr);
      expect(vnc, stderr).not.toBeNull();
      expect(web, stderr).not.toBeNull();
      await expect(RfbTestClient.connect(Number(vnc![1]), { password: 'wrong' })).rejects.toThrow(/security failed/);
      const client = await RfbTestClient.connect(Number(vnc![1]), { password: 'sesame' });
      expect(client.name).toBe('pvg-vmm device0 display0');
      expect(await client.sizeOnceSettled(320, 200)).toEqual([320, 200]);
      client.close();
      const page = await fetch(web![1]!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('device0 display0');
    } finally {
      child.kill('SIGINT');
    }
    expect(await new Promise<number | null>((resolve) => child.on('exit', resolve))).toBe(0);
  }, 90_000);

  it.each([
    [['--vnc', '70000'], /--vnc must be an integer in \[0, 65535\]/],
    [['--vnc', '65535', '--displays', '2'], /need ports up to 65536/],
    [['--vnc-host', '0.0.0.0'], /--vnc-host and --vnc-password-file need --vnc PORT/],
    [['--vnc', '5900', '--vnc-password-file', path.join(tmpdir(), 'pvg-run-no-such-password-file')], /cannot read/],
    [['--web-host', '0.0.0.0'], /--web-host needs --web PORT/],
    [['--web', 'x'], /--web must be an integer/],
    [['--workload', 'band', '--damage', '0'], /--damage must be a number in \(0, 100\]/],
    [['--threading', 'giant'], /--threading must be actor or qemu or record-lock/],
  ] as const)('refuses the bad output flags %j with status 2 and the reason', (args, message) => {
    const r = pvg('run', '--exit', '--frames', '1', ...args);
    expect(r.status, args.join(' ')).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
