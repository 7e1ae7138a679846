// The KVM vCPU section's codec and its checks, without /dev/kvm: what a save writes reads back
// exactly, and every cut, growth, hostile field or random damage is refused with
// StateFormatError naming where, never another error (the bytes reach KVM_SET_* only after this).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { decodeKvmVcpu, encodeKvmVcpu } from '../../../../actors/vcpu/kvm/vcpu-state-snapshot.js';
import { KVM_REG_NAMES, type KvmCpuState, type KvmVcpuSaved } from '../../../../actors/vcpu/kvm/vcpu-state.js';
import { StateFormatError } from '../../../../shared/snapshot/state-bytes.js';
import { guestVcpuSaved, kvmLimits } from '../../../../fuzz/js/kvm-vcpu-state.js';

const limits = kvmLimits(64 * 1024 * 1024);

function refusal(bytes: Uint8Array): StateFormatError {
  try {
    decodeKvmVcpu(bytes, limits);
  } catch (err) {
    if (err instanceof StateFormatError) return err;
    throw err;
  }
  throw new Error('accepted');
}

function withCpu(change: (cpu: KvmCpuState) => void): Uint8Array {
  const saved = guestVcpuSaved();
  change(saved.cpu);
  return encodeKvmVcpu(saved);
}

describe('KVM vCPU section', () => {
  it('a saved state decodes to exactly itself', () => {
    const saved = guestVcpuSaved();
    expect(decodeKvmVcpu(encodeKvmVcpu(saved), limits)).toEqual(saved);
    const done: KvmVcpuSaved = { ...guestVcpuSaved(), finished: true, imageCrc: 0xffff_ffff };
    expect(decodeKvmVcpu(encodeKvmVcpu(done), limits)).toEqual(done);
  });

  it('any general register value, FPU bytes and an interrupt in delivery round-trip (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 256, maxLength: 256 }),
        fc.integer({ min: 16, max: 255 }),
        fc.boolean(),
        (values, xmm, vector, injected) => {
          const saved = guestVcpuSaved();
          KVM_REG_NAMES.slice(0, 16).forEach((name, i) => {
            if (name !== 'rsp') saved.cpu.regs[name] = values[i]!;
          });
          saved.cpu.fpu.xmm = xmm;
          if (injected) {
            saved.cpu.events.interrupt = { injected: 1, nr: vector, soft: 0, shadow: 0 };
            saved.cpu.sregs.interruptBitmap[vector >> 6] = 1n << BigInt(vector & 63);
          }
          expect(decodeKvmVcpu(encodeKvmVcpu(saved), limits)).toEqual(saved);
        },
      ),
    );
  });

  it('refuses every cut and a grown section', () => {
    const bytes = encodeKvmVcpu(guestVcpuSaved());
    for (let n = 0; n < bytes.length; n++) expect(refusal(bytes.subarray(0, n)).reason).toMatch(/truncated|magic/);
    const grown = new Uint8Array(bytes.length + 1);
    grown.set(bytes);
    expect(refusal(grown).part).toBe('kvm vcpu: end');
  });

  it('refuses another magic or version', () => {
    const bytes = encodeKvmVcpu(guestVcpuSaved());
    const magic = bytes.slice();
    magic[0]! ^= 1;
    expect(refusal(magic).reason).toMatch(/magic/);
    const version = bytes.slice();
    version[4] = 2;
    expect(refusal(version).reason).toMatch(/version 2/);
  });

  const GiB = 1n << 30n;
  const hostile: [string, RegExp, (cpu: KvmCpuState) => void][] = [
    ['rip outside the image', /regs\.rip/, (c) => (c.regs.rip = 0x4000_0000n)],
    ['rsp outside RAM', /regs\.rsp/, (c) => (c.regs.rsp = 0x10n)],
    ['rflags without bit 1', /regs\.rflags/, (c) => (c.regs.rflags = 0x200n)],
    ['rflags reserved bit', /regs\.rflags/, (c) => (c.regs.rflags = 0x202n | (1n << 40n))],
    ['rflags VM', /regs\.rflags/, (c) => (c.regs.rflags = 0x202n | (1n << 17n))],
    ['cr0 without paging', /sregs\.cr0/, (c) => (c.sregs.cr0 &= ~(1n << 31n))],
    ['cr0 reserved bit', /sregs\.cr0/, (c) => (c.sregs.cr0 |= 1n << 40n)],
    ['cr0 NW without CD', /sregs\.cr0/, (c) => (c.sregs.cr0 |= 1n << 29n)],
    ['cr0 EM', /sregs\.cr0/, (c) => (c.sregs.cr0 |= 1n << 2n)],
    ['cr4 OSXSAVE (XCR0 is not saved)', /sregs\.cr4/, (c) => (c.sregs.cr4 |= 1n << 18n)],
    ['cr4 VMXE', /sregs\.cr4/, (c) => (c.sregs.cr4 |= 1n << 13n)],
    ['cr4 without PAE', /sregs\.cr4/, (c) => (c.sregs.cr4 &= ~(1n << 5n))],
    ['efer without LMA', /sregs\.efer/, (c) => (c.sregs.efer = 0x100n)],
    ['efer unknown bit', /sregs\.efer/, (c) => (c.sregs.efer |= 1n << 14n)],
    ['cr3 outside RAM', /sregs\.cr3/, (c) => (c.sregs.cr3 = 4n * GiB)],
    ['cr3 with low bits', /sregs\.cr3/, (c) => (c.sregs.cr3 |= 1n)],
    ['cr8 over 15', /sregs\.cr8/, (c) => (c.sregs.cr8 = 16n)],
    ['apic base reserved bits', /sregs\.apicBase/, (c) => (c.sregs.apicBase |= 1n)],
    ['apic base x2APIC while disabled', /sregs\.apicBase/, (c) => (c.sregs.apicBase = 0xfee0_0400n)],
    ['cs 32-bit', /sregs\.cs/, (c) => (c.sregs.cs.l = 0)],
    ['cs L and D both', /sregs\.cs/, (c) => (c.sregs.cs.db = 1)],
    ['cs a data segment', /sregs\.cs/, (c) => (c.sregs.cs.type = 3)],
    ['cs limit without its G bits', /sregs\.cs\.limit/, (c) => (c.sregs.cs.limit = 0xffff_f000)],
    ['ds limit too big without G', /sregs\.ds\.limit/, (c) => (c.sregs.ds.g = 0)],
    ['fs base not canonical', /sregs\.fs\.base/, (c) => (c.sregs.fs.base = 1n << 60n)],
    ['gs a code segment', /sregs\.gs/, (c) => (c.sregs.gs.type = 0xb)],
    ['segment present 2', /sregs\.es\.present/, (c) => (c.sregs.es.present = 2)],
    ['segment dpl 4', /sregs\.ds\.dpl/, (c) => (c.sregs.ds.dpl = 4)],
    ['segment type 16', /sregs\.ds\.type/, (c) => (c.sregs.ds.type = 16)],
    ['a usable segment not present', /sregs\.ds\.present/, (c) => (c.sregs.ds.present = 0)],
    ['tr not a TSS', /sregs\.tr/, (c) => (c.sregs.tr.type = 9)],
    ['tr outside RAM', /sregs\.tr/, (c) => (c.sregs.tr.base = 0n)],
    ['tr too short', /sregs\.tr/, (c) => (c.sregs.tr.limit = 0x10)],
    ['ldt not an LDT', /sregs\.ldt/, (c) => (c.sregs.ldt.type = 3)],
    ['gdt outside RAM', /sregs\.gdt/, (c) => (c.sregs.gdt.base = 0x1000n)],
    ['idt not canonical', /sregs\.idt/, (c) => (c.sregs.idt.base = 1n << 50n)],
    ['interrupt bitmap without an injected interrupt', /interruptBitmap/, (c) => (c.sregs.interruptBitmap[1] = 1n)],
    ['injected interrupt missing from the bitmap', /interruptBitmap/, (c) => (c.events.interrupt = { injected: 1, nr: 40, soft: 0, shadow: 0 })],
    [
      'external interrupt on an exception vector',
      /events\.interrupt\.nr/,
      (c) => {
        c.events.interrupt = { injected: 1, nr: 8, soft: 0, shadow: 0 };
        c.sregs.interruptBitmap[0] = 1n << 8n;
      },
    ],
    ['interrupt shadow 4', /events\.interrupt\.shadow/, (c) => (c.events.interrupt.shadow = 4)],
    ['exception vector 40', /events\.exception\.nr/, (c) => (c.events.exception = { injected: 1, nr: 40, hasErrorCode: 0, pending: 0, errorCode: 0 })],
    ['exception NMI vector', /events\.exception\.nr/, (c) => (c.events.exception = { injected: 0, nr: 2, hasErrorCode: 0, pending: 1, errorCode: 0 })],
    ['exception flag 2', /events\.exception\.hasErrorCode/, (c) => (c.events.exception.hasErrorCode = 2)],
    ['an NMI pending', /events\.nmi/, (c) => (c.events.nmi.pending = 1)],
    ['an NMI injected', /events\.nmi/, (c) => (c.events.nmi.injected = 1)],
    ['mxcsr reserved bits', /fpu\.mxcsr/, (c) => (c.fpu.mxcsr = 0x1_1f80)],
    ['x87 opcode over 11 bits', /fpu\.lastOpcode/, (c) => (c.fpu.lastOpcode = 0x800)],
  ];
  it.each(hostile)('refuses %s, naming the field', (_, field, change) => {
    const err = refusal(withCpu(change));
    expect(err.part).toMatch(field);
  });

  it('refuses a field wider than KVM keeps it', () => {
    // Written as u32 in the file, u8 or u16 in KVM: a wider value would be cut, not loaded.
    const wide = withCpu((c) => (c.sregs.cs.selector = 0x1_0000));
    expect(refusal(wide).reason).toMatch(/wider than its 16 bits/);
    const flag = withCpu((c) => (c.sregs.cs.type = 0x100));
    expect(refusal(flag).reason).toMatch(/wider than its 8 bits/);
  });

  it('random damage is refused with StateFormatError or reads as the bytes say (fast-check)', () => {
    const bytes = encodeKvmVcpu(guestVcpuSaved());
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }), (flips) => {
        const damaged = bytes.slice();
        for (const [at, xor] of flips) damaged[at]! ^= xor;
        let decoded: KvmVcpuSaved;
        try {
          decoded = decodeKvmVcpu(damaged, limits);
        } catch (err) {
          expect(err).toBeInstanceOf(StateFormatError);
          return;
        }
        expect(encodeKvmVcpu(decoded)).toEqual(damaged);
      }),
      { numRuns: 500 },
    );
  });
});
