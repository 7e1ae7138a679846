// A snapshot of KVM vCPUs on a machine without /dev/kvm (docs/snapshots.md, "KVM vCPUs"): the
// file is checked there as anywhere (its KVM vCPU sections decoded and every field checked on the
// loading thread), and a restore is refused with VmConfigError naming why KVM cannot run, before
// any actor starts. The file says which backend ran: a TypeScript machine's file with a KVM vCPU
// section (or the reverse) is refused by the section table, a restore cannot name another CPU,
// and a file does not say 'auto'. The files are built from a TypeScript machine's sections with
// the config's cpu set to kvm and each guest program replaced by a KVM vCPU's state
// (fuzz/js/kvm-vcpu-state.ts), so they need no KVM to make.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { kvmUnavailableReason } from '../../../actors/vcpu/kvm/availability.js';
import { encodeKvmVcpu } from '../../../actors/vcpu/kvm/vcpu-state-snapshot.js';
import { RAM_BASE } from '../../../machine/memory-map.js';
import { Supervisor } from '../../../actors/runtime/supervisor.js';
import { VmConfigError } from '../../../vmm/config.js';
import { encodeContainer, parseContainer, type Section } from '../../../vmm/snapshot/container.js';
import { SnapshotFormatError } from '../../../vmm/snapshot/errors.js';
import { SectionKind } from '../../../vmm/snapshot/layout.js';
import { loadSnapshot } from '../../../vmm/snapshot/snapshot.js';
import { vmmVersion } from '../../../vmm/snapshot/version.js';
import { Vm } from '../../../vmm/vm.js';
import { guestVcpuSaved } from '../../../fuzz/js/kvm-vcpu-state.js';

const OPTIONS = { ramMiB: 16, devices: [{ displayModes: ['320x200@60'] }], workload: { name: 'desktop', frames: 12, seed: 2 }, trace: false };
const dir = mkdtempSync(path.join(tmpdir(), 'pvg-kvm-sections-'));
/** The TypeScript machine's sections, as saved mid-run. */
let tsSections: Section[] = [];

beforeAll(async () => {
  const vm = await Vm.create({ ...OPTIONS, start: 'paused' });
  try {
    const held = vm.pauseAtFrame(4);
    await vm.resume();
    await held;
    const file = path.join(dir, 'ts.snap');
    await vm.saveSnapshot(file);
    tsSections = parseContainer(readFileSync(file), { vmmVersion: vmmVersion() }).sections.map((s) => ({ ...s, bytes: Uint8Array.from(s.bytes) }));
  } finally {
    await vm.stop();
  }
}, 60_000);
afterAll(() => undefined);

const kvmVcpuBytes = () => encodeKvmVcpu(guestVcpuSaved(RAM_BASE));

/** The same machine as if its vCPU were a KVM vCPU: config cpu kvm, the guest program's section replaced. */
function kvmSections(cpu: unknown = 'kvm', kvm = kvmVcpuBytes()): Section[] {
  return tsSections.map((s) => {
    if (s.kind === SectionKind.Config) {
      const options = JSON.parse(new TextDecoder().decode(s.bytes)) as Record<string, unknown>;
      return { ...s, bytes: new TextEncoder().encode(JSON.stringify({ ...options, cpu })) };
    }
    if (s.kind === SectionKind.GuestProgram) return { ...s, kind: SectionKind.KvmVcpu, bytes: kvm };
    return s;
  });
}

const fileOf = (list: readonly Section[]) =>
  Buffer.concat(
    encodeContainer(
      list.map((s) => ({ kind: s.kind, index: s.index, parts: [s.bytes] })),
      vmmVersion(),
    ),
  );

/** The in-memory loader (the fuzz target's): every section checked, this host left out. */
function parse(list: readonly Section[]) {
  return loadSnapshot(fileOf(list), { vmmVersion: vmmVersion() }, (bytes) => new Uint8Array(bytes));
}

function refusal(list: readonly Section[]): SnapshotFormatError {
  try {
    parse(list);
  } catch (err) {
    if (err instanceof SnapshotFormatError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('a snapshot of KVM vCPUs', () => {
  it('loads with its KVM vCPU section, its config saying kvm', () => {
    const parsed = parse(kvmSections());
    expect(parsed.config.cpu).toBe('kvm');
    expect(parsed.state!.vcpus[0]!.program).toBeNull();
    expect(Uint8Array.from(parsed.state!.vcpus[0]!.kvm!)).toEqual(kvmVcpuBytes());
  });

  it.skipIf(kvmUnavailableReason() === null)('is refused by Vm.restore with VmConfigError and the reason where KVM cannot run, nothing started', async () => {
    const file = path.join(dir, 'kvm.snap');
    writeFileSync(file, fileOf(kvmSections()));
    const spawn = vi.spyOn(Supervisor.prototype, 'spawn');
    const err = await Vm.restore(file, { start: 'paused', trace: false }).then(
      async (vm) => {
        await vm.stop();
        return null;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VmConfigError);
    expect((err as VmConfigError).message).toContain(kvmUnavailableReason()!);
    expect((err as VmConfigError).message).toMatch(/KVM vCPUs, which cannot run here/);
    expect(spawn).not.toHaveBeenCalled();
    spawn.mockRestore();
  });

  it('a restore cannot name another CPU: the machine comes from the file', async () => {
    const file = path.join(dir, 'kvm-cpu.snap');
    writeFileSync(file, fileOf(kvmSections()));
    await expect(Vm.restore(file, { cpu: 'ts' } as never)).rejects.toThrow(VmConfigError);
    await expect(Vm.restore(file, { cpu: 'ts' } as never)).rejects.toThrow(/restore options\.cpu/);
  });

  it('the file says which backend ran: a KVM vCPU section on a TypeScript machine, or the reverse, is refused', () => {
    const tsWithKvm = [...tsSections, { ...tsSections.find((s) => s.kind === SectionKind.GuestProgram)!, kind: SectionKind.KvmVcpu, bytes: kvmVcpuBytes() }];
    expect(refusal(tsWithKvm)).toMatchObject({
      part: 'section table',
      reason: expect.stringMatching(/kvm vcpu 0: the machine's configuration has no such part/),
    });
    const kvmWithProgram = [...kvmSections(), tsSections.find((s) => s.kind === SectionKind.GuestProgram)!];
    expect(refusal(kvmWithProgram)).toMatchObject({
      part: 'section table',
      reason: expect.stringMatching(/guest program 0: the machine's configuration has no such part/),
    });
    const kvmWithout = kvmSections().filter((s) => s.kind !== SectionKind.KvmVcpu);
    expect(refusal(kvmWithout)).toMatchObject({ part: 'section table', reason: expect.stringMatching(/no kvm vcpu 0 section/) });
  });

  it("a file's cpu is what ran: auto, or a workload the machine-code guest lacks, is refused", () => {
    expect(refusal(kvmSections('auto'))).toMatchObject({ part: 'section config', reason: expect.stringMatching(/cpu auto/) });
    const mapchurn = kvmSections().map((s) => {
      if (s.kind !== SectionKind.Config) return s;
      const options = JSON.parse(new TextDecoder().decode(s.bytes)) as { workload: object };
      return { ...s, bytes: new TextEncoder().encode(JSON.stringify({ ...options, workload: { ...options.workload, name: 'mapchurn' } })) };
    });
    expect(refusal(mapchurn)).toMatchObject({ part: 'section config', reason: expect.stringMatching(/does not implement workload mapchurn/) });
  });

  it('a hostile KVM vCPU section is refused naming it and the field', () => {
    const saved = guestVcpuSaved(RAM_BASE);
    saved.cpu.sregs.efer = 0x100n; // LME without LMA
    expect(refusal(kvmSections('kvm', encodeKvmVcpu(saved)))).toMatchObject({ part: 'section kvm vcpu 0', reason: expect.stringMatching(/sregs\.efer/) });
    const outside = guestVcpuSaved(RAM_BASE);
    outside.cpu.sregs.cr3 = BigInt(RAM_BASE + (OPTIONS.ramMiB << 20)); // past this machine's RAM
    expect(refusal(kvmSections('kvm', encodeKvmVcpu(outside)))).toMatchObject({ part: 'section kvm vcpu 0', reason: expect.stringMatching(/sregs\.cr3/) });
  });

  it('random damage to the KVM vCPU section is refused only with SnapshotFormatError naming it (fast-check)', () => {
    const good = kvmVcpuBytes();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
            const b = good.slice();
            for (const [at, xor] of flips) b[at]! ^= xor;
            return b;
          }),
          fc.nat(good.length - 1).map((n) => good.slice(0, n)),
        ),
        (bytes) => {
          try {
            parse(kvmSections('kvm', bytes));
          } catch (err) {
            expect(err).toBeInstanceOf(SnapshotFormatError);
            expect((err as SnapshotFormatError).part).toBe('section kvm vcpu 0');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
