// A machine whose guest drives virtio-input, saved while input is still on its way (issue 19's
// differential test for the input devices): paint, with a script of strokes and typing injected
// before the guest starts, is held by vm.pauseAtFrame() with events still waiting in the devices
// and in the guest's queues, saved, run on, and the file restored in a new process — on both
// transports. The restored machine gets the rest of the input from the file (nothing is injected
// again) and must end on the uninterrupted run's pixels and cursor; so must the machine it was
// saved from. paint presents only when input changed something, so how events batch into frames
// (timing) changes the frame number, never the pixels: the frame number is left out.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterEach, describe, expect, it } from 'vitest';

import { VirtioStatus } from '../../../abi/generated/virtio.js';
import { packageRoot } from '../../../shared/package-root.js';
import type { VmOptions } from '../../../vmm/config.js';
import { Vm } from '../../../vmm/vm.js';
import { frameSummaries } from '../../support/snapshot-frames.js';

const run = promisify(execFile);
let vms: Vm[] = [];
afterEach(async () => {
  await Promise.all(vms.map((v) => v.stop()));
  vms = [];
});
const keep = (vm: Vm) => (vms.push(vm), vm);

const FRAMES = 80;
const SAVE_AT = 2;
const FRAME = { width: 320, height: 200 };
// Linux key codes: h e l o, space, w r d, Shift, Enter, Backspace, 1.
const [H, E, L, O, SPACE, W, R, D, SHIFT, ENTER, BACKSPACE, ONE] = [35, 18, 38, 24, 57, 17, 19, 32, 42, 28, 14, 2];

/** Strokes with the pen and the eraser, and typing with Shift, Enter and Backspace: a few hundred events. */
function inject(vm: Vm): void {
  const input = vm.input(0, 0);
  const ok = (sent: boolean) => expect(sent).toBe(true);
  for (let i = 0; i < 40; i++) ok(input.pointer(40 + i * 6, 80 + ((i * 7) % 50), 1, FRAME));
  ok(input.pointer(280, 150, 0, FRAME));
  for (let i = 0; i < 20; i++) ok(input.pointer(60 + i * 8, 100, 4, FRAME));
  ok(input.pointer(200, 190, 0, FRAME));
  const type = (code: number) => (ok(input.key(code, true)), ok(input.key(code, false)));
  ok(input.key(SHIFT, true));
  type(H);
  ok(input.key(SHIFT, false));
  [E, L, L, O, SPACE, W, O, R, L, D, ENTER, ONE, ONE, BACKSPACE, H, E].forEach(type);
  for (let i = 0; i < 30; i++) ok(input.pointer(300 - i * 9, 60 + i * 4, 1, FRAME));
  ok(input.pointer(10, 190, 0, FRAME));
}

/**
 * Starts the guest and injects the script once its drivers are up (a driver's probe resets the
 * device, which drops what waited: virtio 1.2 §5.8.6.1), then waits until the input actor took
 * every record, so a save cannot miss one still in its mailbox.
 */
async function startWithInput(vm: Vm): Promise<void> {
  await vm.resume();
  const deadline = Date.now() + 20_000;
  const stats = async () => (await vm.stats()).input!.devices;
  while (!(await stats()).every((d) => (d.status & VirtioStatus.DriverOk) !== 0)) {
    if (Date.now() > deadline) throw new Error('the guest did not bring its input devices up');
    await new Promise((r) => setTimeout(r, 1));
  }
  inject(vm);
  // Answered on the input actor's thread between records: an empty mailbox then means every record before it was handled.
  while ((await vm.stats()).input!.mailbox.depth > 0) {
    if (Date.now() > deadline) throw new Error('the input actor did not take the script');
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** The summaries without the frame number (see the header). */
const pixelsAndCursor = (frames: string[]) => frames.map((f) => f.replace(/ seq \d+ /, ' '));

describe('a machine whose guest drives virtio-input, saved with input still on its way', () => {
  it.each(['mmio', 'pci'] as const)(
    '%s transport: restored in a new process, it gets the rest of the input and ends on the uninterrupted run’s pixels',
    async (transport) => {
      const options: VmOptions = {
        ramMiB: 32,
        devices: [{ variant: transport, displayModes: ['320x200@60'] }],
        input: true,
        inputTransport: transport,
        workload: { name: 'paint', frames: FRAMES, seed: 1 },
        trace: false,
      };
      const reference = keep(await Vm.create({ ...options, start: 'paused' }));
      await startWithInput(reference);
      const expected = pixelsAndCursor(await frameSummaries(reference));
      const all = await reference.stats();
      // Every event reached the guest: the comparison covers the whole script.
      expect(all.input!.devices.every((d) => d.events.pending === 0 && d.events.dropped === 0)).toBe(true);
      expect(all.vcpus[0]!.guest!.inputEvents).toBe(all.input!.devices.reduce((n, d) => n + d.events.injected, 0));
      await reference.stop();

      const file = path.join(mkdtempSync(path.join(tmpdir(), 'pvg-input-snap-')), 'paint.snap');
      const vm = keep(await Vm.create({ ...options, start: 'paused' }));
      // Asked before the guest starts; the script goes in once its drivers are up (frames 0 and
      // 1 wait for input, so most of it lands before the hold; any later waits in the devices).
      const held = vm.pauseAtFrame(SAVE_AT);
      await startWithInput(vm);
      await held;
      const at = await vm.stats();
      // Saved mid-input: events still wait in the devices for the guest's buffers.
      expect(at.input!.devices.reduce((n, d) => n + d.events.pending, 0)).toBeGreaterThan(0);
      await vm.saveSnapshot(file);
      await vm.resume();
      expect(pixelsAndCursor(await frameSummaries(vm))).toEqual(expected);
      await vm.stop();

      const { stdout } = await run(process.execPath, [path.join(packageRoot, 'dist', 'test', 'support', 'snapshot-restore.js'), file], { timeout: 60_000 });
      const restored = JSON.parse(stdout.trim()) as { frames: string[] };
      expect(pixelsAndCursor(restored.frames)).toEqual(expected);
    },
    120_000,
  );
});
