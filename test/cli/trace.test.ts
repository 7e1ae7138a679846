// `pvg-vmm trace` writes Chrome Trace Event JSON: one named track per actor and engine thread,
// spans where the work happened, on one timeline.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../shared/package-root.js';
import type { ChromeTrace } from '../../shared/trace/chrome.js';

describe('pvg-vmm trace', () => {
  it('writes a timeline with a track per thread and the work on the right tracks', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'pvg-trace-')), 'trace.json');
    const r = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'pvg-vmm.js'), 'trace', '--frames', '12', '--modes', '320x200@60', '--out', out], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trace: \d+ events on 8 tracks/);
    const trace = JSON.parse(readFileSync(out, 'utf8')) as ChromeTrace;
    const tracks = new Map(trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [String(e.args!.name), e.tid]));
    expect([...tracks.keys()].sort()).toEqual(
      ['compositor', 'device0', 'device0 engine display', 'device0 engine mmio', 'device0 engine pool 0', 'device0 engine pool 1', 'irq', 'vcpu0'].sort(),
    );
    const on = (track: string) => trace.traceEvents.filter((e) => e.ph !== 'M' && e.tid === tracks.get(track));
    // The MMIO dispatcher: register accesses as complete spans.
    expect(on('device0 engine mmio').some((e) => e.name === 'apple_gfx_read' && e.ph === 'X' && (e.dur ?? -1) >= 0)).toBe(true);
    // The display queue: display handlers only.
    const display = new Set(on('device0 engine display').map((e) => e.name));
    expect([...display].every((n) => n.startsWith('apple_gfx_') && /mode_change|new_frame|cursor/.test(n))).toBe(true);
    expect(display.has('apple_gfx_new_frame')).toBe(true);
    // The pool: commands (spans) and the callbacks they made.
    const pool = [...on('device0 engine pool 0'), ...on('device0 engine pool 1')];
    expect(pool.some((e) => e.name === 'engine_command' && e.ph === 'X')).toBe(true);
    expect(pool.some((e) => e.name === 'apple_gfx_create_task')).toBe(true);
    // The interrupt controller delivered, the device actor saw frames.
    expect(on('irq').some((e) => e.name === 'irq_deliver')).toBe(true);
    expect(on('device0').some((e) => e.name === 'apple_gfx_new_frame')).toBe(true);
    // The compositor took the encoded frames.
    expect(on('compositor').some((e) => e.name === 'compositor_encode_done')).toBe(true);
    // One timeline, starting at 0, in order.
    const ts = trace.traceEvents.filter((e) => e.ph !== 'M').map((e) => e.ts);
    expect(Math.min(...ts)).toBe(0);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
  });

  it('with --threading bql, lock waits show as spans on the actors that waited', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'pvg-trace-')), 'bql.json');
    const r = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'pvg-vmm.js'), 'trace', '--threading', 'bql', '--devices', '2', '--frames', '30', '--modes', '320x200@60', '--out', out], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const trace = JSON.parse(readFileSync(out, 'utf8')) as ChromeTrace;
    const names = new Map(trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, String(e.args!.name)]));
    const waits = trace.traceEvents.filter((e) => e.name === 'lock_wait');
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every((e) => e.ph === 'X' && (e.dur ?? -1) >= 0)).toBe(true);
    // Only actors take the lock: never a vCPU (guest code runs without it) nor an engine thread.
    const waiters = new Set(waits.map((e) => names.get(e.tid)));
    expect([...waiters].every((n) => n !== undefined && !n.startsWith('vcpu') && !n.includes('engine'))).toBe(true);
  });
});
