// The paint workload on the built-in guest, driven through vm.input(): its virtio-input driver
// takes the tablet's and keyboard's events, the PVG cursor goes where the pointer is, a press
// draws the pen, a drag draws a joined stroke, the right button erases, and keys type glyphs
// into the text box (Shift for upper case, Backspace). Events are injected at random moments
// and the guest must end with exactly the picture they describe. All of it three times: over
// virtio-mmio, over virtio-pci on a PCI machine (the guest finds the functions in ECAM, places
// their BARs and takes MSI-X messages), and there again with the guest leaving MSI-X off
// (inputInterrupts: 'intx': INTA# levels acknowledged by reading the ISR), where it must react
// exactly the same.
import { describe, expect, it } from 'vitest';

import { PAINT_BACKGROUND, PAINT_PEN, PAINT_TEXT, textBox } from '../../../../guest/ts/workloads/paint.js';
import type { Vm } from '../../../../vmm/vm.js';
import type { VmOptions } from '../../../../vmm/config.js';
import { vmsStoppedAfterEach } from '../../../support/vm-pool.js';
import { frameWhen, pixelAt as at } from '../../../support/kept-frame.js';
import { pointerDrawErase, textPixels } from '../../../support/paint-script.js';

const vms = vmsStoppedAfterEach();
const W = 320;
const H = 200;
const KEY = { H: 35, I: 23, LEFTSHIFT: 42, BACKSPACE: 14, X: 45 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The machine: apple-gfx and its input devices on virtio-mmio windows, or all of it on PCI. */
const MACHINES = {
  mmio: { devices: [{ displayModes: [`${W}x${H}@60`] }], inputTransport: 'mmio' },
  pci: { devices: [{ variant: 'pci', displayModes: [`${W}x${H}@60`] }], inputTransport: 'pci' },
  // The same PCI machine, its guest leaving MSI-X off: every interrupt through INTA# and the ISR.
  'pci-intx': { devices: [{ variant: 'pci', displayModes: [`${W}x${H}@60`] }], inputTransport: 'pci', inputInterrupts: 'intx' },
} as const satisfies Record<string, VmOptions>;

describe.each(['mmio', 'pci', 'pci-intx'] as const)('paint over virtio-%s', (transport) => {
  const machine = MACHINES[transport];

  async function paintVm(): Promise<Vm> {
    const vm = await vms.create({ ramMiB: 64, ...machine, input: true, workload: { name: 'paint', frames: 1e9 } });
    await frameWhen(vm, (f) => f.cursor.visible && at(f, 0, H - 1) === PAINT_BACKGROUND);
    return vm;
  }

  describe('paint', () => {
    it('the cursor follows the pointer; a press draws, a drag draws a joined stroke, the right button erases', async () => {
      const vm = await paintVm();
      await pointerDrawErase(vm, W, H);
      const stats = (await vm.stats()).vcpus[0]!.guest as { inputEvents?: number } | null;
      expect(stats?.inputEvents).toBeGreaterThan(0);
      // Over PCI the tablet's interrupts were MSI-X messages, or INTx with MSI-X left off (none over virtio-mmio's level line).
      const tablet = (await vm.stats()).input!.devices[1]!;
      if (transport === 'pci') expect([tablet.msix!.sent > 0, tablet.msix!.intx]).toEqual([true, 0]);
      else if (transport === 'pci-intx') expect([tablet.msix!.sent, tablet.msix!.intx > 0]).toEqual([0, true]);
      else expect(tablet.msix).toBeUndefined();
    });

    it('keys type glyphs into the text box; Backspace takes the last one away', async () => {
      const vm = await paintVm();
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
      // 'H' is 11 dots of 4×4 pixels, 'I' 9 dots: 20 dots.
      let f = await frameWhen(vm, (k) => textPixels(k) === 20 * 16);
      expect(textPixels(f)).toBe(20 * 16);
      await press(KEY.BACKSPACE);
      f = await frameWhen(vm, (k) => textPixels(k) === 11 * 16);
      expect(textPixels(f)).toBe(11 * 16);
      // The glyph is where the first character goes: H's left column from the box's corner.
      const box = textBox(W);
      expect(at(f, box.x + 8, box.y + 8)).toBe(PAINT_TEXT);
    });

    it("input before the guest has set its queue up is dropped by the driver's reset, counted; input after it arrives", async () => {
      const vm = await vms.create({
        ramMiB: 64,
        ...machine,
        input: true,
        workload: { name: 'paint', frames: 1e9 },
        start: 'paused',
      });
      const input = vm.input(0, 0);
      // No driver yet: the devices keep these (their status is 0, no queue is ready).
      for (let i = 0; i < 5; i++) expect(input.key(KEY.X, i % 2 === 0)).toBe(true);
      expect(input.pointer(10, 150, 1, { width: W, height: H })).toBe(true);
      await vm.resume();
      await frameWhen(vm, (f) => f.cursor.visible);
      const before = (await vm.stats()).input!.devices;
      // The guest driver's reset (Status = 0) dropped what waited: nothing was typed or drawn.
      expect(before[0]!.events).toMatchObject({ injected: 10, delivered: 0, dropped: 10 }); // each key: EV_KEY and SYN_REPORT
      expect(before[1]!.events).toMatchObject({ delivered: 0, dropped: before[1]!.events.injected });
      const f = (await vm.frame(0, 0))!;
      expect(textPixels(f)).toBe(0);
      expect(at(f, 10, 150)).toBe(PAINT_BACKGROUND);
      input.key(KEY.X, true);
      input.key(KEY.X, false);
      expect(textPixels(await frameWhen(vm, (k) => textPixels(k) > 0))).toBe(9 * 16); // 'x' (drawn as X): 9 dots
      expect(vm.supervisor.failed).toBeNull();
    });

    it('many pointer reports and keys at random moments: the guest takes every event the devices delivered, the cursor ends on the last report', async () => {
      const vm = await paintVm();
      const input = vm.input(0, 0);
      const frame = { width: W, height: H };
      let seed = 0x2545f491;
      const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
      let last = { x: 0, y: 0 };
      for (let i = 0; i < 400; i++) {
        last = { x: random(W), y: 120 + random(H - 120) };
        while (!input.pointer(last.x, last.y, random(3) === 0 ? 1 : 0, frame)) await sleep(1);
        if (random(8) === 0) while (!input.key(KEY.X, i % 2 === 0)) await sleep(1);
        if (random(4) === 0) await sleep(random(3));
      }
      input.pointer(last.x, last.y, 0, frame);
      const f = await frameWhen(vm, (k) => k.cursor.x === last.x && k.cursor.y === last.y);
      expect([f.cursor.x, f.cursor.y]).toEqual([last.x, last.y]);
      // Every event the devices put in the used rings, the guest took; none were dropped on the way.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const s = await vm.stats();
        const devices = s.input!.devices;
        const delivered = devices.reduce((n, d) => n + d.events.delivered, 0);
        const taken = (s.vcpus[0]!.guest as { inputEvents?: number }).inputEvents;
        if ((taken === delivered && devices.every((d) => d.events.pending === 0)) || Date.now() > deadline) {
          expect(devices.map((d) => d.events.dropped)).toEqual([0, 0]);
          expect(devices.map((d) => d.events.pending)).toEqual([0, 0]);
          expect(taken).toBe(delivered);
          expect(delivered).toBe(devices.reduce((n, d) => n + d.events.injected, 0));
          break;
        }
        await sleep(20);
      }
      expect(vm.supervisor.failed).toBeNull();
    });

    it('input sent while paused draws after resume; after a reset the guest starts a fresh canvas and drives the devices again', async () => {
      const vm = await paintVm();
      const input = vm.input(0, 0);
      const frame = { width: W, height: H };
      const click = (x: number, y: number) => {
        input.pointer(x, y, 1, frame);
        input.pointer(x, y, 0, frame);
      };
      click(50, 150);
      await frameWhen(vm, (k) => at(k, 50, 150) === PAINT_PEN);
      expect(await vm.pause()).not.toBeNull();
      click(60, 150); // held by the paused devices
      await vm.resume();
      expect(at(await frameWhen(vm, (k) => at(k, 60, 150) === PAINT_PEN), 60, 150)).toBe(PAINT_PEN);
      await vm.reset();
      // The restarted guest clears the canvas; its driver resets the devices and sets them up again.
      expect(at(await frameWhen(vm, (k) => at(k, 50, 150) === PAINT_BACKGROUND && k.cursor.visible), 50, 150)).toBe(PAINT_BACKGROUND);
      click(70, 150);
      const f = await frameWhen(vm, (k) => at(k, 70, 150) === PAINT_PEN);
      expect([at(f, 70, 150), at(f, 60, 150)]).toEqual([PAINT_PEN, PAINT_BACKGROUND]);
      expect(vm.supervisor.failed).toBeNull();
    });
  });
});
