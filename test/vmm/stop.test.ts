// Stopping a VM while the embedder is still using it (issue 16, item 3): stop() called twice,
// control calls racing stop(), outputs started after it. Every such call either completes or
// rejects with VmStoppedError; nothing resolves early and nothing hangs.
import { describe, expect, it } from 'vitest';

import { VmStoppedError } from '../../actors/runtime/errors.js';
import type { WriterReport } from '../support/external-writer.js';
import { exited, nextMessage, startWorker } from '../support/spawn.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';

const vms = vmsStoppedAfterEach({ ramMiB: 32, devices: [{ displayModes: ['320x200@60'] }] });

describe('vm.stop()', () => {
  // Before: the second call saw the "stopped" flag and resolved at once, with four actors running.
  it('returns the same promise to every caller, settled only once every thread is joined', async () => {
    const vm = await vms.create();
    const first = vm.stop();
    const second = vm.stop();
    expect(second).toBe(first);
    await second;
    expect(vm.supervisor.liveActors()).toEqual([]);
  });

  // Before: a call that reached the device actor while it stopped its engine rejected with the
  // actor's own plain Error ("engine stopped"): 27 to 269 of the calls made during each device
  // stop here, and 2 to 22 in a couple of hundred spread over a whole vm.stop().
  it('settle() and stats() racing stop() either resolve or reject with VmStoppedError', async () => {
    const untyped: string[] = [];
    const note = (e: unknown) => {
      if (!(e instanceof VmStoppedError)) untyped.push(String(e));
    };
    /** Calls `call` every turn of the event loop until `stopping` settles. */
    const raceWith = async (stopping: Promise<unknown>, call: () => Promise<unknown>) => {
      let done = false;
      const stopped = stopping.then(() => (done = true));
      const calls: Promise<unknown>[] = [];
      while (!done) {
        calls.push(call().catch(note));
        await new Promise((r) => setImmediate(r));
      }
      await stopped;
      await Promise.all(calls);
      return calls.length;
    };
    let racing = 0;
    for (let round = 0; round < 2; round++) {
      const vm = await vms.create({ workload: { name: 'desktop', frames: 20 } });
      await vm.whenGuestsDone();
      // The device's own stage of vm.stop() (vCPUs first), where the window is: every call
      // made while its engine's threads are joined lands after the engine is gone.
      await vm.supervisor.stopActors(['vcpu0']);
      racing += await raceWith(vm.supervisor.stopActors(['device0']), () => vm.settle());
      racing += await raceWith(vm.stop(), () => Promise.all([vm.settle(), vm.stats()]));
    }
    expect(racing).toBeGreaterThan(20);
    expect(untyped).toEqual([]);
  });

  it('a control call on an actor already stopped rejects at once with VmStoppedError', async () => {
    const vm = await vms.create();
    await vm.supervisor.stopActors(['vcpu0', 'device0']);
    const t0 = performance.now();
    await expect(vm.stats()).rejects.toBeInstanceOf(VmStoppedError);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  // Before: stop() closed the viewer but kept it, so startWeb() said "already serving".
  it('outputs, frames and workloads asked for after stop() reject with VmStoppedError', async () => {
    const vm = await vms.create({ outputs: { web: { port: 0 } } });
    await vm.stop();
    await expect(vm.startWeb({ port: 0 })).rejects.toBeInstanceOf(VmStoppedError);
    await expect(vm.startVnc({ port: 0 })).rejects.toBeInstanceOf(VmStoppedError);
    await expect(vm.stopVnc()).rejects.toBeInstanceOf(VmStoppedError);
    await expect(vm.frame(0, 0)).rejects.toBeInstanceOf(VmStoppedError);
    await expect(vm.snapshot('/nonexistent/never-written.png')).rejects.toBeInstanceOf(VmStoppedError);
    await expect(vm.runWorkload({ name: 'desktop', frames: 1 })).rejects.toBeInstanceOf(VmStoppedError);
    await expect(vm.settle()).rejects.toBeInstanceOf(VmStoppedError);
  });

  // startWeb() racing stop(), two ways. Before: with VNC still to start, the compositor started its
  // servers after its own stop had closed them, and they held its worker until the 5 s stop
  // timeout (5.07 s); with VNC serving, the viewer bound after stop() had closed the last one and
  // kept listening.
  it.each([
    ['VNC not serving yet', false],
    ['VNC serving', true],
  ])('startWeb() racing stop() (%s) leaves nothing listening and does not hold the stop', async (_, vncFirst) => {
    const vm = await vms.create();
    if (vncFirst) await vm.startVnc({ port: 0 });
    const web = vm.startWeb({ port: 0 }).catch((e: unknown) => e as Error);
    const t0 = performance.now();
    await vm.stop();
    expect(performance.now() - t0).toBeLessThan(2500);
    const result = await web;
    if (result instanceof Error) expect(result).toBeInstanceOf(VmStoppedError);
    // It won the race: stop() must have closed it.
    else await expect(fetch(`http://127.0.0.1:${result.port}/`)).rejects.toThrow();
  });
});

describe('an external vCPU when the VM stops', () => {
  // Before: a loop blocked on a full posted-write window (the device stalled) stayed blocked for
  // the window's 10 s timeout after vm.stop() and then got a plain Error; a blocked read was
  // already released with a typed one.
  it('a write blocked on the posted-write window is released at once with WaitAbandonedError', async () => {
    // Config-space writes (the PCI variant), which reach the device actor in every threading
    // model: under actor a gfx-window write would go to the engine, past the stalled actor.
    const vm = await vms.create({
      vcpus: 0,
      externalVcpus: 1,
      devices: [{ variant: 'apple-gfx-pci' }],
      testFaults: { devices: { 0: { stall: { afterMmio: 1, ms: 60_000 } } } },
    });
    const writer = startWorker('test/support/external-writer', vm.externalVcpu(0));
    const report = nextMessage<WriterReport>(writer);
    // The device takes one write and stalls: the window (16) fills and the loop blocks.
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.timeOrigin + performance.now();
    const stopped = vm.stop(); // the stalled device itself holds this for the 5 s stop timeout
    const r = await report;
    expect(r.name, r.message).toBe('WaitAbandonedError');
    expect(r.atEpochMs - t0).toBeLessThan(1000);
    await exited(writer);
    await stopped;
  }, 20_000);
});
