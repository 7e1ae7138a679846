// The machine a KVM guest boots into (docs/kvm.md): where its image lives, the boot area at the
// start of each vCPU's RAM slice, the boot block both sides read and write (mirrors
// native/guest/boot_abi.h), and the I/O ports the guest uses as hypercalls.

/** The guest image is loaded into a read-only region here (a KVM read-only memory slot). */
export const ROM_BASE = 0x0100_0000;
export const ROM_BYTES = 0x10_0000;

/** Each vCPU's boot area, at the start of its RAM slice. */
export const BootArea = {
  block: 0x0000,
  gdt: 0x0800,
  /** The 64-bit TSS: its RSP0 is the ring-0 stack interrupts from ring 3 switch to. */
  tss: 0x0900,
  idt: 0x1000,
  pml4: 0x2000,
  pdpt: 0x3000,
  /** Four page directories (2 MiB pages) identity-mapping 0..4 GiB, user-accessible. */
  pd: 0x4000,
  /** Ring 0's stack (the entry stack and the TSS's RSP0), 16 KiB below. */
  kernelStackTop: 0xc000,
  /** Ring 3's stack, 16 KiB below. */
  userStackTop: 0x1_0000,
  /** The guest allocates its own pages from here to the end of the slice. */
  bytes: 0x1_0000,
} as const;

export const BOOT_MAGIC = 0x42475650; // 'PVGB'
export const BOOT_ABI_VERSION = 2;

/** Byte offsets in the boot block (struct pvg_boot). */
export const Boot = {
  self: 0x00,
  magic: 0x08,
  abiVersion: 0x0c,
  vcpu: 0x10,
  device: 0x14,
  variant: 0x18,
  workload: 0x1c,
  frames: 0x20,
  seed: 0x24,
  mode: 0x28,
  damagePercent: 0x2c,
  ramBase: 0x30,
  ramEnd: 0x38,
  idt: 0x40,
  testMode: 0x48,
  state: 0x50,
  framesDone: 0x54,
  interruptsHandled: 0x58,
  deviceErrorsSeen: 0x5c,
  halts: 0x60,
  lastError: 0x64,
  userStackTop: 0x70,
  failMessage: 0x80,
  failMessageBytes: 128,
  /** The guest keeps its own mutable state after this. */
  bytes: 0x100,
} as const;

export const enum GuestState {
  Booting = 0,
  Running = 1,
  Done = 2,
  Failed = 3,
}

/** Workloads the machine-code guest implements, by the number it knows them by. */
export const KVM_WORKLOADS: Readonly<Record<string, number>> = { desktop: 0, fullframe: 1, hostile: 2 };
/**
 * Guest programs for benchmarks only (not workloads: the TypeScript guest has no twin). mmioread:
 * MARK 1, `frames` reads of STATUS (the device answers), MARK 2, `frames` reads of unassigned
 * space (answered by the vCPU's bus without the device), MARK 3, DONE.
 */
export const KVM_BENCH_PROGRAMS: Readonly<Record<string, number>> = { mmioread: 3 };

/** Misbehaviours the guest acts out on request (tests of the host's reports). */
export const KvmTestMode = {
  none: 0,
  tripleFault: 1,
  runawayLoop: 2,
  writeReadOnly: 3,
  unassignedMmio: 4,
  divideByZero: 5,
} as const;
export type KvmTestModeName = keyof typeof KvmTestMode;

/**
 * Hypercalls: 32-bit MMIO writes into a window no device decodes, answered by the vCPU itself.
 * MMIO rather than port I/O because the program runs in ring 3 (docs/kvm.md).
 */
export const HYPERCALL_BASE = 0x3000_0000;
export const HYPERCALL_BYTES = 0x1000;
export const Hypercall = {
  eoi: 0x00,
  done: 0x04,
  fail: 0x08,
  /** A timestamp request: the host notes when it saw it (benchmarks time guest loops with it). */
  mark: 0x0c,
  /** The guest's HLT: sleep until an interrupt unless the guest's handled count moved on. */
  halt: 0x10,
} as const;

/** GDT selectors (native/src/kvm/kvm_vcpu.h sets the segment caches to match). */
export const Selector = { kernelCode: 0x08, kernelData: 0x10, userData: 0x1b, userCode: 0x23, tss: 0x28 } as const;
