// `pvg-vmm trace` writes Chrome Trace Event JSON: one named track per actor and engine thread,
// spans where the work happened, on one timeline.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../shared/package-root.js';
import type { ChromeTrace } from '../../shared/trace/chrome.js';
import { TRACE_ARGS } from '../../shared/trace/events.js';

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
    const display = new Set(
      on('device0 engine display')
        .filter((e) => !'stf'.includes(e.ph))
        .map((e) => e.name),
    );
    expect([...display].every((n) => n.startsWith('apple_gfx_') && /mode_change|new_frame|cursor/.test(n))).toBe(true);
    expect(display.has('apple_gfx_new_frame')).toBe(true);
    // The pool: commands (spans) and the callbacks they made.
    const pool = [...on('device0 engine pool 0'), ...on('device0 engine pool 1')];
    expect(pool.some((e) => e.name === 'engine_command' && e.ph === 'X')).toBe(true);
    expect(pool.some((e) => e.name === 'apple_gfx_create_task')).toBe(true);
    // The engine delivered its interrupts itself, on the thread that raised them (the interrupt
    // table, docs/interrupts.md): neither the device actor nor the interrupt controller did; the
    // new frames went from the engine to the compositor without the device actor too (the actor
    // model's display events, docs/compositor.md).
    const engineTracks = ['device0 engine mmio', 'device0 engine pool 0', 'device0 engine pool 1'];
    expect(engineTracks.some((t) => on(t).some((e) => e.name === 'irq_deliver'))).toBe(true);
    expect(on('device0').some((e) => e.name === 'irq_deliver')).toBe(false);
    expect(on('irq').some((e) => e.name === 'irq_deliver')).toBe(false);
    expect(on('device0').some((e) => e.name === 'apple_gfx_new_frame')).toBe(false);
    // The compositor took the encoded frames.
    expect(on('compositor').some((e) => e.name === 'compositor_encode_done')).toBe(true);
    // Flow arrows from a request to its answer, through every thread that handled it, in time order:
    // an MMIO read (vCPU → engine MMIO thread → vCPU: under the actor model a vCPU posts into the
    // engine's mailbox itself, docs/scaling.md) and an engine callback
    // (engine thread → device actor → the same engine thread).
    const flows = new Map<number, { ph: string; track: string; ts: number }[]>();
    for (const e of trace.traceEvents) {
      if (e.ph !== 's' && e.ph !== 't' && e.ph !== 'f') continue;
      const track = [...tracks].find(([, tid]) => tid === e.tid)![0];
      flows.set(e.id!, [...(flows.get(e.id!) ?? []), { ph: e.ph, track, ts: e.ts }]);
    }
    const shape = (f: { ph: string; track: string }[]) => f.map((x) => `${x.ph} ${x.track}`).join(' → ');
    const shapes = [...flows.values()].map(shape);
    expect(shapes).toContain('s vcpu0 → t device0 engine mmio → f vcpu0');
    expect(shapes.some((s) => /^s device0 engine (pool \d|display) → t device0 → f device0 engine (pool \d|display)$/.test(s))).toBe(true);
    for (const f of flows.values()) expect(f.map((x) => x.ts)).toEqual([...f.map((x) => x.ts)].sort((a, b) => a - b));
    // Every flow event sits inside a span of its thread (Perfetto binds arrows to slices).
    const spans = trace.traceEvents.filter((e) => e.ph === 'X');
    for (const f of flows.values()) {
      for (const x of f)
        expect(
          spans.some((e) => e.tid === tracks.get(x.track) && e.ts <= x.ts && x.ts <= e.ts + e.dur!),
          `${x.ph} on ${x.track}`,
        ).toBe(true);
    }
    // Named arguments (TRACE_ARGS): no positional a0/a1/a2, the same names for an event on every
    // thread, and where two threads record one happening, the same values under them.
    for (const e of trace.traceEvents.filter((x) => x.ph === 'X' || x.ph === 'i')) {
      const names = (TRACE_ARGS as Record<string, readonly string[] | undefined>)[e.name] ?? [];
      expect(e.name in TRACE_ARGS, e.name).toBe(true);
      expect(
        Object.keys(e.args ?? {}).every((k) => names.includes(k)),
        `${e.name} ${JSON.stringify(e.args)}`,
      ).toBe(true);
    }
    const modeChanges = trace.traceEvents.filter((e) => e.name === 'apple_gfx_mode_change');
    expect(new Set(modeChanges.map((e) => e.tid))).toEqual(new Set([tracks.get('device0 engine display'), tracks.get('device0')]));
    for (const e of modeChanges) expect(e.args).toEqual({ display: 0, width: 320, height: 200 });
    const newFrames = (track: string) =>
      on(track)
        .filter((e) => e.name === 'apple_gfx_new_frame')
        .map((e) => e.args);
    expect(newFrames('device0 engine display').length).toBeGreaterThan(0);
    const creates = (tracksOf: string[]) => tracksOf.flatMap((t) => on(t)).filter((e) => e.name === 'apple_gfx_create_task' && e.ph === 'X');
    const engineCreates = creates(['device0 engine pool 0', 'device0 engine pool 1']);
    expect(engineCreates.length).toBeGreaterThan(0);
    for (const e of engineCreates) expect(Object.keys(e.args!).sort()).toEqual(['status', 'vm_size_low32']);
    // The device actor answers the same callbacks: the same first argument; the status is the engine's.
    const sizes = (events: typeof engineCreates) => events.map((e) => Number(e.args!.vm_size_low32)).sort((x, y) => x - y);
    for (const e of creates(['device0'])) expect(Object.keys(e.args!)).toEqual(['vm_size_low32']);
    expect(sizes(creates(['device0']))).toEqual(sizes(engineCreates));
    expect(
      on('device0')
        .filter((e) => e.name === 'apple_gfx_read')
        .every((e) => Object.keys(e.args!).join() === 'offset'),
    ).toBe(true);
    // Counters: each actor's mailbox depth on its own track, and the frames the compositor wants.
    const counters = new Set(trace.traceEvents.filter((e) => e.ph === 'C').map((e) => e.name));
    expect(counters).toContain('mailbox_depth (device0)');
    expect(counters).toContain('frames_pending (compositor)');
    expect(trace.traceEvents.filter((e) => e.name === 'frames_pending (compositor)').every((e) => [0, 1, 2].includes(Number(e.args!['0'])))).toBe(true);
    // One timeline, starting at 0, in order.
    const ts = trace.traceEvents.filter((e) => e.ph !== 'M').map((e) => e.ts);
    expect(Math.min(...ts)).toBe(0);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
  });

  it('with --threading qemu, the vCPUs hold the BQL across MMIO in AIO_WAIT_WHILE; callbacks run as bottom halves', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'pvg-trace-')), 'qemu.json');
    const r = spawnSync(
      process.execPath,
      [path.join(packageRoot, 'bin', 'pvg-vmm.js'), 'trace', '--threading', 'qemu', '--devices', '2', '--frames', '30', '--modes', '320x200@60', '--out', out],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const trace = JSON.parse(readFileSync(out, 'utf8')) as ChromeTrace;
    const names = new Map(trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, String(e.args!.name)]));
    const on = (event: string) => new Set(trace.traceEvents.filter((e) => e.name === event && e.ph === 'X').map((e) => names.get(e.tid) ?? '?'));
    // Holds and AIO waits on the vCPU tracks only; every MMIO read span sits inside a hold.
    expect([...on('bql_hold')].sort()).toEqual(['vcpu0', 'vcpu1']);
    expect([...on('aio_wait')].sort()).toEqual(['vcpu0', 'vcpu1']);
    const holds = trace.traceEvents.filter((e) => e.name === 'bql_hold');
    const reads = trace.traceEvents.filter((e) => e.name === 'apple_gfx_read' && e.ph === 'X' && names.get(e.tid)?.startsWith('vcpu'));
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) expect(holds.some((h) => h.tid === read.tid && h.ts <= read.ts + read.dur! && h.ts + h.dur! >= read.ts)).toBe(true);
    // Bottom halves: interrupts (delivered within them, as QEMU's BH calls msi_notify under the
    // BQL) and frames on the device actors, display updates on the compositor.
    const bhs = on('bh');
    for (const actor of ['device0', 'device1', 'compositor']) expect(bhs.has(actor), actor).toBe(true);
    expect([...bhs].some((n) => n.startsWith('vcpu') || n.includes('engine'))).toBe(false);
  });

  it('with --threading record-lock, lock waits show as spans on the actors that waited', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'pvg-trace-')), 'record-lock.json');
    const r = spawnSync(
      process.execPath,
      [
        path.join(packageRoot, 'bin', 'pvg-vmm.js'),
        'trace',
        '--threading',
        'record-lock',
        '--devices',
        '2',
        '--frames',
        '30',
        '--modes',
        '320x200@60',
        '--out',
        out,
      ],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
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
  it('--svg also draws a window of the timeline; a bad --svg-window is a usage error', () => {
    const cli = path.join(packageRoot, 'bin', 'pvg-vmm.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-trace-'));
    for (const bad of ['abc', '5:3', '-1:10', '10:10', '1:2:3', ':5', '']) {
      const r = spawnSync(process.execPath, [cli, 'trace', '--out', path.join(dir, 'x.json'), '--svg', path.join(dir, 'x.svg'), `--svg-window=${bad}`], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status, bad).toBe(2);
      expect(r.stderr).toContain('--svg-window must be FROM_US:TO_US');
    }
    const orphan = spawnSync(process.execPath, [cli, 'trace', '--out', path.join(dir, 'x.json'), '--svg-window', '0:100'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(orphan.status).toBe(2);
    expect(orphan.stderr).toContain('--svg-window needs --svg FILE');

    const svgPath = path.join(dir, 'trace.svg');
    const r = spawnSync(process.execPath, [cli, 'trace', '--frames', '20', '--modes', '320x200@60', '--out', path.join(dir, 'trace.json'), '--svg', svgPath], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trace: picture of [\d.]+–[\d.]+ µs written to /);
    const svg = readFileSync(svgPath, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('>vcpu0</text>');
    expect(svg).toContain('data-kind="mmio"'); // the automatic window holds a whole MMIO read
  });

  it('--pacing refresh puts the pacing source on the executor track: a wait per present, then its tick', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'pvg-trace-')), 'trace.json');
    const r = spawnSync(
      process.execPath,
      [
        path.join(packageRoot, 'bin', 'pvg-vmm.js'),
        'trace',
        '--pacing',
        'refresh',
        '--workload',
        'present',
        '--frames',
        '8',
        '--modes',
        '320x200@60',
        '--out',
        out,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const trace = JSON.parse(readFileSync(out, 'utf8')) as ChromeTrace;
    const waits = trace.traceEvents.filter((e) => e.name === 'vblank_wait' && e.ph === 'X');
    const ticks = trace.traceEvents.filter((e) => e.name === 'vblank' && e.ph === 'i');
    expect(waits.length).toBeGreaterThanOrEqual(8);
    expect(ticks.length).toBe(waits.length);
    // Ticks in order on one grid: each a whole number of 60 Hz periods after the first.
    const t = ticks.map((e) => ({ at: e.ts, tick: Number(e.args!.tick) }));
    for (let i = 1; i < t.length; i++) expect(t[i]!.tick).toBeGreaterThan(t[i - 1]!.tick);
    expect(t.at(-1)!.at - t[0]!.at).toBeGreaterThanOrEqual(((t.at(-1)!.tick - t[0]!.tick) * 1e6) / 60 - 1000);
  });
});
