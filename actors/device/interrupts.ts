// raiseInterrupt, per variant: a pulse on the device's line (MMIO variant; the vector is not
// used) or an MSI message (PCI variant) only while the guest has MSI enabled — otherwise counted
// as dropped. PCI: the engine names a vector, as PVG's raiseInterrupt(vector) does and QEMU's
// apple-gfx-pci.m passes on to msi_notify(dev, vector); with fewer vectors enabled than that, the
// vector is folded into the enabled count (its low bits), as the MSI message data can only carry
// those. A masked vector sets its pending bit and goes out when unmasked.
//
// Under the actor model the engine raises most interrupts itself (native/src/engine/bridge/
// direct_interrupts.cpp, from the MSI capability the device actor publishes: irq-route.ts); what
// reaches this router there is only what it handed back (a masked MSI vector, whose pending bit
// is in this actor's config space). Under qemu and record-lock every raise comes here.
//
// Delivery is the device's own, on its own thread, through the shared interrupt table
// (shared/irq/interrupt-table.ts): an MSI goes straight to the target vCPU, as an MSI write
// reaches an x86 local APIC, and an edge line's pulse needs no interrupt-controller hop either.
// Only a level line goes through the controller actor's mailbox; posting never waits: if the
// mailbox is full, pulses stay pending (coalesced per line, as on hardware) and are retried from
// the actor's idle hook.
import { IrqLinePulse } from '../../abi/generated/irq-records.js';
import type { Mailbox } from '../../shared/mailbox/mailbox.js';
import type { InterruptTable } from '../../shared/irq/interrupt-table.js';
import { releaseUnmasked, signalMsi } from '../../shared/pci/msi.js';
import type { PciConfigSpace } from '../../shared/pci/config-space.js';

export class InterruptRouter {
  raised = 0;
  delivered = 0;
  droppedWhileDisabled = 0;
  /** PCI: raises that found their vector masked (held in its pending bit). */
  heldWhileMasked = 0;
  /** Level lines waiting for room in the controller's mailbox. */
  private readonly pendingLines = new Set<number>();

  constructor(
    private readonly irq: Mailbox,
    private readonly table: InterruptTable,
    private readonly pci: PciConfigSpace | null,
  ) {}

  /** The engine raised interrupt `vector`; `line` is the MMIO variant's line for it. */
  raise(line: number, vector = 0): void {
    this.raised++;
    if (this.pci) {
      const outcome = signalMsi(this.pci, this.table, vector);
      if (outcome === 'disabled') this.droppedWhileDisabled++;
      else if (outcome === 'masked') this.heldWhileMasked++;
      else this.delivered++;
      return;
    }
    if (this.table.isEdge(line)) {
      this.table.pulseEdge(line);
      this.delivered++;
    } else if (IrqLinePulse.tryPost(this.irq, line)) {
      this.delivered++;
    } else {
      this.pendingLines.add(line);
    }
  }

  /** PCI: the mask bits changed; a vector unmasked with its pending bit set goes out now. */
  unmasked(): void {
    if (this.pci) this.delivered += releaseUnmasked(this.pci, this.table);
  }

  /** Interrupts waiting for room in the controller's mailbox. */
  get pending(): boolean {
    return this.pendingLines.size > 0;
  }

  /** A system reset: interrupts not posted yet belong to the old machine. */
  reset(): void {
    this.pendingLines.clear();
  }

  /** Retries pending interrupts; true while some remain. */
  flush(): boolean {
    for (const line of this.pendingLines) {
      if (!IrqLinePulse.tryPost(this.irq, line)) return true;
      this.pendingLines.delete(line);
      this.delivered++;
    }
    return false;
  }
}
