// A KVM vCPU's state as a snapshot keeps it (docs/kvm.md, "Snapshots"): the fields of KVM's
// kvm_regs, kvm_sregs, kvm_fpu and the part of kvm_vcpu_events this machine can have, by the
// names the addon uses (native/src/addon/kvm_state_object.cpp: kvmSaveState / kvmLoadState).
// 64-bit values are BigInts; every other field is a number the width of KVM's.

/** kvm_regs, in its order. */
export const KVM_REG_NAMES = [
  'rax',
  'rbx',
  'rcx',
  'rdx',
  'rsi',
  'rdi',
  'rsp',
  'rbp',
  'r8',
  'r9',
  'r10',
  'r11',
  'r12',
  'r13',
  'r14',
  'r15',
  'rip',
  'rflags',
] as const;
export type KvmRegName = (typeof KVM_REG_NAMES)[number];

/** kvm_sregs's segments, in its order. */
export const KVM_SEGMENT_NAMES = ['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'tr', 'ldt'] as const;
export type KvmSegmentName = (typeof KVM_SEGMENT_NAMES)[number];

/** kvm_sregs's control registers and MSR-backed fields, in its order. */
export const KVM_CONTROL_NAMES = ['cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer', 'apicBase'] as const;
export type KvmControlName = (typeof KVM_CONTROL_NAMES)[number];

/** kvm_segment's 8-bit attributes, in its order. */
export const KVM_SEGMENT_FLAGS = ['type', 'present', 'dpl', 'db', 's', 'l', 'g', 'avl', 'unusable'] as const;

export interface KvmSegment {
  base: bigint;
  limit: number;
  selector: number;
  type: number;
  present: number;
  dpl: number;
  db: number;
  s: number;
  l: number;
  g: number;
  avl: number;
  unusable: number;
}

export interface KvmTable {
  base: bigint;
  limit: number;
}

export type KvmSregs = Record<KvmSegmentName, KvmSegment> &
  Record<KvmControlName, bigint> & {
    gdt: KvmTable;
    idt: KvmTable;
    /** 256 bits: the external interrupt KVM is delivering (at most one). */
    interruptBitmap: bigint[];
  };

export interface KvmFpu {
  /** 8 x87 registers of 16 bytes (fxsave layout). */
  fpr: Uint8Array;
  fcw: number;
  fsw: number;
  ftwx: number;
  lastOpcode: number;
  lastIp: bigint;
  lastDp: bigint;
  /** 16 XMM registers of 16 bytes. */
  xmm: Uint8Array;
  mxcsr: number;
}

export interface KvmEvents {
  exception: { injected: number; nr: number; hasErrorCode: number; pending: number; errorCode: number };
  interrupt: { injected: number; nr: number; soft: number; shadow: number };
  nmi: { injected: number; pending: number; masked: number };
}

export interface KvmCpuState {
  regs: Record<KvmRegName, bigint>;
  sregs: KvmSregs;
  fpu: KvmFpu;
  events: KvmEvents;
}

/** What a snapshot keeps of a vCPU that runs the machine-code guest. */
export interface KvmVcpuSaved {
  /** The guest said DONE: the vCPU runs no more. */
  finished: boolean;
  /** CRC-32 of the guest image it ran (a restore needs the same image: RIP points into it). */
  imageCrc: number;
  cpu: KvmCpuState;
}
