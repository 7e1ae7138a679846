// raiseInterrupt, per variant: a pulse on the device's line (MMIO variant) or an MSI message
// (PCI variant) only while the guest has MSI enabled — otherwise counted as dropped. Posting
// never waits: if the interrupt controller's mailbox is full, pulses stay pending (edges
// coalesce, as on hardware) and are retried from the actor's idle hook.
import { IrqKind } from '../irq/messages.js';
import type { Mailbox } from '../../shared/mailbox/mailbox.js';
import type { PciConfigSpace } from './pci-config.js';

export class InterruptRouter {
  raised = 0;
  delivered = 0;
  droppedWhileDisabled = 0;
  private readonly pendingLines = new Set<number>();
  private pendingMsi = false;

  constructor(
    private readonly irq: Mailbox,
    private readonly pci: PciConfigSpace | null,
  ) {}

  /** The engine raised an interrupt on `line` (MMIO variant lines; ignored for PCI). */
  raise(line: number): void {
    this.raised++;
    if (this.pci) {
      const msi = this.pci.msi();
      if (!msi.enabled) {
        this.droppedWhileDisabled++;
        return;
      }
      if (this.postMsi()) this.delivered++;
      else this.pendingMsi = true;
      return;
    }
    if (this.irq.tryEnqueue(IrqKind.LinePulse, [line])) this.delivered++;
    else this.pendingLines.add(line);
  }

  private postMsi(): boolean {
    const msi = this.pci!.msi();
    if (!msi.enabled) return true; // disabled meanwhile: nothing to send
    return this.irq.tryEnqueue(IrqKind.Msi, [Number(msi.address & 0xffffffffn), Number(msi.address >> 32n), msi.data]);
  }

  /** Interrupts waiting for room in the controller's mailbox. */
  get pending(): boolean {
    return this.pendingMsi || this.pendingLines.size > 0;
  }

  /** A system reset: interrupts not posted yet belong to the old machine. */
  reset(): void {
    this.pendingLines.clear();
    this.pendingMsi = false;
  }

  /** Retries pending interrupts; true while some remain. */
  flush(): boolean {
    if (this.pendingMsi) {
      if (!this.postMsi()) return true;
      this.pendingMsi = false;
      this.delivered++;
    }
    for (const line of this.pendingLines) {
      if (!this.irq.tryEnqueue(IrqKind.LinePulse, [line])) return true;
      this.pendingLines.delete(line);
      this.delivered++;
    }
    return false;
  }
}
