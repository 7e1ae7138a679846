// The desktop workload with the display's virtio-input devices: with no input it draws exactly
// the golden frames (test/vmm/golden-workloads.json) and moves its cursor along the same path as
// without devices; once the tablet reports a position, the cursor stays where the pointer is —
// over virtio-mmio, and over virtio-pci on a PCI machine.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { VmOptions } from '../../../../vmm/config.js';
import { packageRoot } from '../../../../shared/package-root.js';
import { fnv1a64 } from '../../../support/pixels.js';
import { vmsStoppedAfterEach } from '../../../support/vm-pool.js';

const vms = vmsStoppedAfterEach({ ramMiB: 64 });
const MODES = ['320x200@60', '256x160@60', '200x120@60'];
const golden = JSON.parse(readFileSync(path.join(packageRoot, 'test', 'vmm', 'golden-workloads.json'), 'utf8')) as Record<string, string>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The input devices on virtio-mmio windows, or a PCI machine with virtio-pci input (or, mixed, virtio-mmio input). */
const MACHINES: [string, VmOptions][] = [
  ['mmio', { devices: [{ displayModes: MODES }], inputTransport: 'mmio' }],
  ['pci', { devices: [{ variant: 'pci', displayModes: MODES }], inputTransport: 'pci' }],
  // Mixed: apple-gfx on PCI (its BAR in the device actor's table), the input devices on virtio-mmio.
  ['mmio on a PCI machine', { devices: [{ variant: 'pci', displayModes: MODES }], inputTransport: 'mmio' }],
];

describe('desktop with input devices', () => {
  it('no input: the golden frame and the same cursor path as without devices', async () => {
    const ends = [];
    for (const input of [true, false]) {
      const vm = await vms.create({ devices: [{ displayModes: MODES }], input, workload: { name: 'desktop', frames: 24, seed: 7 } });
      const [cpu] = await vm.whenGuestsDone();
      expect(cpu).toMatchObject({ state: 'done', fault: null });
      await vm.settle();
      const f = (await vm.frame(0, 0))!;
      ends.push({ checksum: fnv1a64(f.pixels), x: f.cursor.x, y: f.cursor.y });
    }
    expect(ends[0]!.checksum).toBe(golden.desktop);
    expect(ends[0]).toEqual(ends[1]);
  });

  it.each(MACHINES)('the cursor follows the pointer once the tablet reports one, and stays there (virtio-%s)', async (_, machine) => {
    const vm = await vms.create({ ...machine, input: true, workload: { name: 'desktop', frames: 1e6, seed: 7 } });
    const input = vm.input(0, 0);
    for (const [x, y] of [
      [50, 60],
      [319, 0],
      [123, 177],
    ] as const) {
      expect(input.pointer(x, y, 0, { width: 320, height: 200 })).toBe(true);
      const deadline = Date.now() + 15_000;
      // null until the compositor kept the guest's first frame (the VM may have just started).
      let f = await vm.frame(0, 0);
      while ((f === null || f.cursor.x !== x || f.cursor.y !== y) && Date.now() < deadline) {
        await sleep(10);
        f = await vm.frame(0, 0);
      }
      if (f === null) throw new Error('no frame within 15 s');
      expect([f.cursor.x, f.cursor.y]).toEqual([x, y]);
      // Frames go on (the clock counts) and the cursor does not leave the pointer.
      const seq = f.frameSeq;
      while (f.frameSeq < seq + 5 && Date.now() < deadline) {
        await sleep(10);
        f = (await vm.frame(0, 0)) ?? f;
      }
      expect(f.frameSeq).toBeGreaterThanOrEqual(seq + 5);
      expect([f.cursor.x, f.cursor.y]).toEqual([x, y]);
    }
  });
});
