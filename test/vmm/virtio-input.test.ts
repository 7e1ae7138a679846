// virtio-input end to end: a VM with a keyboard and a tablet bound to its display, a guest on an
// embedder-style vCPU thread (test/support/virtio-input-guest.ts) that negotiates, sets up the
// event queues and takes interrupts, and the embedder injecting keys and pointer moves through
// vm.input() at random moments while the guest consumes at random pace: every event arrives,
// in order, with a SYN_REPORT after each report. Hostile virtqueues set up by the guest are
// refused and counted while the apple-gfx workload of the same VM runs on.
import { describe, expect, it } from 'vitest';

import { InputAbs, InputCode, InputEv, VIRTIO_INPUT_ABS_MAX, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VirtioMmioReg as Reg } from '../../abi/generated/virtio.js';
import { connectVcpu } from '../../actors/vcpu/external.js';
import { RAM_BASE, virtioMmioBase } from '../../machine/memory-map.js';
import { Rng } from '../../guest/ts/rng.js';
import { VmConfigError } from '../../vmm/config.js';
import { VmStoppedError } from '../../actors/runtime/errors.js';
import { scaleToAxis } from '../../vmm/vm-input.js';
import { Vm } from '../../vmm/vm.js';
import { exited, nextMessage, startWorker } from '../support/spawn.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';
import { VirtioInputTestDriver, queueArea, type InputEvent } from '../support/virtio-input-driver.js';

const vms = vmsStoppedAfterEach();
const MODES = ['320x200@60'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('virtio-input in a VM', () => {
  it('delivers keys and pointer moves injected at random moments, all of them, in order', async () => {
    const vm = await vms.create({ ramMiB: 32, vcpus: 0, externalVcpus: 1, devices: [{ displayModes: MODES }], input: true });
    const rng = new Rng(0x5eed);
    const KEYS = 150;
    const MOVES = 100;
    // Each key is one event and a SYN; each move two axes and a SYN (x and y both change every time).
    const expected = KEYS * 2 + MOVES * 3;
    const guest = startWorker('test/support/virtio-input-guest', { config: vm.externalVcpu(0), expect: expected, queueSize: 16, seed: 3, deadlineMs: 20_000 });
    const ready = await nextMessage<{ type: string; names: string[] }>(guest, (m) => m.type === 'ready');
    expect(ready.names).toEqual(['PVG Virtio Keyboard', 'PVG Virtio Tablet']);

    const input = vm.input(0, 0);
    const keys: number[] = [];
    const moves: [number, number][] = [];
    for (let i = 0, k = 0, m = 0; k < KEYS || m < MOVES; i++) {
      if (k < KEYS && (m >= MOVES || rng.below(2) === 0)) {
        const code = 1 + rng.below(InputCode.KeyMax);
        while (!input.key(code, k % 2 === 0)) await sleep(1);
        keys.push(code);
        k++;
      } else {
        // x and y step by at least one pixel's worth each time, so both axes change.
        const [x, y] = [m % 2 === 0 ? m : 319 - m, 199 - (m % 200)];
        while (!input.pointer(x, y, 0, { width: 320, height: 200 })) await sleep(1);
        moves.push([scaleToAxis(x, 320), scaleToAxis(y, 200)]);
        m++;
      }
      if (rng.below(8) === 0) await sleep(rng.below(3));
    }
    const done = await nextMessage<{ type: string; events: { device: number; event: InputEvent }[]; interrupts: number }>(guest, (m) => m.type === 'done');
    await exited(guest);

    const of = (device: number) => done.events.filter((e) => e.device === device).map((e) => e.event);
    const syn = { type: InputEv.Syn, code: InputCode.SynReport, value: 0 };
    expect(of(0)).toEqual(keys.flatMap((code, i) => [{ type: InputEv.Key, code, value: i % 2 === 0 ? 1 : 0 }, syn]));
    expect(of(1)).toEqual(
      moves.flatMap(([x, y]) => [{ type: InputEv.Abs, code: InputAbs.X, value: x }, { type: InputEv.Abs, code: InputAbs.Y, value: y }, syn]),
    );
    expect(done.interrupts).toBeGreaterThan(0);
    const stats = (await vm.stats()).input!;
    expect(stats.devices.map((d) => [d.kind, d.display, d.events.dropped, d.faults])).toEqual([
      ['keyboard', { device: 0, display: 0 }, 0, {}],
      ['tablet', { device: 0, display: 0 }, 0, {}],
    ]);
    expect(stats.badRecords).toBe(0);
  });

  it("answers a second vCPU reading other devices' configuration throughout, while events flow on the first", async () => {
    const vm = await vms.create({ ramMiB: 32, vcpus: 0, externalVcpus: 2, devices: [{ displayModes: MODES }, { displayModes: MODES }], input: true });
    const KEYS = 200;
    const guest = startWorker('test/support/virtio-input-guest', { config: vm.externalVcpu(0), expect: KEYS * 2, queueSize: 8, seed: 11, deadlineMs: 20_000 });
    await nextMessage(guest, (m: { type: string }) => m.type === 'ready');
    // Display 1's keyboard and tablet are virtio devices 2 and 3.
    const hammer = startWorker('test/support/virtio-config-hammer', { config: vm.externalVcpu(1), devices: [2, 3], iterations: 3000 });
    const rng = new Rng(99);
    const keys: number[] = [];
    for (let k = 0; k < KEYS; k++) {
      const code = 1 + rng.below(InputCode.KeyMax);
      while (!vm.input(0, 0).key(code, true)) await sleep(1);
      keys.push(code);
      if (rng.below(4) === 0) await sleep(rng.below(2));
    }
    const done = await nextMessage<{ type: string; events: { device: number; event: InputEvent }[] }>(guest, (m) => m.type === 'done');
    const hammered = await nextMessage<{ mismatches: number; names: string[] }>(hammer);
    await Promise.all([exited(guest), exited(hammer)]);
    expect(done.events.filter((e) => e.event.type === InputEv.Key).map((e) => e.event.code)).toEqual(keys);
    expect(hammered).toEqual({ mismatches: 0, names: ['PVG Virtio Keyboard', 'PVG Virtio Tablet'] });
    expect((await vm.stats()).input!.badRecords).toBe(0);
  });

  it('refuses hostile virtqueues, counted, while the VM runs on', async () => {
    const vm = await vms.create({
      ramMiB: 64,
      vcpus: 1,
      externalVcpus: 1,
      devices: [{ displayModes: MODES }],
      input: [{ device: 0, display: 0 }],
      // A workload that leaves the input devices alone (desktop's guest would drive the keyboard itself).
      workload: { name: 'damage', frames: 60 },
    });
    // The built-in vCPU 0 runs the workload in the first half of RAM; the hostile guest uses the top.
    const cpu = connectVcpu(vm.externalVcpu(0));
    const ram = RAM_BASE + 48 * 1024 * 1024;
    const kbd = new VirtioInputTestDriver(cpu, cpu.memory, virtioMmioBase(0), ram);
    const a = queueArea(ram);
    const data = BigInt(ram + 0x8000);
    const faultsNow = async () => (await vm.stats()).input!.devices[0]!.faults;

    kbd.notify(0); // notify before anything is ready
    kbd.negotiate();
    expect(kbd.setupQueue(0, 6, a.desc, a.avail, a.used)).toBe(false); // not a power of two
    expect(kbd.setupQueue(0, 8, 0x1000, a.avail, a.used)).toBe(false); // descriptors outside RAM
    expect(kbd.setupQueue(0, 8, a.desc, a.avail, 0xffff_ffff_ffff_f000n)).toBe(false); // used ring at the top of 64 bits
    // A loop in a descriptor chain: 0 → 1 → 0.
    kbd.prepare(8);
    kbd.writeDescriptor(0, data, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    kbd.writeDescriptor(1, data + 8n, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
    kbd.offer(0);
    expect(kbd.setupQueue(0, 8, a.desc, a.avail, a.used)).toBe(true);
    kbd.driverOk();
    vm.input(0, 0).key(30, true);
    await sleep(50);
    expect(await faultsNow()).toEqual({ 'notify-before-ready': 1, 'bad-size': 2, 'ring-outside-ram': 2, 'chain-loop': 1 });
    expect(kbd.read(Reg.Status) & 0x40).toBe(0x40); // DEVICE_NEEDS_RESET

    // Reset; a buffer outside RAM, then a buffer too short for an event (each needs its own reset).
    for (const [gpa, len, fault] of [
      [0x10n, 8, 'buffer-outside-ram'],
      [data, 4, 'buffer-too-small'],
    ] as const) {
      kbd.negotiate();
      kbd.prepare(8);
      kbd.writeDescriptor(0, gpa, len, VIRTQ_DESC_F_WRITE, 0);
      kbd.offer(0);
      kbd.setupQueue(0, 8, a.desc, a.avail, a.used);
      kbd.driverOk();
      // The device looks at an event buffer when it has an event for it.
      vm.input(0, 0).key(30, true);
      await sleep(20);
      expect((await faultsNow())[fault]).toBe(1);
    }

    // A driver that does it right afterwards gets its events; the workload finished meanwhile.
    kbd.negotiate();
    expect(kbd.setupEventQueue(8)).toBe(true);
    kbd.driverOk();
    vm.input(0, 0).key(44, true);
    let events: InputEvent[] = [];
    for (let i = 0; i < 100 && events.length === 0; i++) {
      await sleep(10);
      events = kbd.takeEvents();
    }
    expect(events[0]).toEqual({ type: InputEv.Key, code: 44, value: 1 });
    const [vcpu] = await vm.whenGuestsDone();
    expect(vcpu!.state).toBe('done');
    cpu.bus.drainWrites();
  });

  it('takes part in vm.pause(), vm.reset() and vm.resume()', async () => {
    // damage leaves the input devices alone (desktop's guest would set the keyboard up and take the event).
    const vm = await vms.create({ ramMiB: 32, devices: [{ displayModes: MODES }], input: true, workload: { name: 'damage', frames: 20 } });
    expect(await vm.pause()).not.toBeNull();
    expect(vm.input().key(2, true)).toBe(true);
    await sleep(20);
    // No driver ever set the keyboard up: the event waits (held while paused in any case).
    expect((await vm.stats()).input!.devices[0]!.events).toEqual({ injected: 2, delivered: 0, pending: 2, dropped: 0 });
    await vm.reset();
    const after = (await vm.stats()).input!.devices[0]!;
    expect([after.events.pending, after.events.dropped, after.status, after.transport.resets]).toEqual([0, 2, 0, 1]);
    await vm.resume();
    await vm.whenGuestsDone();
  });

  it("takes QWORDs in a virtio-pci function's MSI-X table and PBA through the bus and the input actor, both halves each way", async () => {
    const vm = await vms.create({ ramMiB: 32, vcpus: 0, externalVcpus: 1, devices: [{ displayModes: MODES }], input: true, inputTransport: 'pci' });
    const guest = startWorker('test/support/virtio-pci-qword', { config: vm.externalVcpu(0) });
    const report = await nextMessage<Record<string, number[]>>(guest);
    await exited(guest);
    expect(report).toEqual({
      address: [0xfee0_1000, 1],
      dataControl: [0x61, 0], // Vector Control keeps only its mask bit
      dwords: [0xfee0_1000, 1, 0x61, 0, 0], // the unaligned QWORD changed neither entry 1's control nor entry 2's address
      unaligned: [0, 0], // refused: reads 0, counted
      pba: [0, 0],
    });
    const faults = (await vm.stats()).input!.devices[0]!.faults;
    expect(faults).toEqual({ 'bad-access-size': 2 });
  });

  it('delivers every key press and pointer move through INTx to a virtio-pci guest that leaves MSI-X off', async () => {
    const vm = await vms.create({ ramMiB: 32, vcpus: 0, externalVcpus: 1, devices: [{ displayModes: MODES }], input: true, inputTransport: 'pci' });
    const KEYS = 120;
    const MOVES = 60;
    const guest = startWorker('test/support/virtio-pci-intx-guest', { config: vm.externalVcpu(0), expect: KEYS * 2 + MOVES * 3, deadlineMs: 20_000 });
    const ready = await nextMessage<{ type: string; names: string[] }>(guest, (m) => m.type === 'ready');
    expect(ready.names).toEqual(['PVG Virtio Keyboard', 'PVG Virtio Tablet']);
    const rng = new Rng(0x1a7);
    const keys: number[] = [];
    const moves: [number, number][] = [];
    for (let k = 0, m = 0; k < KEYS || m < MOVES;) {
      if (k < KEYS && (m >= MOVES || rng.below(2) === 0)) {
        const code = 1 + rng.below(InputCode.KeyMax);
        while (!vm.input(0, 0).key(code, true)) await sleep(1);
        keys.push(code);
        k++;
      } else {
        const [x, y] = [m % 2 === 0 ? m : 319 - m, 199 - m];
        while (!vm.input(0, 0).pointer(x, y, 0, { width: 320, height: 200 })) await sleep(1);
        moves.push([scaleToAxis(x, 320), scaleToAxis(y, 200)]);
        m++;
      }
      if (rng.below(6) === 0) await sleep(rng.below(3));
    }
    const done = await nextMessage<{ type: string; events: { device: number; event: InputEvent }[]; byVector: Record<string, number>; spurious: number }>(
      guest,
      (m) => m.type === 'done',
    );
    await exited(guest);
    const syn = { type: InputEv.Syn, code: InputCode.SynReport, value: 0 };
    const of = (device: number) => done.events.filter((e) => e.device === device).map((e) => e.event);
    expect(of(0)).toEqual(keys.flatMap((code) => [{ type: InputEv.Key, code, value: 1 }, syn]));
    expect(of(1)).toEqual(
      moves.flatMap(([x, y]) => [{ type: InputEv.Abs, code: InputAbs.X, value: x }, { type: InputEv.Abs, code: InputAbs.Y, value: y }, syn]),
    );
    // Only the two INTx vectors came (0x50 the keyboard's INTA#, 0x51 the tablet's), no MSI-X message was sent.
    expect(Object.keys(done.byVector).sort()).toEqual(['80', '81']);
    const stats = (await vm.stats()).input!;
    for (const d of stats.devices) {
      expect(d.msix!.sent).toBe(0);
      expect(d.msix!.intx).toBeGreaterThan(0);
      expect(d.events.dropped).toBe(0);
      expect(d.faults).toEqual({});
    }
    expect(stats.badRecords).toBe(0);
  });

  it('stops INTx when the guest switches MSI-X on: the rest of the keys come as MSI-X messages', async () => {
    const vm = await vms.create({ ramMiB: 32, vcpus: 0, externalVcpus: 1, devices: [{ displayModes: MODES }], input: true, inputTransport: 'pci' });
    const KEYS = 60;
    const guest = startWorker('test/support/virtio-pci-intx-guest', { config: vm.externalVcpu(0), expect: KEYS * 2, deadlineMs: 20_000, msixAfter: 20 });
    await nextMessage(guest, (m: { type: string }) => m.type === 'ready');
    const keys: number[] = [];
    const switched = nextMessage(guest, (m: { type: string }) => m.type === 'switched');
    for (let k = 0; k < KEYS; k++) {
      // The guest switches after 20 events (10 keys); the rest wait until it did, and come one at a time.
      if (k === 10) await switched;
      const code = 2 + (k % 50);
      while (!vm.input(0, 0).key(code, true)) await sleep(1);
      keys.push(code);
      await sleep(2);
    }
    const done = await nextMessage<{
      type: string;
      events: { device: number; event: InputEvent }[];
      byVector: Record<string, number>;
      intxAfterSwitch: number;
    }>(guest, (m) => m.type === 'done');
    await exited(guest);
    expect(done.events.filter((e) => e.event.type === InputEv.Key).map((e) => e.event.code)).toEqual(keys);
    const keyboard = (await vm.stats()).input!.devices[0]!;
    expect(keyboard.msix!.intx).toBeGreaterThan(0);
    expect(keyboard.msix!.sent).toBeGreaterThan(0);
    // 0x7e: messages reached the guest (several to a vector still pending are taken as one, as in a local APIC's IRR).
    expect(done.byVector['126']).toBeGreaterThan(0);
    expect(done.byVector['126']).toBeLessThanOrEqual(keyboard.msix!.sent);
    // Enabling MSI-X lowered INTA#: at most one INTx interrupt already delivered to the vCPU before it came after.
    expect(done.intxAfterSwitch).toBeLessThanOrEqual(1);
  });

  it('checks the input option and vm.input()', async () => {
    await expect(Vm.create({ input: [{ device: 1 }] })).rejects.toThrow(VmConfigError);
    await expect(Vm.create({ input: [{ display: 0 }, { display: 0 }] })).rejects.toThrow(/twice/);
    await expect(Vm.create({ input: 'yes' as never })).rejects.toThrow(VmConfigError);
    const vm = await vms.create({ ramMiB: 16, vcpus: 0, externalVcpus: 1, devices: [{ displayModes: MODES, displays: 2 }], input: [{ display: 1 }] });
    expect(() => vm.input(0, 0)).toThrow(RangeError);
    const input = vm.input(0, 1);
    expect(() => input.key(0, true)).toThrow(RangeError);
    expect(() => input.pointer(Number.NaN, 0, 0, { width: 10, height: 10 })).toThrow(RangeError);
    expect(() => input.pointer(0, 0, 8, { width: 10, height: 10 })).toThrow(RangeError);
    await vm.stop();
    expect(() => input.key(30, true)).toThrow(VmStoppedError);
    expect([scaleToAxis(-5, 320), scaleToAxis(0, 320), scaleToAxis(319, 320), scaleToAxis(1000, 320), scaleToAxis(0, 1)]).toEqual([
      0,
      0,
      VIRTIO_INPUT_ABS_MAX,
      VIRTIO_INPUT_ABS_MAX,
      0,
    ]);
  });
});
