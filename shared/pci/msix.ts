// MSI-X for a PCI function whose configuration space offers it (PciIdentity.msix): the table and
// the pending bit array (PBA) that live in BAR0, per-vector masking, and sending a vector's
// message through the shared interrupt table (PCI Local Bus 3.0 §6.8.2–6.8.3; modelled on QEMU's
// hw/pci/msix.c: msix_notify, msix_handle_mask_update, msix_write_config, msix_reset, and its
// msix_table_mmio_ops / msix_pba_mmio_ops).
//
// Accesses are aligned DWORDs or aligned QWORDs (PCI 3.0 §6.8.2: "software must use aligned full
// DWORD or aligned full QWORD transactions; otherwise, the result is undefined"). As QEMU does
// since "msix: allow qword MSI-X table accesses" (valid sizes 4..8, implemented size 4, not
// unaligned), a QWORD is two DWORD accesses, the lower address first (memory.c's
// access_with_adjusted_size for a little-endian region): a QWORD write of Message Data and Vector
// Control sets the data before it unmasks. Anything else is refused and changes nothing.
//
// A vector is masked while its Vector Control mask bit is set, or while the function is masked
// (Function Mask set, or MSI-X off: QEMU's msix_function_masked). A message for a masked vector
// sets its pending bit instead; when the vector stops being masked — a table write, Function Mask
// cleared, MSI-X enabled — a pending vector's message goes out once and the bit clears. Every
// table and PBA access is guest input: a bad one is reported to the caller (counted there), never
// thrown. The state a snapshot needs besides the configuration space (which holds Enable and
// Function Mask) is MsixTableState: saveState() and loadState().
import {
  MSIX_ENTRY_ADDRESS_HI,
  MSIX_ENTRY_ADDRESS_LO,
  MSIX_ENTRY_BYTES,
  MSIX_ENTRY_CTRL_MASKBIT,
  MSIX_ENTRY_DATA,
  MSIX_ENTRY_VECTOR_CTRL,
} from '../../abi/generated/machine.js';
import type { PciConfigSpace } from './config-space.js';
import type { MsiTarget } from './msi.js';

/** What became of a vector's interrupt: sent, left to INTx (MSI-X off), or held pending (masked). */
export type MsixOutcome = 'sent' | 'disabled' | 'masked';

/** Why a table or PBA access was refused. */
export type MsixAccessFault = 'bad-access-size' | 'unknown-register' | 'write-to-read-only';

/** The table and pending bits as they are: what a snapshot saves (Enable and Function Mask are config-space bytes). */
export interface MsixTableState {
  /** Four 32-bit words per vector: address low, address high, data, vector control. */
  readonly entries: readonly number[];
  /** Pending bits: vector v is bit v % 32 of word v >> 5. */
  readonly pending: readonly number[];
}

const WORDS_PER_ENTRY = MSIX_ENTRY_BYTES / 4;
const ADDRESS_LO = MSIX_ENTRY_ADDRESS_LO / 4;
const ADDRESS_HI = MSIX_ENTRY_ADDRESS_HI / 4;
const DATA = MSIX_ENTRY_DATA / 4;
const CONTROL = MSIX_ENTRY_VECTOR_CTRL / 4;
/** Bits a guest can write in each word of an entry: the address is dword-aligned, Vector Control has only its mask bit. */
const WRITABLE = [0xfffffffc, 0xffffffff, 0xffffffff, MSIX_ENTRY_CTRL_MASKBIT];

export class MsixTable {
  /** Table Size: the vectors this function offers. */
  readonly vectors: number;
  readonly #tableOffset: number;
  readonly #pbaOffset: number;
  readonly #pbaBytes: number;
  readonly #words: Uint32Array;
  readonly #pending: Uint32Array;
  readonly #halves = new Uint32Array(2);

  constructor(
    private readonly pci: PciConfigSpace,
    private readonly target: MsiTarget,
  ) {
    const layout = pci.msixLayout();
    if (!layout) throw new Error('this function offers MSI, not MSI-X');
    this.vectors = layout.vectors;
    this.#tableOffset = layout.tableOffset;
    this.#pbaOffset = layout.pbaOffset;
    // The PBA is whole QWORDs (PCI 3.0 §6.8.2.7), as QEMU sizes it: QEMU_ALIGN_UP(nentries, 64) / 8.
    this.#pbaBytes = Math.ceil(layout.vectors / 64) * 8;
    this.#words = new Uint32Array(layout.vectors * WORDS_PER_ENTRY);
    this.#pending = new Uint32Array(Math.ceil(layout.vectors / 32));
    this.reset();
  }

  /** Whether BAR0 offset `offset` is in the table or the PBA. */
  owns(offset: number): boolean {
    return this.#inTable(offset) || this.#inPba(offset);
  }

  /** A BAR0 read in the table or PBA, an aligned DWORD (the value) or QWORD (its low half: readHalves has both). */
  read(offset: number, size: number): number | MsixAccessFault {
    const fault = this.readHalves(offset, size, this.#halves);
    return fault ?? this.#halves[0]!;
  }

  /** A BAR0 read in the table or PBA into `into`: [0] the DWORD at `offset`, [1] the next one for a QWORD (0 for a DWORD). */
  readHalves(offset: number, size: number, into: Uint32Array): MsixAccessFault | null {
    const fault = this.#check(offset, size);
    if (fault) return fault;
    into[0] = this.#readWord(offset);
    into[1] = size === 8 ? this.#readWord(offset + 4) : 0;
    return null;
  }

  /**
   * A BAR0 write in the table (the PBA is read-only): an aligned DWORD `value`, or an aligned
   * QWORD whose high half is `high`, written low DWORD first. A vector that stops being masked
   * with its pending bit set is sent.
   */
  write(offset: number, size: number, value: number, high = 0): MsixAccessFault | null {
    const fault = this.#check(offset, size);
    if (fault) return fault;
    if (this.#inPba(offset)) return 'write-to-read-only';
    this.#writeWord(offset, value);
    if (size === 8) this.#writeWord(offset + 4, high);
    return null;
  }

  /** Signals `vector` (an integer below `vectors`, which the caller checked: a wrong one is a host bug). */
  signal(vector: number): MsixOutcome {
    if (!Number.isInteger(vector) || vector < 0 || vector >= this.vectors) throw new RangeError(`MSI-X vector ${vector} is not below ${this.vectors}`);
    if (!this.pci.msix()!.enabled) return 'disabled';
    if (this.masked(vector)) {
      this.#pending[vector >> 5]! |= 1 << (vector & 31);
      return 'masked';
    }
    this.#send(vector);
    return 'sent';
  }

  /** Enable or Function Mask changed (the configuration space said so): sends every vector now unmasked and pending; returns how many. */
  controlChanged(): number {
    let sent = 0;
    for (let v = 0; v < this.vectors; v++) if (!this.masked(v) && this.#release(v)) sent++;
    return sent;
  }

  /** Whether vector v's message would be held: MSI-X off, Function Mask, or its own mask bit. */
  masked(vector: number): boolean {
    const control = this.pci.msix()!;
    return !control.enabled || control.functionMask || (this.#words[vector * WORDS_PER_ENTRY + CONTROL]! & MSIX_ENTRY_CTRL_MASKBIT) !== 0;
  }

  pending(vector: number): boolean {
    return ((this.#pending[vector >> 5]! >>> (vector & 31)) & 1) === 1;
  }

  /** Drops every pending bit (the device was reset: its old interrupts mean nothing; QEMU's msix_unuse_all_vectors). */
  clearPending(): void {
    this.#pending.fill(0);
  }

  /** The function's reset: every entry zero and masked, nothing pending (QEMU's msix_reset; the config space clears Enable and Function Mask). */
  reset(): void {
    this.#words.fill(0);
    for (let v = 0; v < this.vectors; v++) this.#words[v * WORDS_PER_ENTRY + CONTROL] = MSIX_ENTRY_CTRL_MASKBIT;
    this.#pending.fill(0);
  }

  saveState(): MsixTableState {
    return { entries: [...this.#words], pending: [...this.#pending] };
  }

  /**
   * Restores a saved table, after the configuration space was restored (as QEMU's msix_load).
   * Checks it whole first — lengths, 32-bit words, only writable bits set, pending bits only for
   * vectors the table has — and throws RangeError with nothing changed; then sends each vector
   * that is unmasked with its pending bit set, as msix_load does. Returns how many were sent.
   */
  loadState(state: MsixTableState): number {
    const { entries, pending } = state;
    if (!Array.isArray(entries) || entries.length !== this.#words.length) throw new RangeError(`MSI-X table: ${this.#words.length} words expected`);
    if (!Array.isArray(pending) || pending.length !== this.#pending.length) throw new RangeError(`MSI-X pending bits: ${this.#pending.length} words expected`);
    entries.forEach((w, i) => {
      if (!isWord(w) || (w & ~WRITABLE[i % WORDS_PER_ENTRY]!) !== 0)
        throw new RangeError(`MSI-X table word ${i}: 0x${Number(w).toString(16)} has bits no guest can set`);
    });
    pending.forEach((w, i) => {
      const valid = Math.min(32, this.vectors - 32 * i);
      const allowed = valid === 32 ? 0xffffffff : 2 ** valid - 1;
      if (!isWord(w) || (w & ~allowed) !== 0) throw new RangeError(`MSI-X pending word ${i}: bits past the table's ${this.vectors} vectors`);
    });
    this.#words.set(entries);
    this.#pending.set(pending);
    return this.controlChanged();
  }

  #inTable(offset: number): boolean {
    return offset >= this.#tableOffset && offset < this.#tableOffset + this.#words.length * 4;
  }

  #inPba(offset: number): boolean {
    return offset >= this.#pbaOffset && offset < this.#pbaOffset + this.#pbaBytes;
  }

  #check(offset: number, size: number): MsixAccessFault | null {
    if (!Number.isInteger(offset) || !this.owns(offset)) return 'unknown-register';
    // PCI 3.0 §6.8.2: aligned DWORD or aligned QWORD accesses only (QEMU refuses the rest: its regions are not `unaligned`).
    if ((size !== 4 && size !== 8) || offset % size !== 0) return 'bad-access-size';
    // An aligned QWORD lies whole in the table or whole in the PBA: both start 8-aligned and are whole QWORDs (checkMsix).
    return null;
  }

  #readWord(offset: number): number {
    if (this.#inTable(offset)) return this.#words[(offset - this.#tableOffset) / 4]!;
    const word = (offset - this.#pbaOffset) / 4;
    return word < this.#pending.length ? this.#pending[word]! : 0;
  }

  #writeWord(offset: number, value: number): void {
    const word = (offset - this.#tableOffset) / 4;
    const vector = Math.floor(word / WORDS_PER_ENTRY);
    const wasMasked = this.masked(vector);
    this.#words[word] = (value >>> 0) & WRITABLE[word % WORDS_PER_ENTRY]!;
    if (wasMasked && !this.masked(vector)) this.#release(vector);
  }

  /** Sends `vector` if its pending bit was set, clearing it; returns whether it did. */
  #release(vector: number): boolean {
    if (!this.pending(vector)) return false;
    this.#pending[vector >> 5]! &= ~(1 << (vector & 31));
    this.#send(vector);
    return true;
  }

  #send(vector: number): void {
    const e = vector * WORDS_PER_ENTRY;
    // A high word past 2^21 makes an address no JavaScript number holds exactly: the interrupt table refuses it (counted), never rounds it.
    this.target.msi(this.#words[e + ADDRESS_HI]! * 0x1_0000_0000 + this.#words[e + ADDRESS_LO]!, this.#words[e + DATA]!);
  }
}

function isWord(w: unknown): w is number {
  return typeof w === 'number' && Number.isInteger(w) && w >= 0 && w <= 0xffffffff;
}
