// KVM vCPUs in snapshots, end to end (docs/snapshots.md, "KVM vCPUs"; docs/kvm.md, "Snapshots"):
// the machine-code guest runs on KVM for FRAMES frames; a copy is held at FRAMES / 2
// (vm.pauseAtFrame), saved, and restored in a fresh VM — in a new process and in this one — and
// ends on exactly the frames (pixels, frame number, cursor) of an uninterrupted KVM run, its
// engines presenting only the frames left (it went on from the saved registers, not from the
// entry). Saves taken at random moments of a running machine (any exit: a read just answered, a
// halt, an interrupt being injected) restore to the same end too. A file whose vCPUs ran another
// guest image is refused. Needs /dev/kvm: elsewhere the suite is skipped with the reason printed
// (the checks of the file itself run everywhere: test/vmm/snapshot/kvm-sections.test.ts).
// Run on the machine with KVM: npm run build && npx vitest run test/vmm/snapshot-kvm.test.ts
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterEach, describe, expect, it } from 'vitest';

import { kvmUnavailableReason } from '../../actors/vcpu/kvm/availability.js';
import { packageRoot } from '../../shared/package-root.js';
import { VmConfigError, type VmOptions } from '../../vmm/config.js';
import { encodeContainer, parseContainer } from '../../vmm/snapshot/container.js';
import { SectionKind } from '../../vmm/snapshot/layout.js';
import { vmmVersion } from '../../vmm/snapshot/version.js';
import { Vm } from '../../vmm/vm.js';
import { frameSummaries } from '../support/snapshot-frames.js';

const unavailable = kvmUnavailableReason();
if (unavailable) console.warn(`test/vmm/snapshot-kvm.test.ts skipped: ${unavailable}`);
const onKvm = unavailable ? describe.skip : describe;

const run = promisify(execFile);
let vms: Vm[] = [];
afterEach(async () => {
  await Promise.all(vms.map((v) => v.stop()));
  vms = [];
});
const keep = (vm: Vm) => (vms.push(vm), vm);

const FRAMES = 24;
const SAVE_AT = FRAMES / 2;
const MODES = ['320x200@60', '256x160@60', '200x120@60'];

const cases: { name: string; options: VmOptions }[] = [
  { name: 'desktop, mmio', options: { ramMiB: 64, devices: [{ displayModes: MODES }], workload: { name: 'desktop', frames: FRAMES, seed: 7 } } },
  { name: 'desktop, pci', options: { ramMiB: 64, devices: [{ variant: 'pci', displayModes: MODES }], workload: { name: 'desktop', frames: FRAMES, seed: 3 } } },
  { name: 'fullframe, mmio', options: { ramMiB: 64, devices: [{ displayModes: MODES }], workload: { name: 'fullframe', frames: FRAMES, seed: 5 } } },
  { name: 'hostile, mmio', options: { ramMiB: 64, devices: [{ displayModes: MODES }], workload: { name: 'hostile', frames: FRAMES, seed: 11 } } },
  { name: 'hostile, pci', options: { ramMiB: 64, devices: [{ variant: 'pci', displayModes: MODES }], workload: { name: 'hostile', frames: FRAMES, seed: 2 } } },
  {
    name: 'desktop, 2 devices (mmio and pci), 2 vCPUs',
    options: {
      ramMiB: 64,
      vcpus: 2,
      devices: [{ displayModes: MODES }, { variant: 'pci', displayModes: MODES }],
      workload: { name: 'desktop', frames: FRAMES, seed: 9 },
    },
  },
];

const kvm = (options: VmOptions): VmOptions => ({ ...options, cpu: 'kvm', trace: false });
const presents = async (vm: Vm) => (await vm.stats()).devices.map((d) => d.engine!.presents);

/** An uninterrupted KVM run: what every restored copy must end on, and its engines' presents. */
async function reference(options: VmOptions) {
  const vm = keep(await Vm.create(kvm(options)));
  const frames = await frameSummaries(vm);
  const all = await presents(vm);
  await vm.stop();
  return { frames, all };
}

/** Restores `file` in this process and runs it to the end. */
async function restoreHere(file: string) {
  const vm = keep(await Vm.restore(file, { start: 'paused', trace: false }));
  expect((await vm.stats()).vcpus.every((v) => v.cpu === 'kvm')).toBe(true);
  await vm.resume();
  const frames = await frameSummaries(vm);
  const done = await presents(vm);
  await vm.stop();
  return { frames, presents: done };
}

onKvm('a machine of KVM vCPUs saved and restored', () => {
  it.each(cases)(
    '$name: held at frame FRAMES/2, saved, restored in a new process and in this one, ends on the uninterrupted run',
    async ({ options }) => {
      const { frames, all } = await reference(options);
      const dir = mkdtempSync(path.join(tmpdir(), 'pvg-kvm-snap-'));
      const file = path.join(dir, 'mid.snap');
      const vm = keep(await Vm.create({ ...kvm(options), start: 'paused' }));
      const held = vm.pauseAtFrame(SAVE_AT);
      await vm.resume();
      await held;
      const stats = await vm.stats();
      for (const v of stats.vcpus.slice(0, options.devices!.length)) expect(v.guest!.framesDone).toBe(SAVE_AT);
      const presented = await presents(vm);
      await vm.saveSnapshot(file);
      await vm.resume();
      // The machine it was saved from goes on to the same end.
      expect(await frameSummaries(vm)).toEqual(frames);
      await vm.stop();

      // The file holds a KVM vCPU section per driving vCPU and no guest program.
      const kinds = parseContainer(readFileSync(file), { vmmVersion: vmmVersion() }).sections.map((s) => s.kind);
      expect(kinds.filter((k) => k === SectionKind.KvmVcpu).length).toBe(options.devices!.length);
      expect(kinds).not.toContain(SectionKind.GuestProgram);

      const left = all.map((n, d) => n - presented[d]!);
      const { stdout } = await run(process.execPath, [path.join(packageRoot, 'dist', 'test', 'support', 'snapshot-restore.js'), file], { timeout: 120_000 });
      const restored = JSON.parse(stdout.trim()) as { frames: string[]; presents: number[] };
      expect(restored.frames).toEqual(frames);
      expect(restored.presents).toEqual(left);

      const here = await restoreHere(file);
      expect(here.frames).toEqual(frames);
      expect(here.presents).toEqual(left);
    },
    180_000,
  );

  it('saves taken at random moments of a running machine (any exit) restore to the same end', async () => {
    const options = cases[0]!.options;
    const { frames } = await reference({ ...options, workload: { name: 'desktop', frames: 60, seed: 4 } });
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-kvm-snap-rand-'));
    const vm = keep(await Vm.create(kvm({ ...options, workload: { name: 'desktop', frames: 60, seed: 4 } })));
    const files: string[] = [];
    for (let k = 0; k < 5; k++) {
      await new Promise((r) => setTimeout(r, Math.random() * 40));
      const file = path.join(dir, `${k}.snap`);
      await vm.saveSnapshot(file); // pauses at whatever exit the vCPU is at, saves, resumes
      files.push(file);
    }
    expect(await frameSummaries(vm)).toEqual(frames);
    await vm.stop();
    for (const file of files) expect((await restoreHere(file)).frames).toEqual(frames);
  }, 240_000);

  it('a file whose vCPUs ran another guest image is refused with VmConfigError', async () => {
    const options = cases[0]!.options;
    const dir = mkdtempSync(path.join(tmpdir(), 'pvg-kvm-snap-img-'));
    const file = path.join(dir, 'mid.snap');
    const vm = keep(await Vm.create({ ...kvm(options), start: 'paused' }));
    const held = vm.pauseAtFrame(2);
    await vm.resume();
    await held;
    await vm.saveSnapshot(file);
    await vm.stop();
    const sections = parseContainer(readFileSync(file), { vmmVersion: vmmVersion() }).sections.map((s) => {
      if (s.kind !== SectionKind.KvmVcpu) return { kind: s.kind, index: s.index, parts: [s.bytes] };
      const bytes = Uint8Array.from(s.bytes);
      new DataView(bytes.buffer).setUint32(12, new DataView(bytes.buffer).getUint32(12, true) ^ 1, true); // the image CRC
      return { kind: s.kind, index: s.index, parts: [bytes] };
    });
    const other = path.join(dir, 'other-image.snap');
    writeFileSync(other, Buffer.concat(encodeContainer(sections, vmmVersion())));
    const err = await Vm.restore(other, { start: 'paused', trace: false }).then(
      async (restored) => {
        await restored.stop();
        return null;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VmConfigError);
    expect((err as Error).message).toMatch(/another guest image/);
  }, 60_000);
});
