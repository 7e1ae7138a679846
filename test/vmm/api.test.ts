// The embedding API's newer parts: outputs started with the VM, mode-change and frame events,
// trace start/stop, and configuration errors that name the field.
import { describe, expect, it } from 'vitest';

import { VmConfigError } from '../../vmm/config.js';
import { Vm } from '../../vmm/vm.js';
import { eventually } from '../support/spawn.js';
import { RfbTestClient } from '../support/vnc-client/rfb-client.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';

const vms = vmsStoppedAfterEach();
const create = (options: Parameters<typeof Vm.create>[0]) => vms.create(options);

describe('the embedding API', () => {
  it('starts VNC and the browser viewer given in outputs', async () => {
    const vm = await create({ ramMiB: 32, devices: [{ displayModes: ['320x200@60'] }], outputs: { vnc: { port: 0 }, web: { port: 0 } }, workload: { name: 'desktop', frames: 5 } });
    await vm.whenGuestsDone();
    const port = (await vm.stats()).compositor.displays[0]!.vnc!.port;
    const client = await RfbTestClient.connect(port);
    expect([client.decoder.width, client.decoder.height]).toEqual([320, 200]);
    client.close();
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
    await vm.supervisor.terminateForTest('compositor');
    const err = await failed;
    expect(err.name).toMatch(/Actor(Exited|Crashed)Error/);
  });
});
