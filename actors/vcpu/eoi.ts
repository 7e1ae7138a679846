// A vCPU's end of interrupt, as an x86 local APIC does it: an edge vector's EOI is the vCPU's
// own business (the shared interrupt table counts it and checks it was outstanding), and only a
// vector that a level line is routed to goes on to the interrupt controller actor, which must
// re-evaluate that line (the IOAPIC's EOI broadcast). So an edge interrupt costs no hop through
// the controller at either end (shared/irq/interrupt-table.ts).
import { InterruptTable } from '../../shared/irq/interrupt-table.js';
import type { Mailbox } from '../../shared/mailbox/mailbox.js';
import type { TraceRingWriter } from '../../shared/trace/ring.js';
import { IrqEoi } from '../../abi/generated/irq-records.js';

export class EoiPort {
  private readonly table: InterruptTable;
  /** Per vector: 1 where a level line is routed to this vCPU. */
  private readonly level = new Uint8Array(256);

  constructor(
    private readonly vcpu: number,
    table: SharedArrayBuffer,
    private readonly controller: Mailbox,
    trace: TraceRingWriter | null = null,
  ) {
    this.table = new InterruptTable(table, null, trace);
    for (let v = 0; v < 256; v++) this.level[v] = this.table.hasLevelLineAt(vcpu, v) ? 1 : 0;
  }

  endOfInterrupt(vector: number): void {
    if (Number.isInteger(vector) && vector >= 0 && vector < 256 && this.level[vector] === 1) {
      IrqEoi.post(this.controller, this.vcpu, vector);
      return;
    }
    if (this.table.eoi(this.vcpu, vector)) this.table.traceEoi(this.vcpu, vector, 0);
  }
}
