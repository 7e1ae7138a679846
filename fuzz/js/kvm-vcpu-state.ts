// A KVM vCPU state as the machine-code guest has it at an exit in ring 3 (docs/kvm.md: the
// segment caches kvm_vcpu.cpp sets at the entry, CS and SS switched to ring 3's by the guest's
// iretq), for the snapshot codec's tests and the snapshot loader's fuzz seed (both without /dev/kvm).
import { BootArea, ROM_BASE, Selector } from '../../actors/vcpu/kvm/machine.js';
import type { KvmCpuState, KvmSegment, KvmVcpuSaved } from '../../actors/vcpu/kvm/vcpu-state.js';
import { RAM_BASE } from '../../machine/memory-map.js';

const flat = (selector: number, type: number, code: boolean, dpl: number): KvmSegment => ({
  base: 0n,
  limit: 0xffff_ffff,
  selector,
  type,
  present: 1,
  dpl,
  db: code ? 0 : 1,
  s: 1,
  l: code ? 1 : 0,
  g: 1,
  avl: 0,
  unusable: 0,
});

/** The limits a machine with `ramBytes` of RAM checks against. */
export function kvmLimits(ramBytes: number) {
  return { ramBase: RAM_BASE, ramEnd: RAM_BASE + ramBytes, romBase: ROM_BASE, romEnd: ROM_BASE + 0x10_0000 };
}

export function guestCpuState(slice = RAM_BASE): KvmCpuState {
  const at = (offset: number) => BigInt(slice + offset);
  const user = flat(Selector.userData, 3, false, 3);
  const fpr = new Uint8Array(128);
  const xmm = new Uint8Array(256).map((_, i) => (i * 37) & 0xff);
  return {
    regs: {
      rax: 0x1234n,
      rbx: 0n,
      rcx: 0xffff_ffff_ffff_ffffn,
      rdx: 7n,
      rsi: 0n,
      rdi: at(BootArea.block),
      rsp: at(BootArea.userStackTop - 0x40),
      rbp: 0n,
      r8: 0n,
      r9: 0n,
      r10: 0n,
      r11: 0n,
      r12: 0n,
      r13: 0n,
      r14: 0n,
      r15: 0x8000_0000_0000_0000n,
      rip: BigInt(ROM_BASE + 0x1234),
      rflags: 0x202n,
    },
    sregs: {
      cs: flat(Selector.userCode, 0xb, true, 3),
      ds: user,
      es: { ...user },
      fs: { ...user },
      gs: { ...user, base: at(BootArea.block) },
      ss: { ...user },
      tr: { base: at(BootArea.tss), limit: 0x67, selector: Selector.tss, type: 0xb, present: 1, dpl: 0, db: 0, s: 0, l: 0, g: 0, avl: 0, unusable: 0 },
      ldt: { base: 0n, limit: 0xffff, selector: 0, type: 2, present: 1, dpl: 0, db: 0, s: 0, l: 0, g: 0, avl: 0, unusable: 0 },
      gdt: { base: at(BootArea.gdt), limit: 0x37 },
      idt: { base: at(BootArea.idt), limit: 0xfff },
      cr0: 0x8001_0033n,
      cr2: 0n,
      cr3: at(BootArea.pml4),
      cr4: 0x620n,
      cr8: 0n,
      efer: 0x500n,
      apicBase: 0xfee0_0900n,
      interruptBitmap: [0n, 0n, 0n, 0n],
    },
    fpu: { fpr, fcw: 0x37f, fsw: 0, ftwx: 0, lastOpcode: 0, lastIp: 0n, lastDp: 0n, xmm, mxcsr: 0x1f80 },
    events: {
      exception: { injected: 0, nr: 0, hasErrorCode: 0, pending: 0, errorCode: 0 },
      interrupt: { injected: 0, nr: 0, soft: 0, shadow: 0 },
      nmi: { injected: 0, pending: 0, masked: 0 },
    },
  };
}

export function guestVcpuSaved(slice = RAM_BASE): KvmVcpuSaved {
  return { finished: false, imageCrc: 0x1234_5678, cpu: guestCpuState(slice) };
}
