// The engine backends (vmm/engine-backend.ts, docs/vulkan.md): choosing one, and the vulkan
// backend drawing every workload pixel for pixel as the soft one does (the golden checksums),
// hostile input included. Runs on the Vulkan device the loader finds (Mesa's lavapipe in CI and
// the README's test command, which install it); where the backend cannot run, the vulkan tests
// fail with the reason unless PVG_NO_VULKAN=1 says that is expected here.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { native } from '../../shared/native/addon.js';
import { packageRoot } from '../../shared/package-root.js';
import { monotonicMicros } from '../../shared/trace/clock.js';
import { VmConfigError, type VmOptions } from '../../vmm/config.js';
import { VulkanUnavailableError, resolveEngine } from '../../vmm/engine-backend.js';
import { fnv1a64 } from '../support/pixels.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';

const MODES = ['320x200@60', '256x160@60', '200x120@60'];
const golden: Record<string, string> = JSON.parse(readFileSync(path.join(packageRoot, 'test', 'vmm', 'golden-workloads.json'), 'utf8'));
const probe = native.vulkanProbe();
const noVulkanExpected = process.env.PVG_NO_VULKAN === '1';

describe('choosing the engine backend', () => {
  const refused = () => ({ available: false as const, reason: 'no-loader' as const, detail: 'cannot open libvulkan.so.1' });
  const found = () => ({ available: true as const, device: { name: 'gpu', type: 'cpu', driver: '1', apiVersion: '1.3.0', timestamps: true } });

  it('soft never probes; vulkan and auto take the device where there is one', () => {
    expect(resolveEngine('soft', () => expect.fail('soft must not probe'))).toEqual({ engine: 'soft', why: null });
    expect(resolveEngine('vulkan', found)).toEqual({ engine: 'vulkan', why: null });
    expect(resolveEngine('auto', found)).toEqual({ engine: 'vulkan', why: null });
  });

  it('vulkan where it cannot run is refused with the reason; auto falls back to soft and says why', () => {
    expect(() => resolveEngine('vulkan', refused)).toThrow(VulkanUnavailableError);
    try {
      resolveEngine('vulkan', refused);
    } catch (err) {
      expect(err).toMatchObject({ code: 'ERR_PVG_VULKAN', reason: 'no-loader', detail: 'cannot open libvulkan.so.1' });
    }
    expect(resolveEngine('auto', refused)).toEqual({ engine: 'soft', why: 'vulkan: no-loader (cannot open libvulkan.so.1)' });
  });

  it('VmOptions.engine accepts soft, vulkan and auto only', async () => {
    const vms = await import('../../vmm/config.js');
    expect(() => vms.resolveConfig({ engine: 'metal' as never })).toThrow(VmConfigError);
    expect(vms.resolveConfig({}).engine).toBe('soft');
  });

  it('the probe answers in its documented shape', () => {
    if (probe.available) expect(probe.device.name.length).toBeGreaterThan(0);
    else expect(['not-built', 'no-loader', 'no-instance', 'no-device', 'missing-feature', 'init-failed']).toContain(probe.reason);
  });
});

describe.runIf(probe.available)('the vulkan backend draws as the soft one does', () => {
  const vms = vmsStoppedAfterEach({ ramMiB: 64 });
  async function run(options: VmOptions) {
    const vm = await vms.create(options);
    const vcpus = await vm.whenGuestsDone();
    await vm.settle();
    const frame = (await vm.frame(0, 0))!;
    return { vm, vcpus, stats: await vm.stats(), checksum: fnv1a64(frame.pixels) };
  }

  it.each([
    ['desktop', 24],
    ['fullframe', 24],
    ['damage', 40],
    ['mapchurn', 20],
    ['modestorm', 21],
  ])('%s: the golden checksum, no error, no device fault', async (name, frames) => {
    const r = await run({ engine: 'vulkan', devices: [{ displayModes: MODES }], workload: { name, frames, seed: 7 } });
    expect(r.vm.engine).toEqual({ backend: 'vulkan', fallback: null });
    const engine = r.stats.devices[0]!.engine!;
    expect(engine.backend).toBe('vulkan');
    expect(engine.errors.reduce((a, b) => a + b, 0)).toBe(0);
    expect([engine.deviceFaults, engine.storeFault]).toEqual([0, 'none']);
    expect(engine.fences).toBe(frames);
    expect(r.checksum).toBe(golden[name]);
  });

  it.each([
    ['band', { workload: { name: 'band', frames: 12, seed: 7, damagePercent: 5 }, devices: [{ displayModes: ['320x400@60'] }] }],
    ['present', { workload: { name: 'present', frames: 10, seed: 3 }, devices: [{ displayModes: MODES }] }],
    ['multihead', { workload: { name: 'multihead', frames: 10, seed: 3 }, devices: [{ displayModes: MODES, displays: 2 }] }],
    ['pci desktop', { workload: { name: 'desktop', frames: 24, seed: 7 }, devices: [{ variant: 'pci', displayModes: MODES }] }],
  ] as [string, VmOptions][])('%s: the same pixels as soft', async (_name, options) => {
    const soft = await run({ ...options, engine: 'soft' });
    const gpu = await run({ ...options, engine: 'vulkan' });
    expect(gpu.stats.devices[0]!.engine!.errors).toEqual(soft.stats.devices[0]!.engine!.errors);
    expect(gpu.checksum).toBe(soft.checksum);
  });

  it('the trace shows its queue submissions and fence waits (with a soft engine, none)', async () => {
    const traced = async (engine: 'soft' | 'vulkan') => {
      const vm = await vms.create({ engine, trace: true, devices: [{ displayModes: MODES }], workload: { name: 'desktop', frames: 6, seed: 1 } });
      await vm.whenGuestsDone();
      await vm.settle();
      return vm.drainTrace().traceEvents.filter((e) => e.ph === 'X' && (e.name === 'gpu_submit' || e.name === 'gpu_fence_wait'));
    };
    const gpu = await traced('vulkan');
    expect(gpu.filter((e) => e.name === 'gpu_submit').length).toBeGreaterThanOrEqual(6); // a present submits
    expect(gpu.filter((e) => e.name === 'gpu_fence_wait').length).toBeGreaterThan(0);
    expect(await traced('soft')).toEqual([]);
  });

  it('the gpu track: each readback from submit to fence, its GPU time inside, then its encode completing', async () => {
    const vm = await vms.create({ engine: 'vulkan', trace: true, devices: [{ displayModes: MODES }], workload: { name: 'desktop', frames: 6, seed: 1 } });
    await vm.whenGuestsDone();
    await vm.settle();
    const events = vm.drainTrace().traceEvents;
    const gpuTid = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && (e.args as { name: string }).name === 'device0 engine gpu')?.tid;
    expect(gpuTid).toBeDefined();
    const onGpu = events.filter((e) => e.tid === gpuTid && e.ph === 'X');
    const completes = onGpu.filter((e) => e.name === 'encode_complete');
    const waits = onGpu.filter((e) => e.name === 'gpu_readback');
    expect(completes.length).toBeGreaterThan(0);
    expect(waits.length).toBe(completes.length); // one fence per asynchronous readback
    // Where the device writes timestamps (lavapipe does), each readback's GPU time lies inside it.
    // (Other submits' may too: a drawing submitted before it can run after its submit. Which
    // gpu_exec is whose, in submission order, is the test below.)
    const execs = onGpu.filter((e) => e.name === 'gpu_exec');
    expect(execs.length).toBe(probe.available && probe.device.timestamps ? waits.length + onGpu.filter((e) => e.name === 'gpu_draw').length : 0);
    for (const w of execs.length > 0 ? waits : []) {
      expect(
        execs.some((x) => w.ts <= x.ts && x.ts + x.dur! <= w.ts + w.dur!),
        `gpu_readback at ${w.ts}`,
      ).toBe(true);
    }
    // The encodes' answers come from the gpu track, none from the executor's any more.
    expect(events.filter((e) => e.name === 'encode_complete' && e.tid !== gpuTid)).toEqual([]);
  });

  it('the gpu track: each drawing submit from its queue submit to its fence, its GPU time inside, in submission order, within the run', async () => {
    const frames = 8;
    const runStart = monotonicMicros();
    const vm = await vms.create({ engine: 'vulkan', trace: true, devices: [{ displayModes: MODES }], workload: { name: 'desktop', frames, seed: 1 } });
    await vm.whenGuestsDone();
    await vm.settle();
    const runUs = monotonicMicros() - runStart;
    const events = vm.drainTrace().traceEvents;
    const gpuTid = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && (e.args as { name: string }).name === 'device0 engine gpu')?.tid;
    expect(gpuTid).toBeDefined();
    const end = (e: (typeof events)[number]) => e.ts + e.dur!;
    const spans = events.filter((e) => e.ph === 'X');
    const onGpu = spans.filter((e) => e.tid === gpuTid).sort((a, b) => a.ts - b.ts);
    const draws = onGpu.filter((e) => e.name === 'gpu_draw');
    expect(draws.length).toBeGreaterThanOrEqual(frames); // every present submits its drawing
    // Each starts at its vkQueueSubmit on the executor's track (the same instant, the same display).
    const submits = spans.filter((e) => e.name === 'gpu_submit' && e.tid !== gpuTid);
    for (const d of draws) {
      expect(
        submits.some((s) => Math.abs(s.ts - d.ts) < 0.01 && s.args!['display'] === d.args!['display']),
        `gpu_draw at ${d.ts}`,
      ).toBe(true);
      expect(end(d)).toBeLessThanOrEqual(runUs); // the trace's origin is after runStart
    }
    // The queue's work (drawing and readbacks) seen done in the order it was submitted.
    const work = onGpu.filter((e) => e.name === 'gpu_draw' || e.name === 'gpu_readback');
    for (let i = 1; i < work.length; i++) expect(end(work[i]!), `${work[i]!.name} at ${work[i]!.ts}`).toBeGreaterThanOrEqual(end(work[i - 1]!));
    // The completion thread's own wait for each fence, ending where that submit's span ends.
    const waits = onGpu.filter((e) => e.name === 'gpu_fence_wait');
    expect(waits.length).toBe(work.length);
    for (const w of work) expect(waits.filter((x) => x.ts >= w.ts && Math.abs(end(x) - end(w)) < 0.01).length, `${w.name} at ${w.ts}`).toBe(1);
    // Where the device writes timestamps, each submit's GPU time lies inside it, one after another
    // on the queue: no two overlap, in submission order.
    const execs = onGpu.filter((e) => e.name === 'gpu_exec');
    expect(execs.length).toBe(probe.available && probe.device.timestamps ? work.length : 0);
    for (let i = 0; i < execs.length; i++) {
      const x = execs[i]!;
      expect(x.ts >= work[i]!.ts && end(x) <= end(work[i]!), `gpu_exec at ${x.ts} inside ${work[i]!.name} at ${work[i]!.ts}`).toBe(true);
      if (i > 0) expect(x.ts, `gpu_exec at ${x.ts}`).toBeGreaterThanOrEqual(end(execs[i - 1]!));
    }
  });

  it('hostile: the same errors as soft, then a desktop renders like a fresh one', async () => {
    const options: VmOptions = { devices: [{ displayModes: MODES }], workload: { name: 'hostile', frames: 36, seed: 3 } };
    const soft = await run({ ...options, engine: 'soft' });
    const gpu = await run({ ...options, engine: 'vulkan' });
    const [s, g] = [soft.stats.devices[0]!.engine!, gpu.stats.devices[0]!.engine!];
    expect(g.errors).toEqual(s.errors);
    expect(g.errors.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(24);
    expect(g.badRegisterAccesses).toBe(s.badRegisterAccesses);
    expect(g.deviceFaults).toBe(0);
    await gpu.vm.runWorkload({ name: 'desktop', frames: 24, seed: 7 });
    await gpu.vm.whenGuestsDone();
    await gpu.vm.settle();
    expect(fnv1a64((await gpu.vm.frame(0, 0))!.pixels)).toBe(golden['desktop']);
  });
});

describe.runIf(!probe.available)('the vulkan backend cannot run here', () => {
  it(`is expected (PVG_NO_VULKAN=1), else a failure: ${probe.available ? '' : `${probe.reason}: ${probe.detail}`}`, () => {
    expect(noVulkanExpected, 'install mesa-vulkan-drivers libvulkan1 libvulkan-dev glslc (node scripts/system-deps.mjs) and rebuild the addon').toBe(true);
  });
});
