// The machine a KVM guest boots into (docs/kvm.md): the boot area at the start of each vCPU's
// RAM slice, and the GDT selectors. Where the image lives, the boot block both sides read and
// write, and the hypercalls are the guest's boot contract, generated from abi/schema/kvm-boot.ts
// with the C guest's guest/c/boot_abi.h.
import { KvmTestMode, KvmWorkload, ROM_BASE, ROM_BYTES } from '../../../abi/generated/kvm-boot.js';
import type { GuestMemory } from '../../../shared/guest-memory/index.js';
import { RAM_BASE } from '../../../machine/memory-map.js';
import type { KvmStateLimits } from './vcpu-state-check.js';

export {
  BOOT_ABI_VERSION,
  BOOT_MAGIC,
  Boot,
  GuestFail,
  GuestState,
  HYPERCALL_BASE,
  HYPERCALL_BYTES,
  Hypercall,
  KvmInputTransport,
  KvmTestMode,
  KvmVariant,
  KvmWorkload,
  NO_INPUT,
  ROM_BASE,
  ROM_BYTES,
} from '../../../abi/generated/kvm-boot.js';

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

/** Workloads the machine-code guest implements, by the number it knows them by. */
export const KVM_WORKLOADS: Readonly<Record<string, number>> = {
  desktop: KvmWorkload.desktop,
  fullframe: KvmWorkload.fullframe,
  hostile: KvmWorkload.hostile,
  paint: KvmWorkload.paint,
};
/** The workloads whose machine-code version drives the display's virtio-input devices (virtio-mmio, or virtio-pci through MSI-X). */
export const KVM_INPUT_WORKLOADS: ReadonlySet<string> = new Set(['desktop', 'paint']);
/**
 * Guest programs for benchmarks only (not workloads: the TypeScript guest has no twin). mmioread:
 * MARK 1, `frames` reads of STATUS (the device answers), MARK 2, `frames` reads of unassigned
 * space (answered by the vCPU's bus without the device), MARK 3, DONE.
 */
export const KVM_BENCH_PROGRAMS: Readonly<Record<string, number>> = { mmioread: KvmWorkload.mmioread };

export type KvmTestModeName = keyof typeof KvmTestMode;

/** GDT selectors (native/src/kvm/kvm_vcpu.h sets the segment caches to match). */
export const Selector = { kernelCode: 0x08, kernelData: 0x10, userData: 0x1b, userCode: 0x23, tss: 0x28 } as const;

/** Where a saved vCPU's state may point (vcpu-state-check.ts): the machine's RAM and its image. */
export function kvmStateLimits(memory: GuestMemory): KvmStateLimits {
  const ram = memory.regions.find((r) => r.name === 'ram');
  if (!ram || ram.base !== RAM_BASE) throw new Error("a KVM machine's memory has its 'ram' region at RAM_BASE");
  return { ramBase: ram.base, ramEnd: ram.base + ram.size, romBase: ROM_BASE, romEnd: ROM_BASE + ROM_BYTES };
}
