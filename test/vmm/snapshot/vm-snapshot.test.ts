// vm.saveSnapshot() and Vm.restore(): a machine saved before any guest ran, restored in a new
// process, has the same RAM and renders exactly the frames the machine it was saved from renders;
// saves racing the lifecycle restore to the same frames; a machine the format cannot hold yet is
// refused with nothing written; a bad file starts nothing. (Saved mid-run: vm-snapshot-midrun.test.ts.)
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterEach, describe, expect, it } from 'vitest';

import { RAM_BASE } from '../../../machine/memory-map.js';
import { packageRoot } from '../../../shared/package-root.js';
import { VmConfigError, type VmOptions } from '../../../vmm/config.js';
import { SnapshotFormatError, SnapshotUnsupportedError } from '../../../vmm/snapshot/errors.js';
import { ramBytesOf } from '../../../vmm/snapshot/machine.js';
import { Vm } from '../../../vmm/vm.js';
import { frameSummaries } from '../../support/snapshot-frames.js';

const run = promisify(execFile);
let vms: Vm[] = [];
afterEach(async () => {
  await Promise.all(vms.map((v) => v.stop()));
  vms = [];
});
const keep = (vm: Vm) => (vms.push(vm), vm);
const dir = () => mkdtempSync(path.join(tmpdir(), 'pvg-vmsnap-'));
const sha = (b: NodeJS.ArrayBufferView) => createHash('sha256').update(b).digest('hex');

const lastFrames = frameSummaries;

/** Something in RAM an embedder put there before the guest ran (as a loader puts an image). */
function scribble(vm: Vm): void {
  const page = new Uint8Array(8192);
  for (let i = 0; i < page.length; i++) page[i] = (i * 131 + 7) & 0xff;
  vm.memory.write(RAM_BASE + 0x10_0000, page);
  vm.memory.write(RAM_BASE + vm.config.ramBytes - 4096, page.subarray(0, 4096));
}

const machines: [string, VmOptions][] = [
  ['mmio, 1 device', { ramMiB: 32, devices: [{ displayModes: ['320x200@60', '640x480@60'] }], workload: { name: 'desktop', frames: 12, seed: 3 } }],
  ['pci, 1 device', { ramMiB: 32, devices: [{ variant: 'pci', displayModes: ['320x200@60'] }], workload: { name: 'mapchurn', frames: 8, seed: 5 } }],
  [
    'mmio and pci, 2 devices',
    {
      ramMiB: 64,
      vcpus: 2,
      devices: [{ displayModes: ['320x200@60'] }, { variant: 'pci', displayModes: ['320x200@60'], displays: 2 }],
      workload: { name: 'multihead', frames: 6, seed: 1 },
    },
  ],
];

describe('vm.saveSnapshot() and Vm.restore()', () => {
  for (const [name, options] of machines) {
    it(`${name}: restored in a new process, the machine has the same RAM and ends on the same frames`, async () => {
      const file = path.join(dir(), 'vm.snap');
      const saved = keep(await Vm.create({ ...options, start: 'paused', trace: false }));
      scribble(saved);
      const ramSha256 = sha(ramBytesOf(saved.memory, saved.config.ramBytes));
      const report = await saved.saveSnapshot(file);
      expect(report.bytes).toBe(readFileSync(file).length);
      expect(report.ram.pages).toBe(saved.config.ramBytes / 4096);
      expect(report.ram.zeroPages).toBe(report.ram.pages - 3);
      // The machine it was saved from runs on as if nothing happened: the reference frames.
      await saved.resume();
      const reference = await lastFrames(saved);

      const { stdout } = await run(process.execPath, [path.join(packageRoot, 'dist', 'test', 'support', 'snapshot-restore.js'), file], { timeout: 60_000 });
      const restored = JSON.parse(stdout.trim().split('\n').at(-1)!) as { ramSha256: string; frames: string[] };
      expect(restored.ramSha256).toBe(ramSha256);
      expect(restored.frames).toEqual(reference);
      expect(reference.every((f) => !f.includes('seq 0 '))).toBe(true);
    }, 90_000);
  }

  it('restores paused or running, with the host options the caller gives', async () => {
    const file = path.join(dir(), 'vm.snap');
    const options: VmOptions = { ramMiB: 16, devices: [{ displayModes: ['320x200@60'] }], workload: { name: 'damage', frames: 5, seed: 9 } };
    const saved = keep(await Vm.create({ ...options, start: 'paused' }));
    await saved.saveSnapshot(file, { compression: 'none' });
    const running = keep(await Vm.restore(file, { trace: false }));
    const paused = keep(await Vm.restore(file, { start: 'paused' }));
    expect(running.config.trace).toBe(false);
    expect(paused.config.start).toBe('paused');
    const fresh = keep(await Vm.create({ ...options, trace: false }));
    const [a, b] = await Promise.all([lastFrames(running), lastFrames(fresh)]);
    expect(a).toEqual(b);
    expect((await paused.stats()).vcpus[0]!.bus.reads).toBe(0); // nothing ran before resume()
    await paused.resume();
    expect(await lastFrames(paused)).toEqual(b);
    await expect(Vm.restore(file, { start: 'later' as 'paused' })).rejects.toThrow(/restore options.start/);
    await expect(Vm.restore(file, { ramMiB: 64 } as object)).rejects.toThrow(/restore options.ramMiB/);
  }, 60_000);

  it('a restored machine saved again before it resumed, and one reset before it resumed, end on the reference frames', async () => {
    const d = dir();
    const options: VmOptions = { ramMiB: 32, devices: [{ displayModes: ['320x200@60'] }], workload: { name: 'mapchurn', frames: 24, seed: 3 }, trace: false };
    const expected = await lastFrames(keep(await Vm.create(options)));
    const vm = keep(await Vm.create({ ...options, start: 'paused' }));
    const held = vm.pauseAtFrame(8);
    await vm.resume();
    await held;
    await vm.saveSnapshot(path.join(d, 'first.snap'));
    const again = keep(await Vm.restore(path.join(d, 'first.snap'), { start: 'paused', trace: false }));
    await again.saveSnapshot(path.join(d, 'second.snap')); // its program loaded, not started: saved as it is
    await again.resume();
    expect(await lastFrames(again)).toEqual(expected);
    expect(await lastFrames(keep(await Vm.restore(path.join(d, 'second.snap'), { trace: false })))).toEqual(expected);
    // A reset reboots: the restored program is dropped and the workload runs from its entry.
    const reset = keep(await Vm.restore(path.join(d, 'first.snap'), { start: 'paused', trace: false }));
    await reset.reset();
    await reset.resume();
    expect(await lastFrames(reset)).toEqual(expected);
    expect((await reset.stats()).devices[0]!.engine!.presents).toBeGreaterThanOrEqual(24);
  }, 60_000);

  it('keeps the input devices and their transport in the file; a restore naming a machine option is refused', async () => {
    const file = path.join(dir(), 'input.snap');
    const saved = keep(
      await Vm.create({ ramMiB: 16, devices: [{ displayModes: ['320x200@60'], displays: 2 }], input: [{ display: 1 }], inputTransport: 'pci', workload: null }),
    );
    await saved.saveSnapshot(file);
    const restored = keep(await Vm.restore(file, { start: 'paused', trace: false }));
    expect([restored.config.input, restored.config.inputTransport]).toEqual([[{ device: 0, display: 1 }], 'pci']);
    expect(restored.input(0, 1).key(30, true)).toBe(true);
    // The file wins, whatever the value: a restore that names one is refused, naming it.
    for (const named of [{ input: false }, { inputTransport: 'pci' }, { devices: [{}] }, { ramMiB: 16 }]) {
      const err = await Vm.restore(file, named as object).then(
        (vm) => (keep(vm), null),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(VmConfigError);
      expect((err as VmConfigError).message).toMatch(/^restore options\.\w+: the machine comes from the snapshot file, as saved/);
    }
  }, 60_000);

  it('refuses to save what a snapshot cannot keep yet, writing nothing', async () => {
    const d = dir();
    const idle = keep(await Vm.create({ ramMiB: 16, devices: [{ displayModes: ['320x200@60'] }], workload: null }));
    await idle.saveSnapshot(path.join(d, 'a.snap'));
    await idle.runWorkload({ name: 'desktop', frames: 2 });
    await expect(idle.saveSnapshot(path.join(d, 'b.snap'))).rejects.toThrow(/runWorkload\(\) ran a workload/);
    await expect(idle.saveSnapshot(path.join(d, 'c.snap'), { compression: 'zstd' as 'none' })).rejects.toThrow(/compression/);
    const external = keep(await Vm.create({ ramMiB: 16, devices: [{ displayModes: ['320x200@60'] }], externalVcpus: 1, vcpus: 0, workload: null }));
    await expect(external.saveSnapshot(path.join(d, 'e.snap'))).rejects.toBeInstanceOf(SnapshotUnsupportedError);
    expect(['a', 'b', 'c', 'e'].map((n) => existsSync(path.join(d, `${n}.snap`)))).toEqual([true, false, false, false]);
  }, 60_000);

  it('saves racing resume, pause and reset each restore to a machine that ends on the reference frames', async () => {
    const d = dir();
    const options: VmOptions = { ramMiB: 16, devices: [{ displayModes: ['320x200@60'] }], workload: { name: 'desktop', frames: 6, seed: 2 }, trace: false };
    const reference = keep(await Vm.create(options));
    const expected = await lastFrames(reference);
    let seed = 12345;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) % n;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let beforeRun = 0;
    let afterRun = 0;
    for (let round = 0; round < 5; round++) {
      const vm = keep(await Vm.create({ ...options, start: 'paused' }));
      scribble(vm);
      const unrun = sha(ramBytesOf(vm.memory, vm.config.ramBytes));
      const files = [0, 1, 2].map((i) => path.join(d, `r${round}-${i}.snap`));
      // Saves and lifecycle calls in a random order with random gaps; resume starts the guest.
      const ops: (() => Promise<unknown>)[] = [
        ...files.map((f) => () => vm.saveSnapshot(f)),
        () => vm.resume(),
        () => (rand(2) ? vm.pause().then(() => vm.resume()) : vm.reset()),
      ];
      const settled = await Promise.allSettled(
        ops
          .map((op) => ({ op, key: rand(1000) }))
          .sort((a, b) => a.key - b.key)
          .map(async ({ op }) => {
            await sleep(rand(3));
            return op();
          }),
      );
      for (const r of settled) expect(r.status === 'fulfilled' ? null : r.reason).toBeNull();
      for (const f of files) {
        // Saved before the guest ran (the RAM as it was then) or after (the guest's state with it):
        // either way the restored machine runs on to the same frames.
        const restored = keep(await Vm.restore(f, { start: 'paused', trace: false }));
        if (sha(ramBytesOf(restored.memory, restored.config.ramBytes)) === unrun) beforeRun++;
        else afterRun++;
        await restored.resume();
        expect(await lastFrames(restored)).toEqual(expected);
        await restored.stop();
      }
      await vm.whenGuestsDone();
      expect(await lastFrames(vm)).toEqual(expected);
      await vm.stop();
    }
    // Both kinds of save happened (the order is random but seeded).
    expect(beforeRun).toBeGreaterThan(0);
    expect(afterRun).toBeGreaterThan(0);
  }, 120_000);

  it('a corrupted or foreign file throws SnapshotFormatError and starts nothing', async () => {
    const d = dir();
    const file = path.join(d, 'vm.snap');
    const saved = keep(await Vm.create({ ramMiB: 16, devices: [{ displayModes: ['320x200@60'] }], workload: null, start: 'paused' }));
    await saved.saveSnapshot(file);
    const good = readFileSync(file);
    const bad = Buffer.from(good);
    bad[bad.length - 5]! ^= 0x10;
    writeFileSync(path.join(d, 'flipped.snap'), bad);
    writeFileSync(path.join(d, 'short.snap'), good.subarray(0, good.length - 1));
    writeFileSync(path.join(d, 'png.snap'), Buffer.from('\x89PNG\r\n\x1a\n'.padEnd(200, '\0'), 'latin1'));
    const before = process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
    for (const name of ['flipped', 'short', 'png']) {
      await expect(Vm.restore(path.join(d, `${name}.snap`))).rejects.toBeInstanceOf(SnapshotFormatError);
    }
    expect(process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length).toBe(before);
    await expect(Vm.restore(path.join(d, 'missing.snap'))).rejects.toThrow(/ENOENT/);
  }, 60_000);
});
