// The PCI variant's configuration space in a snapshot: all of its bytes (BAR0, the command
// register, the MSI capability with its address, data, enabled vectors, mask and pending bits).
// The bytes are a file's: a restore checks that every bit a guest cannot write is what the
// device has at power-on (identity, BAR size bits, capability layout), except the MSI pending
// bits and an INTx function's Interrupt Status (the device's own), and that the enabled-vector count is one the device offers; the first
// problem is refused with StateFormatError. What a guest could have written is taken as it is,
// as a guest write would take it. Modelled on QEMU's config-space loader, get_pci_config_device
// in hw/pci/pci.c (github.com/qemu/qemu): it refuses a byte that differs from the device's own
// in bits that are checked (cmask), not writable (wmask) and not write-1-to-clear, then copies
// the bytes and updates the BAR mappings (pci_update_mappings) — here, onChange.
//
// Layout (little-endian): magic 'PCIS', version u32, length u32 (4096), then the bytes.
import {
  MSI_CAP_OFFSET,
  MSI_FLAGS,
  MSI_FLAGS_QSIZE,
  MSI_PENDING,
  PCI_CONFIG_SPACE_SIZE,
  PCI_INTERRUPT_PIN,
  PCI_STATUS,
  PCI_STATUS_INTERRUPT,
} from '../../abi/generated/machine.js';
import { StateReader, StateWriter } from '../snapshot/state-bytes.js';
import type { PciConfigSpace } from './config-space.js';

const MAGIC = 0x53494350; // 'PCIS'
const VERSION = 1;
const MAX_LOG2_VECTORS = 5; // 32 vectors offered (config-space.ts clamps a write to it)

export function savePciConfig(space: PciConfigSpace): Uint8Array {
  return new StateWriter().u32(MAGIC).u32(VERSION).u32(PCI_CONFIG_SPACE_SIZE).bytes(space.saveBytes()).finish();
}

/**
 * Checks `bytes` against `space`, which must be at power-on (new, or reset), and restores them
 * into it; its onChange hears what changed (BAR0 mapped, MSI enabled). Throws StateFormatError
 * with nothing changed.
 */
export function loadPciConfig(space: PciConfigSpace, bytes: Uint8Array, component = 'pci config'): void {
  const r = new StateReader(bytes, component);
  r.header(MAGIC, VERSION);
  r.at('bytes');
  const length = r.u32();
  if (length !== PCI_CONFIG_SPACE_SIZE) r.fail(`${length} bytes, the config space has ${PCI_CONFIG_SPACE_SIZE}`);
  const saved = r.bytes(length);
  r.end();
  const powerOn = space.saveBytes();
  const writable = space.writableMask();
  // An MSI function's pending bits are the device's to set; an MSI-X function keeps its own in BAR0 (shared/pci/msix.ts).
  const pending = space.msix() === null ? MSI_CAP_OFFSET + MSI_PENDING : -4;
  // A function with an INTx pin sets and clears its Interrupt Status bit itself.
  const deviceStatusBits = powerOn[PCI_INTERRUPT_PIN] !== 0 ? PCI_STATUS_INTERRUPT : 0;
  for (let i = 0; i < length; i++) {
    if (i >= pending && i < pending + 4) continue; // the device sets and clears these
    const fixed = ~writable[i]! & ~(i === PCI_STATUS ? deviceStatusBits : 0) & 0xff;
    if ((saved[i]! & fixed) !== (powerOn[i]! & fixed)) {
      r.at(`offset 0x${i.toString(16)}`).fail(`read-only bits 0x${(saved[i]! & fixed).toString(16)}, the device has 0x${(powerOn[i]! & fixed).toString(16)}`);
    }
  }
  const qsize = (saved[MSI_CAP_OFFSET + MSI_FLAGS]! & MSI_FLAGS_QSIZE) >> 4;
  if (space.msix() === null && qsize > MAX_LOG2_VECTORS) r.at('msi').fail(`${2 ** qsize} vectors enabled, the device offers ${2 ** MAX_LOG2_VECTORS}`);
  space.loadBytes(saved);
}
