// The snapshot file's fixed layout (docs/snapshots.md): a 64-byte header, a section table of
// 32-byte entries followed by the table's CRC-32, then the sections' bytes back to back in table
// order, and nothing after them. Every integer is little-endian.

/** "PVGSNAP" and a NUL: the first eight bytes of every snapshot. */
export const MAGIC = Uint8Array.from([0x50, 0x56, 0x47, 0x53, 0x4e, 0x41, 0x50, 0x00]);
/**
 * Bumped whenever anything a loader reads changes meaning. Version 2 added the component
 * sections (engine … input device; the kvm vcpu kind came later, in the same version: a loader
 * that predates it refuses it as an unknown kind); a version-1 file has none of them and is read
 * as a machine no guest has run on.
 */
export const FORMAT_VERSION = 2;
/** The versions this loader reads. */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];
export const HEADER_BYTES = 64;
export const ENTRY_BYTES = 32;
/** The pvg-vmm version's field in the header: ASCII, NUL-padded. */
export const VMM_VERSION_BYTES = 16;
/** More sections than any machine has (a few per device, per vCPU): a table this long is refused before it is read. */
export const MAX_SECTIONS = 1024;

// Header fields (byte offsets).
export const H_MAGIC = 0;
export const H_FORMAT_VERSION = 8;
export const H_HEADER_BYTES = 12;
export const H_VMM_VERSION = 16;
export const H_SECTION_COUNT = 32;
export const H_FLAGS = 36;
/** Bytes 40..59 are reserved (zero); the header's CRC-32 over bytes 0..59 is at 60. */
export const H_CRC = 60;

// Section table entry fields (byte offsets within an entry).
export const E_KIND = 0;
export const E_INDEX = 4;
export const E_OFFSET = 8;
export const E_LENGTH = 16;
export const E_CRC = 24;
/** Bytes 28..31 are reserved (zero). */
export const E_RESERVED = 28;

/** What a section holds. A loader refuses a kind it does not know. */
export const SectionKind = {
  /** The machine's options, JSON (config.ts). */
  Config: 1,
  /** Guest RAM, zero pages skipped, chunks deflated where it pays (ram.ts). */
  Ram: 2,
  /** A device's engine registers, ring, contexts, mappings, displays, IOSurfaces (index: device; native engine_state). */
  Engine: 3,
  /** A device actor's task space (index: device; actors/device/task-space-snapshot.ts). */
  TaskSpace: 4,
  /** A PCI device's configuration space (index: device; shared/pci/config-snapshot.ts). */
  PciConfig: 5,
  /** The interrupt table's line states and outstanding deliveries (index 0; interrupt-table-snapshot.ts). */
  InterruptTable: 6,
  /** A built-in vCPU's TypeScript guest program (index: vCPU; program-snapshot.ts). */
  GuestProgram: 7,
  /** A vCPU's pending interrupt vectors (index: vCPU; vcpu-irq-snapshot.ts). */
  VcpuPending: 8,
  /** One display as the compositor keeps it (index: device × 256 + display; display-snapshot.ts). */
  CompositorDisplay: 9,
  /** A virtio-input device: its transport, queues and waiting events (index: input device; actors/input/input-snapshot.ts). */
  InputDevice: 10,
  /** A built-in vCPU's KVM vCPU running the machine-code guest (index: vCPU; actors/vcpu/kvm/vcpu-state-snapshot.ts). */
  KvmVcpu: 11,
} as const;
export type SectionKind = (typeof SectionKind)[keyof typeof SectionKind];

export const SECTION_NAMES: Record<number, string> = {
  [SectionKind.Config]: 'config',
  [SectionKind.Ram]: 'ram',
  [SectionKind.Engine]: 'engine',
  [SectionKind.TaskSpace]: 'task space',
  [SectionKind.PciConfig]: 'pci config',
  [SectionKind.InterruptTable]: 'interrupt table',
  [SectionKind.GuestProgram]: 'guest program',
  [SectionKind.VcpuPending]: 'vcpu pending',
  [SectionKind.CompositorDisplay]: 'compositor display',
  [SectionKind.InputDevice]: 'input device',
  [SectionKind.KvmVcpu]: 'kvm vcpu',
};

/** Kinds of which a file has one, index 0. */
export const MACHINE_WIDE_KINDS: readonly number[] = [SectionKind.Config, SectionKind.Ram, SectionKind.InterruptTable];
/** A compositor display section's index. */
export const displaySectionIndex = (device: number, display: number) => device * 256 + display;
