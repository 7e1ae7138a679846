// PCI configuration space of the apple-gfx-pci variant: a type-0 header (vendor 0x106B, device
// 0xEEEE, display/other), BAR0 = 16 KiB of 32-bit non-prefetchable memory, and an MSI
// capability with 64-bit addresses, 32 vectors (MSI_VECTORS: QEMU's apple-gfx-pci.m asks
// msi_init for PG_PCI_MAX_MSI_VECTORS, a framework constant whose value Apple does not publish;
// 32 is the most an MSI capability can offer) and per-vector masking. 4 KiB (ECAM-sized); everything past the header and the
// capability reads zero. Like QEMU, it is a byte array plus a per-byte mask of writable bits,
// so byte and word accesses into the middle of a dword behave as on hardware.
// Guest accesses are hostile: a bad one is counted and answered with all-ones (reads) or
// ignored (writes), never thrown.
// Other PCI devices (virtio-pci, shared/virtio/pci-transport.ts) reuse it with their own identity
// (`PciIdentity`: ids, class, subsystem, BAR0 size) and read-only capabilities chained after MSI's;
// such a function may offer MSI-X instead of MSI (`PciIdentity.msix`): the MSI-X capability
// (PCI Local Bus 3.0 §6.8.2) takes MSI's place at 0x40, its Message Control's Enable and Function
// Mask are the only writable bits, and its table and PBA live in BAR0 (shared/pci/msix.ts).
// A function may also have an INTx pin (`PciIdentity.intxPin`, virtio-pci's INTA#): then the
// Interrupt Pin register names it, the Command register's Interrupt Disable bit is writable and
// the Status register's Interrupt Status bit is the device's to set (setInterruptStatus); the pin
// is asserted while Interrupt Status is 1 and Interrupt Disable 0 (PCI 3.0 §6.2.2, §6.2.3).

// The config space's numbers come from abi/schema/machine.ts, which the C guest's header is
// generated from too.
import {
  APPLE_GFX_DEVICE_ID,
  APPLE_VENDOR_ID,
  BAR0_SIZE,
  MSI_ADDRESS_HI,
  MSI_ADDRESS_LO,
  MSI_CAP_OFFSET,
  MSI_DATA,
  MSI_FLAGS,
  MSI_FLAGS_64BIT,
  MSI_FLAGS_ENABLE,
  MSI_FLAGS_MASKBIT,
  MSI_FLAGS_QSIZE,
  MSI_MASK,
  MSI_PENDING,
  MSI_VECTORS,
  MSIX_CAP_BYTES,
  MSIX_CAP_ID,
  MSIX_FLAGS,
  MSIX_FLAGS_ENABLE,
  MSIX_FLAGS_MASKALL,
  MSIX_PBA,
  MSIX_TABLE,
  PCI_BAR0,
  PCI_CAPABILITY_LIST,
  PCI_CLASS_PROG,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_CONFIG_SPACE_SIZE,
  PCI_DEVICE_ID,
  PCI_HEADER_TYPE,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_REVISION_ID,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_STATUS_INTERRUPT,
  PCI_VENDOR_ID,
} from '../../abi/generated/machine.js';
const MSI_LOG2_VECTORS = 5;

/** What changed after a guest write (or reset). */
export type PciConfigChange =
  /** The address BAR0 decodes at: null when memory space is off or the BAR is 0. */
  | { readonly kind: 'bar0'; readonly address: number | null; readonly previous: number | null }
  | { readonly kind: 'bus-master'; readonly enabled: boolean }
  | { readonly kind: 'msi'; readonly enabled: boolean }
  /** The per-vector mask bits changed (a vector unmasked with its pending bit set is now due). */
  | { readonly kind: 'msi-mask'; readonly mask: number }
  /** MSI-X Enable or Function Mask changed (vectors that are no longer masked and pending are now due). */
  | { readonly kind: 'msix'; readonly enabled: boolean; readonly functionMask: boolean }
  /** The INTx pin's level changed: Interrupt Status or Interrupt Disable did (a function with a pin only). */
  | { readonly kind: 'intx'; readonly asserted: boolean };

/** Where an MSI-X function's table and PBA are: both in BAR0 (BIR 0). */
export interface PciMsixLayout {
  /** Table Size: 1..2048 entries. */
  readonly vectors: number;
  /** Offsets in BAR0, 8-aligned (the low 3 bits of the registers are the BIR), not overlapping. */
  readonly tableOffset: number;
  readonly pbaOffset: number;
}

/** MSI-X Message Control's two writable bits. */
export interface MsixControl {
  readonly enabled: boolean;
  readonly functionMask: boolean;
}

export interface MsiState {
  readonly enabled: boolean;
  /** 64-bit message address, exact. */
  readonly address: bigint;
  readonly data: number;
  /** Vectors the guest enabled (1, 2, 4, 8, 16 or 32): a vector is folded into the data's low log2(vectors) bits. */
  readonly vectors: number;
  /** Per-vector mask and pending bits (bit v: vector v). */
  readonly mask: number;
  readonly pending: number;
}

/** A read-only capability placed at `offset` (its first byte the id; the next pointer is filled in). */
export interface PciCapability {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** Who the function says it is, and what it decodes. The default is apple-gfx-pci's. */
export interface PciIdentity {
  readonly vendor: number;
  readonly device: number;
  /** Base class, subclass and programming interface as one 24-bit number. */
  readonly classCode: number;
  readonly subsystemVendor?: number;
  readonly subsystem?: number;
  /** BAR0's size in bytes: a power of two, 16 or more. */
  readonly bar0Size: number;
  /** Chained after the MSI (or MSI-X) capability, in this order: each must lie past it, 4-aligned, without overlap. */
  readonly capabilities?: readonly PciCapability[];
  /** Offer MSI-X with this table and PBA instead of MSI (there is no function with both). */
  readonly msix?: PciMsixLayout;
  /** An INTx pin, 1..4 (INTA#..INTD#); none when absent (interrupts only through MSI or MSI-X). */
  readonly intxPin?: number;
}

export interface PciConfigOptions {
  readonly revision?: number;
  readonly onChange?: (change: PciConfigChange) => void;
  readonly identity?: PciIdentity;
}

const BASE_CLASS_DISPLAY = 0x03;
const SUBCLASS_DISPLAY_OTHER = 0x80;
const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
const MSI_CAP_BYTES = 0x18;
const MSIX_MAX_VECTORS = 2048;
const NO_MSI: MsiState = { enabled: false, address: 0n, data: 0, vectors: 1, mask: 0, pending: 0 };

export const APPLE_GFX_IDENTITY: PciIdentity = {
  vendor: APPLE_VENDOR_ID,
  device: APPLE_GFX_DEVICE_ID,
  classCode: (BASE_CLASS_DISPLAY << 16) | (SUBCLASS_DISPLAY_OTHER << 8),
  bar0Size: BAR0_SIZE,
};
const ALL_ONES = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

export class PciConfigSpace {
  /** Called synchronously after a write that changed the BAR0 decode, bus mastering or MSI enable. */
  onChange: ((change: PciConfigChange) => void) | undefined;
  readonly #bytes = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  readonly #wmask = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  readonly #revision: number;
  readonly #identity: PciIdentity;
  #badAccesses = 0;

  constructor(options: PciConfigOptions = {}) {
    const rev = options.revision ?? 1;
    if (!Number.isInteger(rev) || rev < 0 || rev > 0xff) throw new RangeError(`revision must be a byte (got ${rev})`);
    this.#revision = rev;
    this.#identity = checkIdentity(options.identity ?? APPLE_GFX_IDENTITY);
    this.onChange = options.onChange;
    this.#powerOn();
  }

  /** A config read of 1, 2 or 4 bytes at a naturally aligned offset; all-ones (and counted) otherwise. */
  read(offset: number, size: number): number {
    if (!this.#accessOk(offset, size)) {
      this.#badAccesses++;
      return size === 1 || size === 2 ? ALL_ONES[size] : ALL_ONES[4];
    }
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.#bytes[offset + i]!;
    return v;
  }

  /**
   * A config write; only writable bits change. value must be an integer that fits in `size`
   * bytes; a bad access is ignored and counted.
   */
  write(offset: number, size: number, value: number): void {
    if (!this.#accessOk(offset, size) || !Number.isInteger(value) || value < 0 || value >= 2 ** (8 * size)) {
      this.#badAccesses++;
      return;
    }
    const before = this.#snapshot();
    for (let i = 0; i < size; i++) {
      const m = this.#wmask[offset + i]!;
      const b = Math.floor(value / 2 ** (8 * i)) & 0xff;
      this.#bytes[offset + i] = (this.#bytes[offset + i]! & ~m) | (b & m);
    }
    // Multiple Message Enable above what the capability offers (6, 7 are reserved too) means the
    // most it offers, as QEMU's msi_write_config clamps it.
    const flags = MSI_CAP_OFFSET + MSI_FLAGS;
    if (!this.#identity.msix && (this.#bytes[flags]! & MSI_FLAGS_QSIZE) >> 4 > MSI_LOG2_VECTORS) {
      this.#bytes[flags] = (this.#bytes[flags]! & ~MSI_FLAGS_QSIZE) | (MSI_LOG2_VECTORS << 4);
    }
    this.#notify(before);
  }

  /** Where BAR0 decodes: null unless memory space is enabled and the BAR holds a non-zero address. */
  bar0Address(): number | null {
    if ((this.#bytes[PCI_COMMAND]! & PCI_COMMAND_MEMORY) === 0) return null;
    const a = this.#dword(PCI_BAR0) & ~(this.#identity.bar0Size - 1);
    return a === 0 ? null : a >>> 0;
  }

  busMaster(): boolean {
    return (this.#bytes[PCI_COMMAND]! & PCI_COMMAND_MASTER) !== 0;
  }

  /** The MSI capability's state; an MSI-X function has none (always disabled). */
  msi(): MsiState {
    if (this.#identity.msix) return NO_MSI;
    const c = MSI_CAP_OFFSET;
    return {
      enabled: (this.#bytes[c + MSI_FLAGS]! & MSI_FLAGS_ENABLE) !== 0,
      address: (BigInt(this.#dword(c + MSI_ADDRESS_HI)) << 32n) | BigInt(this.#dword(c + MSI_ADDRESS_LO)),
      data: this.#bytes[c + MSI_DATA]! | (this.#bytes[c + MSI_DATA + 1]! << 8),
      vectors: 1 << ((this.#bytes[c + MSI_FLAGS]! & MSI_FLAGS_QSIZE) >> 4),
      mask: this.#dword(c + MSI_MASK),
      pending: this.#dword(c + MSI_PENDING),
    };
  }

  /** MSI-X Enable and Function Mask; null for a function that offers MSI. */
  msix(): MsixControl | null {
    if (!this.#identity.msix) return null;
    const control = this.#bytes[MSI_CAP_OFFSET + MSIX_FLAGS]! | (this.#bytes[MSI_CAP_OFFSET + MSIX_FLAGS + 1]! << 8);
    return { enabled: (control & MSIX_FLAGS_ENABLE) !== 0, functionMask: (control & MSIX_FLAGS_MASKALL) !== 0 };
  }

  /** The MSI-X table and PBA layout this function offers (null: it offers MSI). */
  msixLayout(): PciMsixLayout | null {
    return this.#identity.msix ?? null;
  }

  /** The INTx pin's level: Interrupt Status set and Interrupt Disable clear (false for a function without a pin). */
  intxAsserted(): boolean {
    return (this.#bytes[PCI_STATUS]! & PCI_STATUS_INTERRUPT) !== 0 && (this.#bytes[PCI_COMMAND + 1]! & (PCI_COMMAND_INTX_DISABLE >> 8)) === 0;
  }

  /** The device wants INTx (or no longer does): its Interrupt Status bit; reports a change of the pin's level. */
  setInterruptStatus(pending: boolean): void {
    if (!this.#identity.intxPin) throw new Error('this function has no INTx pin');
    const before = this.#snapshot();
    this.#bytes[PCI_STATUS] = pending ? this.#bytes[PCI_STATUS]! | PCI_STATUS_INTERRUPT : this.#bytes[PCI_STATUS]! & ~PCI_STATUS_INTERRUPT;
    this.#notify(before);
  }

  /** Sets or clears vector v's pending bit (the device's side of a masked vector). */
  setPending(vector: number, pending: boolean): void {
    if (this.#identity.msix) throw new Error('an MSI-X function has no MSI pending bits (shared/pci/msix.ts keeps its PBA)');
    if (!Number.isInteger(vector) || vector < 0 || vector >= MSI_VECTORS)
      throw new RangeError(`MSI vector must be an integer in [0, ${MSI_VECTORS}), got ${vector}`);
    const bits = pending ? this.#dword(MSI_CAP_OFFSET + MSI_PENDING) | (1 << vector) : this.#dword(MSI_CAP_OFFSET + MSI_PENDING) & ~(1 << vector);
    this.#set(MSI_CAP_OFFSET + MSI_PENDING, 4, bits >>> 0);
  }

  /** Back to power-on values (device reset); reports what that changed. */
  reset(): void {
    const before = this.#snapshot();
    this.#powerOn();
    this.#notify(before);
  }

  /** The configuration bytes as they are (shared/pci/config-snapshot.ts saves them). */
  saveBytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /** Per byte, the bits a guest write may change (power-on's; they never change). */
  writableMask(): Uint8Array {
    return this.#wmask.slice();
  }

  /**
   * Restores saved bytes that shared/pci/config-snapshot.ts checked (read-only bits as at power-on), and
   * reports what that changed as a write does (BAR0 decode, bus mastering, MSI enable and mask).
   */
  loadBytes(bytes: Uint8Array): void {
    if (bytes.length !== PCI_CONFIG_SPACE_SIZE) throw new RangeError(`config space is ${PCI_CONFIG_SPACE_SIZE} bytes, ${bytes.length} given`);
    const before = this.#snapshot();
    this.#bytes.set(bytes);
    this.#notify(before);
  }

  stats(): { badAccesses: number } {
    return { badAccesses: this.#badAccesses };
  }

  #accessOk(offset: number, size: number): boolean {
    return (size === 1 || size === 2 || size === 4) && Number.isInteger(offset) && offset >= 0 && offset + size <= PCI_CONFIG_SPACE_SIZE && offset % size === 0;
  }

  #dword(offset: number): number {
    const b = this.#bytes;
    return (b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16) | (b[offset + 3]! << 24)) >>> 0;
  }

  #set(offset: number, size: number, value: number, wmask = 0): void {
    for (let i = 0; i < size; i++) {
      this.#bytes[offset + i] = (value >>> (8 * i)) & 0xff;
      this.#wmask[offset + i] = (wmask >>> (8 * i)) & 0xff;
    }
  }

  #powerOn(): void {
    this.#bytes.fill(0);
    this.#wmask.fill(0);
    const id = this.#identity;
    this.#set(PCI_VENDOR_ID, 2, id.vendor);
    this.#set(PCI_DEVICE_ID, 2, id.device);
    this.#set(PCI_COMMAND, 2, 0, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | (id.intxPin ? PCI_COMMAND_INTX_DISABLE : 0));
    this.#set(PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
    this.#set(PCI_REVISION_ID, 1, this.#revision);
    this.#set(PCI_CLASS_PROG, 3, id.classCode);
    this.#set(PCI_HEADER_TYPE, 1, 0);
    // BAR0: memory, 32-bit, non-prefetchable (low bits 0); only the address bits above the size are writable.
    this.#set(PCI_BAR0, 4, 0, ~(id.bar0Size - 1) >>> 0);
    this.#set(PCI_SUBSYSTEM_VENDOR_ID, 2, id.subsystemVendor ?? 0);
    this.#set(PCI_SUBSYSTEM_VENDOR_ID + 2, 2, id.subsystem ?? 0);
    this.#set(PCI_CAPABILITY_LIST, 1, MSI_CAP_OFFSET);
    this.#set(PCI_INTERRUPT_LINE, 1, 0, 0xff);
    // 0: no INTx pin, the function interrupts only through MSI or MSI-X.
    this.#set(PCI_INTERRUPT_PIN, 1, id.intxPin ?? 0);
    const c = MSI_CAP_OFFSET;
    const caps = id.capabilities ?? [];
    this.#set(c + 1, 1, caps[0]?.offset ?? 0); // next pointer: 0 ends the list
    caps.forEach((cap, i) => {
      this.#bytes.set(cap.bytes, cap.offset);
      this.#bytes[cap.offset + 1] = caps[i + 1]?.offset ?? 0;
    });
    if (id.msix) {
      // Table Size - 1, read-only; Enable and Function Mask writable, both 0 at reset (QEMU's msix_init, msix_reset).
      this.#set(c, 1, MSIX_CAP_ID);
      this.#set(c + MSIX_FLAGS, 2, id.msix.vectors - 1, MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL);
      this.#set(c + MSIX_TABLE, 4, id.msix.tableOffset); // BIR 0: BAR0
      this.#set(c + MSIX_PBA, 4, id.msix.pbaOffset);
      return;
    }
    this.#set(c, 1, 0x05); // capability id: MSI
    // 32 vectors offered, one enabled at reset; 64-bit; per-vector masking.
    this.#set(c + MSI_FLAGS, 2, MSI_FLAGS_64BIT | MSI_FLAGS_MASKBIT | (MSI_LOG2_VECTORS << 1), MSI_FLAGS_ENABLE | MSI_FLAGS_QSIZE);
    this.#set(c + MSI_ADDRESS_LO, 4, 0, 0xfffffffc); // dword-aligned
    this.#set(c + MSI_ADDRESS_HI, 4, 0, 0xffffffff);
    this.#set(c + MSI_DATA, 2, 0, 0xffff);
    this.#set(c + MSI_MASK, 4, 0, 0xffffffff); // every one of the 32 vectors has its bit
    this.#set(c + MSI_PENDING, 4, 0); // read-only: set and cleared by the device
  }

  #snapshot(): Snapshot {
    const msi = this.msi();
    const msix = this.msix();
    return {
      bar0: this.bar0Address(),
      master: this.busMaster(),
      msi: msi.enabled,
      mask: msi.mask,
      msixEnabled: msix?.enabled ?? false,
      msixMasked: msix?.functionMask ?? false,
      intx: this.intxAsserted(),
    };
  }

  #notify(before: Snapshot): void {
    const cb = this.onChange;
    if (cb === undefined) return;
    const after = this.#snapshot();
    if (after.bar0 !== before.bar0) cb({ kind: 'bar0', address: after.bar0, previous: before.bar0 });
    if (after.master !== before.master) cb({ kind: 'bus-master', enabled: after.master });
    if (after.msi !== before.msi) cb({ kind: 'msi', enabled: after.msi });
    if (after.mask !== before.mask) cb({ kind: 'msi-mask', mask: after.mask });
    if (after.msixEnabled !== before.msixEnabled || after.msixMasked !== before.msixMasked)
      cb({ kind: 'msix', enabled: after.msixEnabled, functionMask: after.msixMasked });
    if (after.intx !== before.intx) cb({ kind: 'intx', asserted: after.intx });
  }
}

interface Snapshot {
  bar0: number | null;
  master: boolean;
  msi: boolean;
  mask: number;
  msixEnabled: boolean;
  msixMasked: boolean;
  intx: boolean;
}

function checkIdentity(id: PciIdentity): PciIdentity {
  const size = id.bar0Size;
  if (!Number.isInteger(size) || size < 16 || size > 0x8000_0000 || (size & (size - 1)) !== 0)
    throw new RangeError(`BAR0 size must be a power of two >= 16 (got ${size})`);
  if (id.msix) checkMsix(id.msix, size);
  if (id.intxPin !== undefined && (!Number.isInteger(id.intxPin) || id.intxPin < 1 || id.intxPin > 4))
    throw new RangeError(`the INTx pin is 1..4 (INTA#..INTD#), got ${id.intxPin}`);
  let end = MSI_CAP_OFFSET + (id.msix ? MSIX_CAP_BYTES : MSI_CAP_BYTES);
  for (const cap of id.capabilities ?? []) {
    if (cap.offset % 4 !== 0 || cap.offset < end || cap.bytes.length < 2 || cap.offset + cap.bytes.length > 0x100) {
      throw new RangeError(`capability at 0x${cap.offset.toString(16)} must be 4-aligned, after the one before and inside the first 256 bytes`);
    }
    end = cap.offset + cap.bytes.length;
  }
  return id;
}

function checkMsix(m: PciMsixLayout, barSize: number): void {
  const table = m.vectors * 16;
  const pba = Math.ceil(m.vectors / 64) * 8;
  const fits = (offset: number, bytes: number) => Number.isInteger(offset) && offset >= 0 && offset % 8 === 0 && offset + bytes <= barSize;
  if (!Number.isInteger(m.vectors) || m.vectors < 1 || m.vectors > MSIX_MAX_VECTORS)
    throw new RangeError(`MSI-X offers 1..${MSIX_MAX_VECTORS} vectors (got ${m.vectors})`);
  if (!fits(m.tableOffset, table) || !fits(m.pbaOffset, pba) || (m.tableOffset < m.pbaOffset + pba && m.pbaOffset < m.tableOffset + table)) {
    throw new RangeError('the MSI-X table and PBA must be 8-aligned, inside BAR0 and apart');
  }
}
