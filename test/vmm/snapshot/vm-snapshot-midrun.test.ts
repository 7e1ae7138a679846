// A machine saved while its guest runs (issue 19's differential test): for every workload, MMIO
// and PCI variants, two devices, and the qemu and record-lock threading models, the VM is held
// with vm.pauseAtFrame() a third of the way in, saved, run on, and the file restored in a new
// process. The restored machine must end on exactly the frames (pixels, frame number, cursor) of
// an uninterrupted run, its engines presenting only the frames left (it went on, not from the
// start); so must the machine it was saved from. The save point is read back from the file (each
// guest program's frame).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterEach, describe, expect, it } from 'vitest';

import { decodeGuestProgramState } from '../../../guest/ts/program-snapshot.js';
import { WORKLOAD_NAMES } from '../../../guest/ts/workloads/index.js';
import { packageRoot } from '../../../shared/package-root.js';
import type { VmOptions } from '../../../vmm/config.js';
import { parseSnapshotSections } from '../../../vmm/snapshot/snapshot.js';
import { vmmVersion } from '../../../vmm/snapshot/version.js';
import { Vm } from '../../../vmm/vm.js';
import { frameSummaries } from '../../support/snapshot-frames.js';

const run = promisify(execFile);
let vms: Vm[] = [];
afterEach(async () => {
  await Promise.all(vms.map((v) => v.stop()));
  vms = [];
});
const keep = (vm: Vm) => (vms.push(vm), vm);

const FRAMES = 24;
const SAVE_AT = FRAMES / 3;

/** Runs `options`, saves it to `file` once every guest finished `at` frames, and lets it run on. */
async function saveMidRun(options: VmOptions, file: string, at: number): Promise<{ vm: Vm; presented: number[] }> {
  const vm = keep(await Vm.create({ ...options, start: 'paused', trace: false }));
  // Asked before the guests start, so none can run past the frame first.
  const held = vm.pauseAtFrame(at);
  await vm.resume();
  await held;
  const presented = await presents(vm);
  await vm.saveSnapshot(file);
  await vm.resume();
  return { vm, presented };
}

const presents = async (vm: Vm) => (await vm.stats()).devices.map((d) => d.engine!.presents);

/** The frame each built-in vCPU's program was at in the file (and its workload's length). */
function savedFrames(file: string): number[] {
  const parsed = parseSnapshotSections(readFileSync(file), { vmmVersion: vmmVersion() });
  return parsed.state!.vcpus.flatMap((v) => (v.program ? [decodeGuestProgramState(v.program).frame] : []));
}

interface Case {
  name: string;
  options: VmOptions;
}

const cases: Case[] = [
  ...(['mmio', 'pci'] as const).flatMap((variant) =>
    WORKLOAD_NAMES.map((name) => ({
      name: `${name}, ${variant}`,
      options: { ramMiB: 32, devices: [{ variant, displayModes: ['320x200@60', '640x480@60'] }], workload: { name, frames: FRAMES, seed: 7 } },
    })),
  ),
  {
    name: 'multihead, mmio and pci (two displays), 2 devices',
    options: {
      ramMiB: 64,
      vcpus: 2,
      devices: [{ displayModes: ['320x200@60'] }, { variant: 'pci', displayModes: ['320x200@60'], displays: 2 }],
      workload: { name: 'multihead', frames: FRAMES, seed: 1 },
    },
  },
  {
    name: 'mapchurn, 2 mmio devices',
    options: {
      ramMiB: 64,
      vcpus: 2,
      devices: [{ displayModes: ['320x200@60'] }, { displayModes: ['320x200@60'] }],
      workload: { name: 'mapchurn', frames: FRAMES, seed: 4 },
    },
  },
  ...(['qemu', 'record-lock'] as const).map((threading) => ({
    name: `desktop, pci, ${threading} threading model`,
    options: {
      ramMiB: 32,
      devices: [{ variant: 'pci' as const, displayModes: ['320x200@60'] }],
      threading,
      workload: { name: 'desktop', frames: FRAMES, seed: 5 },
    },
  })),
];

describe('a machine saved mid-run (vm.pauseAtFrame), restored in a new process', () => {
  it.each([
    ['MMIO variant', cases.filter((c) => c.name.endsWith(', mmio'))],
    ['PCI variant', cases.filter((c) => c.name.endsWith(', pci'))],
    ['2 devices', cases.filter((c) => c.name.includes('2 devices'))],
    ['other threading models', cases.filter((c) => c.name.includes('threading model'))],
  ])(
    '%s: every workload ends on the frames of an uninterrupted run',
    async (_, group) => {
      const dir = mkdtempSync(path.join(tmpdir(), 'pvg-midrun-'));
      const expected: { frames: string[]; presents: number[] }[] = [];
      const files: string[] = [];
      const savedAt: number[][] = [];
      for (const [k, c] of group.entries()) {
        const reference = keep(await Vm.create({ ...c.options, trace: false }));
        const frames = await frameSummaries(reference);
        const all = await presents(reference);
        await reference.stop();
        const file = path.join(dir, `${k}.snap`);
        const { vm: saved, presented } = await saveMidRun(c.options, file, SAVE_AT);
        // The machine it was saved from runs on to the same frames.
        expect([c.name, await frameSummaries(saved)]).toEqual([c.name, frames]);
        await saved.stop();
        // A restored machine that goes on where it was saved (not from the start) presents only the rest.
        expected.push({ frames, presents: all.map((n, d) => n - presented[d]!) });
        files.push(file);
        savedAt.push(savedFrames(file));
      }
      const { stdout } = await run(process.execPath, [path.join(packageRoot, 'dist', 'test', 'support', 'snapshot-restore.js'), ...files], {
        timeout: 150_000,
      });
      const restored = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { frames: string[]; presents: number[] });
      expect(restored.length).toBe(group.length);
      group.forEach((c, k) => expect([c.name, { frames: restored[k]!.frames, presents: restored[k]!.presents }]).toEqual([c.name, expected[k]]));
      // Saved with every guest where pauseAtFrame held it: mid-run.
      expect(savedAt).toEqual(group.map((c) => Array.from({ length: c.options.vcpus ?? 1 }, () => SAVE_AT)));
    },
    180_000,
  );
});
