// One compositor serves every display of every device: two devices with three displays each, all
// drawn at once (the multihead workload), each display kept exactly, each with its own VNC port.
import { afterEach, describe, expect, it } from 'vitest';

import { multiheadBackground, multiheadSquare } from '../../../guest/ts/workloads/multihead.js';
import { Vm } from '../../../vmm/vm.js';
import { RfbTestClient } from '../../support/vnc-client/rfb-client.js';

let vm: Vm | null = null;
afterEach(async () => {
  await vm?.stop();
  vm = null;
});

describe('the compositor with several displays on several devices', () => {
  it('keeps every display of every device exactly, and serves each on its own port', async () => {
    const FRAMES = 10;
    const display = { displays: 3, displayModes: ['320x200@60', '256x160@60'] };
    vm = await Vm.create({ ramMiB: 64, devices: [display, display], workload: { name: 'multihead', frames: FRAMES, seed: 1 } });
    await vm.whenGuestsDone();
    await vm.settle();
    for (const device of [0, 1]) {
      for (const k of [0, 1, 2]) {
        const f = (await vm.frame(device, k))!;
        expect([f.width, f.height], `device${device} display${k}`).toEqual([320, 200]);
        const sq = multiheadSquare(320, 200, k, FRAMES);
        let wrong = 0;
        for (let y = 0; y < 200; y++) {
          for (let x = 0; x < 320; x++) {
            const inSquare = x >= sq.x && x < sq.x + sq.size && y >= sq.y && y < sq.y + sq.size;
            if (f.pixels[y * 320 + x] !== (inSquare ? 0xffffffff : multiheadBackground(k))) wrong++;
          }
        }
        expect(wrong, `device${device} display${k}`).toBe(0);
      }
    }
    const shown = (await vm.stats()).compositor.displays;
    expect(shown.map((d) => `${d.device}.${d.display}`)).toEqual(['0.0', '0.1', '0.2', '1.0', '1.1', '1.2']);
    for (const d of shown) expect(d.frames).toBe(FRAMES + 1); // the set-up present and one per frame

    const ports = await vm.startVnc({ port: 0 });
    expect(new Set(ports).size).toBe(6);
    const client = await RfbTestClient.connect(ports[5]!);
    expect(client.name).toBe('pvg-vmm device1 display2');
    expect(await client.sizeOnceSettled(320, 200)).toEqual([320, 200]);
    client.close();
  });
});
