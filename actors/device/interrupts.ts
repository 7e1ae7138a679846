// raiseInterrupt, per variant: a pulse on the device's line (MMIO variant; the vector is not
// used) or an MSI message (PCI variant) only while the guest has MSI enabled — otherwise counted
// as dropped. PCI: the engine names a vector, as PVG's raiseInterrupt(vector) does and QEMU's
// apple-gfx-pci.m passes on to msi_notify(dev, vector); with fewer vectors enabled than that, the
// vector is folded into the enabled count (its low bits), as the MSI message data can only carry
// those. A masked vector sets its pending bit and goes out when unmasked. Posting never waits: if
// the interrupt controller's mailbox is full, pulses and messages stay pending (edges coalesce,
// per line or vector, as on hardware) and are retried from the actor's idle hook.
import { IrqLinePulse, IrqMsi } from '../../abi/generated/irq-records.js';
import type { Mailbox } from '../../shared/mailbox/mailbox.js';
import { MSI_VECTORS } from '../../abi/generated/machine.js';
import type { PciConfigSpace } from './pci-config.js';

export class InterruptRouter {
  raised = 0;
  delivered = 0;
  droppedWhileDisabled = 0;
  /** PCI: raises that found their vector masked (held in its pending bit). */
  heldWhileMasked = 0;
  private readonly pendingLines = new Set<number>();
  /** PCI: vectors (folded) waiting for room in the controller's mailbox. */
  private readonly pendingMsi = new Set<number>();

  constructor(
    private readonly irq: Mailbox,
    private readonly pci: PciConfigSpace | null,
  ) {}

  /** The engine raised interrupt `vector`; `line` is the MMIO variant's line for it. */
  raise(line: number, vector = 0): void {
    this.raised++;
    if (this.pci) {
      const msi = this.pci.msi();
      if (!msi.enabled) {
        this.droppedWhileDisabled++;
        return;
      }
      const v = ((vector >>> 0) % MSI_VECTORS) & (msi.vectors - 1);
      if ((msi.mask >>> v) & 1) {
        this.heldWhileMasked++;
        this.pci.setPending(v, true);
        return;
      }
      this.sendMsi(v);
      return;
    }
    if (IrqLinePulse.tryPost(this.irq, line)) this.delivered++;
    else this.pendingLines.add(line);
  }

  /** PCI: the mask bits changed; a vector unmasked with its pending bit set goes out now. */
  unmasked(): void {
    if (!this.pci) return;
    const msi = this.pci.msi();
    const due = msi.pending & ~msi.mask;
    for (let v = 0; v < MSI_VECTORS; v++) {
      if (((due >>> v) & 1) === 0) continue;
      this.pci.setPending(v, false);
      if (msi.enabled) this.sendMsi(v);
    }
  }

  private sendMsi(vector: number): void {
    if (this.postMsi(vector)) this.delivered++;
    else this.pendingMsi.add(vector);
  }

  private postMsi(vector: number): boolean {
    const msi = this.pci!.msi();
    if (!msi.enabled) return true; // disabled meanwhile: nothing to send
    // The enabled vectors' bits of the data are the vector's (PCI Local Bus spec, MSI Message Data).
    const data = (msi.data & ~(msi.vectors - 1)) | (vector & (msi.vectors - 1));
    return IrqMsi.tryPost(this.irq, Number(msi.address & 0xffffffffn), Number(msi.address >> 32n), data);
  }

  /** Interrupts waiting for room in the controller's mailbox. */
  get pending(): boolean {
    return this.pendingMsi.size > 0 || this.pendingLines.size > 0;
  }

  /** A system reset: interrupts not posted yet belong to the old machine. */
  reset(): void {
    this.pendingLines.clear();
    this.pendingMsi.clear();
  }

  /** Retries pending interrupts; true while some remain. */
  flush(): boolean {
    for (const vector of this.pendingMsi) {
      if (!this.postMsi(vector)) return true;
      this.pendingMsi.delete(vector);
      this.delivered++;
    }
    for (const line of this.pendingLines) {
      if (!IrqLinePulse.tryPost(this.irq, line)) return true;
      this.pendingLines.delete(line);
      this.delivered++;
    }
    return false;
  }
}
