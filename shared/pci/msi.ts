// Sending a PCI function's MSI through the shared interrupt table, for every device that has
// an MSI capability (apple-gfx-pci's interrupt router; virtio-pci offers MSI-X instead,
// shared/pci/msix.ts, and shares only MsiTarget). A vector is
// folded into the vectors the guest enabled (the message data can carry only those low bits,
// PCI Local Bus spec, MSI Message Data); a masked one sets its pending bit and goes out when
// unmasked. The table delivers straight to the target vCPU, as an MSI write reaches an x86
// local APIC: no interrupt-controller hop, and never a wait (docs/design.md rule 3).
import { MSI_VECTORS } from '../../abi/generated/machine.js';
import type { PciConfigSpace } from './config-space.js';

export type MsiOutcome = 'sent' | 'disabled' | 'masked';

/** Where a message goes: the VM's interrupt table (shared/irq/interrupt-table.ts), or a test's recorder. */
export interface MsiTarget {
  msi(address: number, data: number): void;
}

/** Signals vector `vector` of the function's MSI capability. */
export function signalMsi(pci: PciConfigSpace, table: MsiTarget, vector: number): MsiOutcome {
  const msi = pci.msi();
  if (!msi.enabled) return 'disabled';
  const v = ((vector >>> 0) % MSI_VECTORS) & (msi.vectors - 1);
  if ((msi.mask >>> v) & 1) {
    pci.setPending(v, true);
    return 'masked';
  }
  sendMsi(pci, table, v);
  return 'sent';
}

/** The mask bits changed: every vector now unmasked with its pending bit set goes out. Returns how many. */
export function releaseUnmasked(pci: PciConfigSpace, table: MsiTarget): number {
  const msi = pci.msi();
  const due = msi.pending & ~msi.mask;
  let sent = 0;
  for (let v = 0; v < MSI_VECTORS; v++) {
    if (((due >>> v) & 1) === 0) continue;
    pci.setPending(v, false);
    if (msi.enabled) {
      sendMsi(pci, table, v);
      sent++;
    }
  }
  return sent;
}

function sendMsi(pci: PciConfigSpace, table: MsiTarget, vector: number): void {
  const msi = pci.msi();
  const data = (msi.data & ~(msi.vectors - 1)) | (vector & (msi.vectors - 1));
  table.msi(Number(msi.address), data);
}
