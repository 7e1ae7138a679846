// The examples in examples/ run as a user runs them (node examples/X.mjs, importing 'pvg-vmm'),
// so they cannot rot; the README's embedding example is examples/embedding.mjs, word for word.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../shared/package-root.js';
import type { ChromeTrace } from '../../shared/trace/chrome.js';

const example = (name: string, ...args: string[]) => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'pvg-example-'));
  const r = spawnSync(process.execPath, [path.join(packageRoot, 'examples', name), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { ...r, cwd };
};

/** The example's code from its first import on (its header comment is for the file alone). */
const codeOf = (name: string) => {
  const text = readFileSync(path.join(packageRoot, 'examples', name), 'utf8');
  return text.slice(text.indexOf('import '));
};

describe('examples/', () => {
  it('embedding.mjs (the README example) sees the first mode change, traces from the start, writes the PNG', () => {
    const r = example('embedding.mjs');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    // The listener was in place before the guest's first instruction, so the mode it set is seen.
    expect(r.stdout.split('\n')[0]).toBe('display 0: 1920x1080');
    expect(r.stdout).toMatch(/^trace: \d+ events; last frame 1920x1080; 100 frames drawn$/m);
    expect(readFileSync(path.join(r.cwd, 'frame.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('the README shows embedding.mjs as it is', () => {
    const readme = readFileSync(path.join(packageRoot, 'README.md'), 'utf8');
    expect(readme).toContain(codeOf('embedding.mjs'));
  });

  it('own-vcpu.mjs runs a workload on the embedder’s own vCPU thread, interrupts included', () => {
    const r = example('own-vcpu.mjs');
    expect(r.status, r.stderr).toBe(0);
    const m = /^own vCPU: 30 frames, (\d+) interrupts handled, (\d+) MMIO reads$/m.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![2])).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/^last frame: 640x480$/m);
  });

  it('trace-to-perfetto.mjs writes a timeline that starts with the guest and names its arguments', () => {
    const r = example('trace-to-perfetto.mjs', 'out.json');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d+ events on 8 tracks \(.*vcpu0.*\) written to out\.json$/m);
    const file = path.join(r.cwd, 'out.json');
    expect(existsSync(file)).toBe(true);
    const trace = JSON.parse(readFileSync(file, 'utf8')) as ChromeTrace;
    expect(trace.otherData.lostEvents).toBe(0);
    // Every read the vCPU made, from its first, is on the timeline (the VM was created paused).
    const m = /^vcpu0: (\d+) MMIO reads on the timeline, (\d+) made$/m.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(m![1]).toBe(m![2]);
    const vcpu = trace.traceEvents.find((e) => e.ph === 'M' && e.args?.name === 'vcpu0')!.tid;
    const reads = trace.traceEvents.filter((e) => e.tid === vcpu && e.name === 'apple_gfx_read');
    expect(reads).toHaveLength(Number(m![1]));
    for (const e of reads) expect(Object.keys(e.args!).sort()).toEqual(['offset', 'value']);
  });
});
