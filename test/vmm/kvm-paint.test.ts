// paint and desktop on the machine-code guest (guest/c/wl_paint.c, wl_desktop.c) under KVM, driven
// through vm.input() as test/guest/ts/workloads/paint.test.ts drives the TypeScript guest: its
// virtio-mmio or virtio-pci (MSI-X) driver takes the keyboard's and tablet's events, the PVG cursor follows the pointer, a drag draws a joined
// stroke, the right button erases, keys type glyphs; the same input gives the same picture as on
// the TypeScript guest; desktop's cursor leaves its path for the pointer. Runs wherever /dev/kvm
// is usable; elsewhere skipped with the reason. (On any host: the C paint's commands against
// paint.ts's, test/guest/c/guest-input.test.ts; the virtio-pci driver and desktop's cursor,
// test/guest/c/guest-virtio-pci.test.ts.)
import { describe, expect, it } from 'vitest';

import { kvmUnavailableReason } from '../../actors/vcpu/kvm/availability.js';
import { PAINT_BACKGROUND, PAINT_TEXT, textBox } from '../../guest/ts/workloads/paint.js';
import type { VmOptions } from '../../vmm/config.js';
import type { Vm } from '../../vmm/vm.js';
import { frameWhen, pixelAt as at } from '../support/kept-frame.js';
import { fnv1a64 } from '../support/pixels.js';
import { pointerDrawErase, textPixels } from '../support/paint-script.js';
import { vmsStoppedAfterEach } from '../support/vm-pool.js';

const unavailable = kvmUnavailableReason();
if (unavailable) console.warn(`test/vmm/kvm-paint.test.ts skipped: ${unavailable}`);
const onKvm = unavailable ? describe.skip : describe;

const vms = vmsStoppedAfterEach();
const W = 320;
const H = 200;
const KEY = { H: 35, I: 23, LEFTSHIFT: 42, BACKSPACE: 14 };
const MACHINE = { ramMiB: 64, devices: [{ displayModes: [`${W}x${H}@60`] }], inputTransport: 'mmio', input: true } as const satisfies VmOptions;
type Transport = 'mmio' | 'pci';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function paintVm(cpu: 'kvm' | 'ts', inputTransport: Transport = 'mmio'): Promise<Vm> {
  const vm = await vms.create({ ...MACHINE, inputTransport, cpu, workload: { name: 'paint', frames: 1e9 } });
  await frameWhen(vm, (f) => f.cursor.visible && at(f, 0, H - 1) === PAINT_BACKGROUND);
  return vm;
}

/** Events the guest took and the devices delivered, once they agree (or 20 s pass). */
async function allTaken(vm: Vm): Promise<{ taken: number; delivered: number }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const s = await vm.stats();
    const taken = (s.vcpus[0]!.guest as { inputEvents?: number } | null)?.inputEvents ?? 0;
    const delivered = s.input!.devices.reduce((n, d) => n + d.events.delivered, 0);
    if ((taken === delivered && delivered > 0) || Date.now() > deadline) return { taken, delivered };
    await sleep(20);
  }
}

onKvm('paint on the machine-code guest (KVM)', () => {
  it.each(['mmio', 'pci'] as const)(
    'over virtio-%s: the cursor follows the pointer; a press draws, a drag draws a joined stroke, the right button erases',
    async (transport) => {
      const vm = await paintVm('kvm', transport);
      expect(vm.cpu.backend).toBe('kvm');
      await pointerDrawErase(vm, W, H);
      const { taken, delivered } = await allTaken(vm);
      expect(taken).toBe(delivered);
      const s = await vm.stats();
      expect(s.vcpus[0]).toMatchObject({ cpu: 'kvm', fault: null });
      // The tablet's interrupt reached the guest (virtio-mmio: its level line, acknowledged with InterruptAck; virtio-pci: its MSI-X vector), which EOId it.
      expect(s.vcpus[0]!.guest!.interruptsHandled).toBeGreaterThan(0);
      expect(s.input!.devices.every((d) => d.events.dropped === 0)).toBe(true);
    },
  );

  it('keys type glyphs into the text box; Backspace takes the last one away', async () => {
    const vm = await paintVm('kvm');
    const input = vm.input(0, 0);
    const press = async (code: number) => {
      input.key(code, true);
      await sleep(Math.random() * 10);
      input.key(code, false);
    };
    expect(textPixels((await vm.frame(0, 0))!)).toBe(0);
    input.key(KEY.LEFTSHIFT, true);
    await press(KEY.H);
    input.key(KEY.LEFTSHIFT, false);
    await press(KEY.I);
    let f = await frameWhen(vm, (k) => textPixels(k) === 20 * 16);
    expect(textPixels(f)).toBe(20 * 16); // 'H' 11 dots, 'I' 9, of 4×4 pixels
    await press(KEY.BACKSPACE);
    f = await frameWhen(vm, (k) => textPixels(k) === 11 * 16);
    expect(textPixels(f)).toBe(11 * 16);
    const box = textBox(W);
    expect(at(f, box.x + 8, box.y + 8)).toBe(PAINT_TEXT);
  });

  it.each(['mmio', 'pci'] as const)('over virtio-%s: the same input gives the same picture and cursor as on the TypeScript guest', async (transport) => {
    const pictures: { checksum: string; cursor: [number, number] }[] = [];
    for (const cpu of ['ts', 'kvm'] as const) {
      const vm = await paintVm(cpu, transport);
      const input = vm.input(0, 0);
      const frame = { width: W, height: H };
      for (const code of [KEY.LEFTSHIFT, KEY.H, KEY.I]) input.key(code, true);
      for (const code of [KEY.I, KEY.H, KEY.LEFTSHIFT]) input.key(code, false);
      const path = [
        [30, 130, 1],
        [120, 190, 1],
        [300, 140, 1],
        [300, 140, 0],
        [200, 170, 4],
        [150, 130, 4],
        [150, 130, 0],
        [77, 155, 0],
      ] as const;
      for (const [x, y, buttons] of path) {
        expect(input.pointer(x, y, buttons, frame)).toBe(true);
        await sleep(5);
      }
      const { taken, delivered } = await allTaken(vm);
      expect(taken, cpu).toBe(delivered);
      const f = await frameWhen(vm, (k) => k.cursor.x === 77 && k.cursor.y === 155 && textPixels(k) === 20 * 16);
      await vm.settle();
      const last = (await vm.frame(0, 0))!;
      pictures.push({ checksum: fnv1a64(last.pixels).toString(), cursor: [f.cursor.x, f.cursor.y] });
      await vm.stop();
    }
    expect(pictures[1]).toEqual(pictures[0]);
  });

  it('virtio-pci input on INTx is refused: the machine-code guest takes MSI-X only', async () => {
    await expect(
      vms.create({ ...MACHINE, inputTransport: 'pci', inputInterrupts: 'intx', cpu: 'kvm', workload: { name: 'paint', frames: 1 } }),
    ).rejects.toThrow(/MSI-X only/);
  });
});

onKvm('desktop on the machine-code guest follows the pointer (KVM)', () => {
  it.each(['mmio', 'pci'] as const)('over virtio-%s: the cursor leaves its path for the pointer, follows it and stays there', async (transport) => {
    const vm = await vms.create({ ...MACHINE, inputTransport: transport, cpu: 'kvm', workload: { name: 'desktop', frames: 1e9 } });
    expect(vm.cpu.backend).toBe('kvm');
    await frameWhen(vm, (f) => f.cursor.visible);
    const input = vm.input(0, 0);
    for (const [x, y] of [
      [10, 20],
      [300, 180],
      [160, 101],
    ] as const) {
      expect(input.pointer(x, y, 0, { width: W, height: H })).toBe(true);
      const f = await frameWhen(vm, (k) => k.cursor.x === x && k.cursor.y === y);
      expect([f.cursor.x, f.cursor.y]).toEqual([x, y]);
    }
    // Off its Lissajous path for good: frames later the cursor is still where the pointer left it.
    const frames = (await vm.stats()).vcpus[0]!.guest!.framesDone;
    let later = await vm.stats();
    for (const deadline = Date.now() + 20_000; later.vcpus[0]!.guest!.framesDone < frames + 30 && Date.now() < deadline; later = await vm.stats())
      await sleep(20);
    expect(later.vcpus[0]!.guest!.framesDone).toBeGreaterThanOrEqual(frames + 30);
    const f = (await vm.frame(0, 0))!;
    expect([f.cursor.x, f.cursor.y]).toEqual([160, 101]);
    const { taken, delivered } = await allTaken(vm);
    expect(taken).toBe(delivered);
    expect(later.vcpus[0]).toMatchObject({ cpu: 'kvm', fault: null });
    expect(later.vcpus[0]!.guest!.interruptsHandled).toBeGreaterThan(0);
  });
});
