// The soak (bench/soak): its verdict on made-up series, its command line, a short real run and
// Ctrl-C. The long runs and their figures are in docs/hardening.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { analyze, DEFAULT_BOUNDS, type SoakSample } from '../../bench/soak/analyze.js';
import { kvmUnavailableReason } from '../../actors/vcpu/kvm/availability.js';
import { nativeTesting } from '../../bench/native-testing.js';
import { packageRoot } from '../../shared/package-root.js';

const MIB = 2 ** 20;
const CLI = path.join(packageRoot, 'dist', 'bench', 'soak', 'cli.js');

/** A series of n samples every 1000 frames; `native(i)` gives sample i's native heap. */
function series(n: number, native: (i: number) => number, heap: (i: number) => number = () => 8 * MIB): SoakSample[] {
  return Array.from({ length: n }, (_, i) => ({
    frames: i * 1000,
    elapsedMs: i * 1000,
    fps: 1000,
    rssBytes: 400 * MIB,
    heapUsedBytes: heap(i),
    externalBytes: 2 * MIB,
    arrayBuffersBytes: 250 * MIB,
    nativeBytes: native(i),
    heldRssBytes: 800 * MIB,
    heldNativeBytes: native(i) + 300 * MIB,
    tasks: 6,
    mappings: 6,
    guestErrors: 0,
  }));
}

describe('soak verdict', () => {
  it('flat: noise that goes up and down, and a jump during warm-up, are not growth', () => {
    const a = analyze(
      series(20, (i) => (i < 3 ? 300 : 500) * MIB + (i % 3) * 3 * MIB),
      3000,
    );
    expect(a.measuredSamples).toBe(17);
    expect(a.verdict).toBe('flat');
    expect(a.verdictLine).toMatch(/^verdict: flat/);
    expect(a.metrics.find((m) => m.name === 'native')!.growthBytes).toBeLessThan(DEFAULT_BOUNDS.maxGrowthBytes);
  });

  it('growing: 20 MiB over the run is named with its size', () => {
    const a = analyze(
      series(20, (i) => 500 * MIB + i * 1.2 * MIB),
      3000,
    );
    expect(a.verdict).toBe('growing');
    expect(a.verdictLine).toMatch(/native heap \+\d+\.\d MiB/);
    const native = a.metrics.find((m) => m.name === 'native')!;
    expect(native.flat).toBe(false);
    expect(native.slopeBytesPerKFrame).toBeCloseTo(1.2 * MIB, -3);
  });

  it('a small heap growing by more than 5% is growing once past the 1 MiB noise floor, not before', () => {
    expect(
      analyze(
        series(
          20,
          () => 500 * MIB,
          (i) => 8 * MIB + i * 40 * 1024,
        ),
        3000,
      ).verdict,
    ).toBe('flat'); // +0.5 MiB
    const a = analyze(
      series(
        20,
        () => 500 * MIB,
        (i) => 8 * MIB + i * 150 * 1024,
      ),
      3000,
    ); // +2 MiB, +25%
    expect(a.verdict).toBe('growing');
    expect(a.metrics.find((m) => m.name === 'jsHeap')!.flat).toBe(false);
  });

  it('too few samples after warm-up: inconclusive', () => {
    const a = analyze(
      series(8, () => 500 * MIB),
      3000,
    );
    expect(a.measuredSamples).toBe(5);
    expect(a.verdict).toBe('inconclusive');
  });
});

describe('npm run soak', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pvg-soak-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[], timeout = 20_000) => spawnSync(process.execPath, ['--expose-gc', CLI, ...args], { encoding: 'utf8', timeout });

  it('--help prints the options', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--frames N/);
    expect(r.stdout).toMatch(/Exit status/);
  });

  it.each([
    [['--frames', '0'], /--frames must be an integer in \[1, /],
    [['--frames', '1e3'], /--frames must be an integer/],
    [['--every=-5'], /--every must be an integer/],
    [['--warmup', '95'], /--warmup must be a number in \[0, 90\]/],
    [['--devices', '9'], /--devices must be an integer in \[1, 8\]/],
    [['--workloads', 'desktop,nope'], /unknown workload "nope"/],
    [['--modes', '10x10@60'], /--modes\[0\]: size 10x10 outside/],
    [['--out', '/nonexistent-dir/x.json'], /--out: no directory/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--cpu', 'arm'], /--cpu must be ts or kvm, got "arm"/],
  ])('%j is refused with a message naming the flag (exit 2)', (args, message) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/usage: npm run soak/);
  });

  it('a short run samples every workload on both device variants and writes the same JSON to --out', () => {
    const out = path.join(dir, 'soak.json');
    const r = run(
      ['--frames', '600', '--chunk', '20', '--every', '200', '--warmup', '0', '--modes', '640x480@60,320x240@60', '--json', '--out', out, '--quiet'],
      // A hang guard, not a timing check: under ASan on a loaded 2-core box this run took 60 s.
      150_000,
    );
    // Four samples (0, 200, 400, 600 frames): too few for a verdict, which says so (exit 1).
    expect(r.status, r.stderr).toBe(1);
    const json = JSON.parse(r.stdout) as {
      framesDone: number;
      fault: string | null;
      samples: SoakSample[];
      workloadRounds: Record<string, number>;
      nativeHeap: boolean;
      analysis: { verdict: string };
    };
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(json);
    expect(json.framesDone).toBe(600);
    expect(json.fault).toBeNull();
    expect(json.samples.map((s) => s.frames)).toEqual([0, 200, 400, 600]);
    expect(Object.keys(json.workloadRounds).sort()).toEqual(['band', 'desktop', 'hostile', 'mapchurn', 'modestorm']);
    // glibc's malloc here: measured; under a sanitizer's allocator (npm run test:asan): said so, not zeros.
    const heapMeasurable = nativeTesting().heapStats() !== null;
    expect(json.nativeHeap).toBe(heapMeasurable);
    for (const s of json.samples) {
      if (heapMeasurable) expect(s.nativeBytes).toBeGreaterThan(0);
      else expect(s.nativeBytes).toBeNull();
    }
    expect(json.analysis.verdict).toBe('inconclusive');
  }, 160_000);

  it('--cpu kvm where /dev/kvm cannot be opened is refused with the reason (exit 2)', () => {
    const r = spawnSync(process.execPath, [CLI, '--cpu', 'kvm'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, PVG_KVM_DEVICE: '/nonexistent/kvm' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/soak: --cpu kvm: .*\/nonexistent\/kvm/);
  });

  describe.skipIf(kvmUnavailableReason() !== null)('on KVM vCPUs', () => {
    it('refuses a workload the machine-code guest does not run, by name', () => {
      const r = run(['--cpu', 'kvm', '--workloads', 'desktop,mapchurn']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--cpu kvm\) has no workload "mapchurn" \(it runs desktop, fullframe, hostile\)/);
    });

    it("a short run cycles the machine-code guest's workloads on both device variants", () => {
      const r = run(
        ['--cpu', 'kvm', '--frames', '300', '--chunk', '25', '--every', '50', '--warmup', '0', '--modes', '640x480@60,320x240@60', '--json', '--quiet'],
        60_000,
      );
      const json = JSON.parse(r.stdout) as {
        framesDone: number;
        fault: string | null;
        samples: SoakSample[];
        workloadRounds: Record<string, number>;
        options: { cpu: string };
        analysis: { verdict: string };
      };
      expect(json.fault, r.stderr).toBeNull();
      expect(json.options.cpu).toBe('kvm');
      expect(json.framesDone).toBe(300);
      expect(json.workloadRounds).toEqual({ desktop: 2, fullframe: 2, hostile: 2 });
      expect(json.samples.map((x) => x.frames)).toEqual([0, 50, 100, 150, 200, 250, 300]);
      expect(json.samples.at(-1)!.guestErrors).toBeGreaterThan(0); // the hostile rounds ran
      expect([0, 1]).toContain(r.status); // flat or not: too short to say, but it ran to the end
    }, 60_000);
  });

  it('Ctrl-C stops after the round under way, reports what it measured, exits 130', async () => {
    const child = spawn(process.execPath, ['--expose-gc', CLI, '--frames', '1000000', '--chunk', '20', '--every', '200', '--no-worker-gc'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const sampled = new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/soak: 200\/1000000 frames/.test(stderr)) resolve();
      });
    });
    const code = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    await sampled;
    child.kill('SIGINT');
    expect(await code).toBe(130);
    expect(stderr).toMatch(/stopping after the round under way/);
    expect(stdout).toMatch(/interrupted after \d+ of 1000000 frames/);
    expect(stdout).toMatch(/verdict: inconclusive/);
  });
});
