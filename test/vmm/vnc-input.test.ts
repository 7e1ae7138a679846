// VNC clients' input into the guest: a client that authenticated presses keys and moves and
// clicks the pointer, and a guest driving the display's virtio-input keyboard and tablet (on an
// embedder-style vCPU, test/support/virtio-input-guest.ts) receives exactly those keys as Linux
// key codes and the pointer scaled to the tablet's axes, in order. A client that has not
// authenticated sends key events that never arrive, and a view-only server routes nothing.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';

import { InputAbs, InputCode, InputEv, VIRTIO_INPUT_ABS_MAX } from '../../abi/generated/virtio.js';
import { scaleToAxis } from '../../actors/input/axis.js';
import { VmConfigError } from '../../vmm/config.js';
import { exited, nextMessage, startWorker } from '../support/spawn.js';
import { RfbTestClient } from '../support/vnc-client/rfb-client.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';
import type { InputEvent } from '../support/virtio-input-driver.js';

const vms = vmsStoppedAfterEach();
const MODES = ['320x200@60'];
const PASSWORD = 'sesame';
const XK = { a: 0x61, A: 0x41, Shift_L: 0xffe1, Return: 0xff0d };
const KEY = { A: 30, LEFTSHIFT: 42, ENTER: 28 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('VNC input into virtio-input', () => {
  it("an authenticated client's keys and pointer reach the guest; an unauthenticated one's never do", async () => {
    const vm = await vms.create({ ramMiB: 32, vcpus: 0, externalVcpus: 1, devices: [{ displayModes: MODES }], input: true });
    const [port] = await vm.startVnc({ port: 0, password: PASSWORD });
    const syn = { type: InputEv.Syn, code: InputCode.SynReport, value: 0 };
    const keys: InputEvent[] = [
      [KEY.A, 1],
      [KEY.A, 0],
      [KEY.LEFTSHIFT, 1],
      [KEY.A, 1],
      [KEY.A, 0],
      [KEY.LEFTSHIFT, 0],
      [KEY.ENTER, 1],
      [KEY.ENTER, 0],
    ].flatMap(([code, value]) => [{ type: InputEv.Key, code: code!, value: value! }, syn]);
    const pointer: InputEvent[] = [
      // (0, 0), left pressed there; (319, 199) still pressed; released at (160, 100).
      [{ type: InputEv.Abs, code: InputAbs.X, value: 0 }, { type: InputEv.Abs, code: InputAbs.Y, value: 0 }, syn],
      [{ type: InputEv.Key, code: InputCode.BtnLeft, value: 1 }, syn],
      [{ type: InputEv.Abs, code: InputAbs.X, value: VIRTIO_INPUT_ABS_MAX }, { type: InputEv.Abs, code: InputAbs.Y, value: VIRTIO_INPUT_ABS_MAX }, syn],
      [
        { type: InputEv.Abs, code: InputAbs.X, value: scaleToAxis(160, 320) },
        { type: InputEv.Abs, code: InputAbs.Y, value: scaleToAxis(100, 200) },
        { type: InputEv.Key, code: InputCode.BtnLeft, value: 0 },
        syn,
      ],
    ].flat();
    const guest = startWorker('test/support/virtio-input-guest', {
      config: vm.externalVcpu(0),
      expect: keys.length + pointer.length,
      queueSize: 16,
      seed: 5,
      deadlineMs: 20_000,
      showMode: true,
    });
    await nextMessage(guest, (m: { type: string }) => m.type === 'ready');
    const client = await RfbTestClient.connect(port!, { password: PASSWORD });
    await client.sizeOnceSettled(320, 200); // the client sees the frame it will point at

    // Before anyone authenticates: a client answers the password challenge with a KeyEvent for 'a'
    // and then junk. The server takes those 16 bytes as the answer, refuses it and closes.
    const intruder = connect(port!, '127.0.0.1');
    const closed = new Promise<void>((resolve) => intruder.on('close', () => resolve()));
    intruder.on('error', () => {});
    let greeted = 0;
    intruder.on('data', (chunk: Buffer) => {
      greeted += chunk.length;
      if (greeted === 12) intruder.write('RFB 003.008\n');
      else if (greeted === 12 + 2)
        intruder.write(Buffer.from([2])); // VNC authentication
      else if (greeted === 12 + 2 + 16) intruder.write(Buffer.from([4, 1, 0, 0, 0, 0, 0, XK.a, 4, 0, 0, 0, 0, 0, 0, XK.a]));
    });
    await closed;

    for (const [keysym, down] of [
      [XK.a, true],
      [XK.a, false],
      [XK.Shift_L, true],
      [XK.A, true],
      [XK.A, false],
      [XK.Shift_L, false],
      [XK.Return, true],
      [XK.Return, false],
    ] as const) {
      client.key(keysym, down);
      await sleep(2);
    }
    client.pointer(0, 0, 0);
    client.pointer(0, 0, 1);
    client.pointer(319, 199, 1);
    client.pointer(160, 100, 0);
    const done = await nextMessage<{ type: string; events: { device: number; event: InputEvent }[] }>(guest, (m) => m.type === 'done');
    await exited(guest);
    const of = (device: number) => done.events.filter((e) => e.device === device).map((e) => e.event);
    expect(of(0)).toEqual(keys);
    expect(of(1)).toEqual(pointer);
    client.close();

    // The sink pushes its counters every 100 ms; the intruder's key events were never counted: it
    // never got past the handshake.
    const vnc = async () => (await vm.stats()).compositor.displays[0]!.vnc!.stats;
    await expect.poll(async () => (await vnc()).input.forwarded, { timeout: 5_000 }).toBe(12);
    expect((await vnc()).input).toEqual({ forwarded: 12, dropped: 0, unmappedKeys: 0, notRouted: 0 });
    expect((await vnc()).keyEvents).toBe(8);
  });

  it('a view-only server routes nothing', async () => {
    const vm = await vms.create({ ramMiB: 32, vcpus: 0, externalVcpus: 1, devices: [{ displayModes: MODES }], input: true });
    const [port] = await vm.startVnc({ port: 0, viewOnly: true });
    const client = await RfbTestClient.connect(port!);
    client.key(XK.a, true);
    client.key(XK.a, false);
    client.pointer(10, 10, 1);
    await expect.poll(async () => (await vm.stats()).compositor.displays[0]!.vnc!.stats.input.notRouted, { timeout: 5_000 }).toBe(3);
    client.close();
    const input = (await vm.stats()).input!;
    expect(input.devices.map((d) => d.events.injected)).toEqual([0, 0]);
  });

  it('refuses a view-only browser viewer over VNC servers that take input (it is one of their clients)', async () => {
    const vm = await vms.create({ ramMiB: 32, devices: [{ displayModes: MODES }], workload: null, input: true });
    await vm.startVnc({ port: 0 });
    await expect(vm.startWeb({ port: 0, viewOnly: true })).rejects.toSatisfy((e: unknown) => e instanceof VmConfigError && e.field === 'web.viewOnly');
  });

  it('a display without input devices counts what its clients send as not routed', async () => {
    const vm = await vms.create({ ramMiB: 32, devices: [{ displayModes: MODES }], workload: null });
    const [port] = await vm.startVnc({ port: 0 });
    const client = await RfbTestClient.connect(port!);
    client.key(XK.a, true);
    await expect.poll(async () => (await vm.stats()).compositor.displays[0]!.vnc!.stats.input.notRouted, { timeout: 5_000 }).toBe(1);
    client.close();
  });
});
