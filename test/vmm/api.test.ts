// The embedding API's newer parts: outputs started with the VM, mode-change and frame events,
// trace start/stop, and configuration errors that name the field.
import { describe, expect, it } from 'vitest';

import { VmStoppedError } from '../../actors/runtime/errors.js';
import { VmConfigError } from '../../vmm/config.js';
import { Vm } from '../../vmm/vm.js';
import { terminateActor } from '../support/test-vm.js';
import { eventually } from '../support/spawn.js';
import { RfbTestClient } from '../support/vnc-client/rfb-client.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';

const vms = vmsStoppedAfterEach();
const create = (options: Parameters<typeof Vm.create>[0]) => vms.create(options);

describe('the embedding API', () => {
  it('starts VNC and the browser viewer given in outputs', async () => {
    const vm = await create({
      ramMiB: 32,
      devices: [{ displayModes: ['320x200@60'] }],
      outputs: { vnc: { port: 0 }, web: { port: 0 } },
      workload: { name: 'desktop', frames: 5 },
    });
    await vm.whenGuestsDone();
    const port = (await vm.stats()).compositor.displays[0]!.vnc!.port;
    const client = await RfbTestClient.connect(port);
    expect(await client.sizeOnceSettled(320, 200)).toEqual([320, 200]);
    client.close();
  });

  it('whenGuestsDone answers when the guests finish, to every caller, early or late', async () => {
    const vm = await create({ ramMiB: 64, devices: [{ displayModes: ['320x200@60'] }, { displayModes: ['320x200@60'] }] });
    await vm.runWorkload({ name: 'desktop', frames: 40, seed: 3 });
    // Many callers at once, some joining late: all get the finished state of both vCPUs.
    const waits = Array.from({ length: 20 }, () => new Promise((r) => setTimeout(r, Math.random() * 20)).then(() => vm.whenGuestsDone()));
    for (const stats of await Promise.all(waits)) {
      expect(stats.map((s) => [s.state, s.guest?.framesDone])).toEqual([
        ['done', 40],
        ['done', 40],
      ]);
    }
    // Already done: answered at once.
    expect((await vm.whenGuestsDone()).map((s) => s.state)).toEqual(['done', 'done']);
  });

  it('whenGuestsDone rejects with VmStoppedError when the VM stops under a running guest', async () => {
    const vm = await create({ ramMiB: 32, devices: [{ displayModes: ['320x200@60'] }] });
    await vm.runWorkload({ name: 'desktop', frames: 1_000_000 });
    const done = vm.whenGuestsDone();
    const outcome = done.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await vm.stop();
    const r = await outcome;
    // The vCPU may answer before its control plane closes: its guest program returns 'done' as soon
    // as it sees the stop request, or the stop handler marks it 'stopped'; otherwise the guard rejects.
    if (r === 'resolved') expect(['stopped', 'done']).toContain((await done)[0]!.state);
    else expect(r).toBeInstanceOf(VmStoppedError);
  });

  it.each([
    [{ outputs: { vnc: { port: 70000 } } }, 'outputs.vnc.port'],
    [{ outputs: { web: { port: 1, host: '' } } }, 'outputs.web.host'],
    [{ outputs: { vnc: { port: 1, password: 5 as unknown as string } } }, 'outputs.vnc.password'],
  ])('refuses bad outputs, naming the field (%j)', async (options, field) => {
    const err = await Vm.create(options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VmConfigError);
    expect((err as VmConfigError).field).toBe(field);
  });

  // Issue 16, item 4. Before: frame('0', 0) found device 0 and resolved null (no such display in
  // the compositor), as if nothing had been drawn yet.
  it('frame() refuses a device or display that is not an integer index', async () => {
    const vm = await create({ ramMiB: 32, devices: [{ displayModes: ['320x200@60'] }], workload: { name: 'desktop', frames: 2 } });
    await vm.whenGuestsDone();
    await vm.settle();
    expect(await vm.frame(0, 0)).not.toBeNull();
    await expect(vm.frame('0' as unknown as number, 0)).rejects.toThrow(new RangeError('frame(): device must be an integer, got "0"'));
    await expect(vm.frame(0, 0.5)).rejects.toThrow(new RangeError('frame(): display must be an integer, got 0.5'));
    await expect(vm.frame(1, 0)).rejects.toThrow(RangeError);
    expect(() => vm.externalVcpu('0' as unknown as number)).toThrow(RangeError);
  });

  it('startVnc() and startWeb() check their options as outputs does, naming the field', async () => {
    const vm = await create({ ramMiB: 32, devices: [{ displayModes: ['320x200@60'], displays: 2 }] });
    const field = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => (e instanceof VmConfigError ? e.field : e),
      );
    expect(await field(vm.startVnc({ port: 65535 }))).toBe('vnc.port'); // display 1 would be on 65536
    expect(await field(vm.startVnc({ prot: 5900 } as unknown as { port: number }))).toBe('vnc.prot');
    expect(await field(vm.startWeb({ port: 0, hots: '::1' } as unknown as { port: number }))).toBe('web.hots');
    expect(await field(vm.startVnc({ port: 0, password: '' }))).toBe('vnc.password'); // not security None
  });

  it('emits modeChange and frame events from the first listener on, and none without one', async () => {
    const vm = await create({ ramMiB: 32, devices: [{ displayModes: ['320x200@60', '256x160@60'] }] });
    const modes: string[] = [];
    const frames: { frameSeq: number; width: number }[] = [];
    vm.on('modeChange', (e) => modes.push(`${e.width}x${e.height}`));
    vm.on('frame', (e) => frames.push({ frameSeq: e.frameSeq, width: e.width }));
    await vm.runWorkload({ name: 'modestorm', frames: 12, seed: 2 });
    await vm.whenGuestsDone();
    await vm.settle();
    const last = (await vm.frame())!;
    // Events travel on their own port, in order: wait for the last frame's (not a guess at how long).
    await eventually(() => frames.at(-1)?.frameSeq === last.frameSeq, 10_000, 'the last frame event');
    // modestorm sets a mode at boot and every 3 frames, alternating.
    expect(modes.length).toBeGreaterThanOrEqual(5);
    expect(modes.slice(0, 4)).toEqual(['320x200', '320x200', '256x160', '320x200']); // boot, frame 0, 3, 6
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.at(-1)).toEqual({ frameSeq: last.frameSeq, width: last.width });
    // No listener: nothing is sent.
    vm.removeAllListeners('frame');
    vm.removeAllListeners('modeChange');
    const before = frames.length;
    await vm.runWorkload({ name: 'desktop', frames: 5 });
    await vm.whenGuestsDone();
    await vm.settle();
    await new Promise((r) => setTimeout(r, 50));
    expect(frames.length).toBe(before);
  });

  it('startTrace drops what came before; stopTrace stops every thread writing and returns the recording', async () => {
    const vm = await create({ ramMiB: 32, devices: [{ displayModes: ['320x200@60'] }], workload: { name: 'desktop', frames: 10 } });
    await vm.whenGuestsDone();
    vm.startTrace();
    await vm.runWorkload({ name: 'desktop', frames: 10 });
    await vm.whenGuestsDone();
    await vm.settle();
    const recording = vm.stopTrace();
    const reads = recording.traceEvents.filter((e) => e.name === 'apple_gfx_read' && e.ph === 'X');
    expect(reads.length).toBeGreaterThan(0);
    // Stopped: another workload leaves nothing, in JS actors or engine threads.
    await vm.runWorkload({ name: 'desktop', frames: 10 });
    await vm.whenGuestsDone();
    await vm.settle();
    expect(vm.drainTrace().traceEvents.filter((e) => e.ph !== 'M')).toEqual([]);
    vm.startTrace();
    await vm.runWorkload({ name: 'desktop', frames: 3 });
    await vm.whenGuestsDone();
    expect(vm.stopTrace().traceEvents.some((e) => e.ph === 'X')).toBe(true);
  });

  it('emits error when an actor dies, to whoever listens', async () => {
    const vm = await create({ ramMiB: 32, devices: [{ displayModes: ['320x200@60'] }] });
    const failed = new Promise<Error>((resolve) => vm.on('error', resolve));
    await terminateActor(vm, 'compositor');
    const err = await failed;
    expect(err.name).toMatch(/Actor(Exited|Crashed)Error/);
  });
});
