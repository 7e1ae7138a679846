// The interrupt controller's state machine, free of threads so it can be tested alone: lines
// (edge or level, maskable, each routed to one vCPU vector), x86-style MSIs, and EOIs. Its state
// lives in the shared interrupt table (shared/irq/interrupt-table.ts), where devices deliver
// their own MSIs and edge pulses directly; this class is the actor's side: level lines, masks,
// EOIs that re-evaluate level lines, and the statistics. Guest- and device-supplied numbers are
// hostile: a bad one is counted and ignored, never thrown on, because a throw would crash the
// actor and with it the VM. Only the host-supplied configuration throws. Semantics:
// docs/interrupts.md.
import {
  createInterruptTable,
  InterruptTable,
  type IrqTarget,
  type IrqTraceSink,
  type LineConfig,
  type LineStats,
  type Trigger,
} from '../../shared/irq/interrupt-table.js';

export { FIRST_VALID_VECTOR, MAX_LINES, TRACE_MSI_INVALID, TRACE_MSI_UNKNOWN_TARGET, TRACE_SOURCE_MSI } from '../../shared/irq/interrupt-table.js';
export type { IrqTarget, IrqTraceSink, LineConfig, LineStats, Trigger };

export interface IrqStats {
  lines: LineStats[];
  msis: number;
  msiDeliveries: number;
  eois: number;
  /** EOIs for a vector the controller has no untaken-and-unacknowledged delivery of. */
  spuriousEois: number;
  /** MSIs with a vector below 16 or an address/data that is not a u64/u32. */
  invalidMsis: number;
  /** MSIs addressed to a vCPU that does not exist. */
  unknownTargets: number;
  /** Pulse, level or mask requests for a line that does not exist. */
  invalidLines: number;
  /** Deliveries of a vector that was still pending on its vCPU (merged into one). */
  coalesced: number;
}

export class IrqController {
  readonly table: InterruptTable;

  /** `table`: a buffer from createInterruptTable(lines, targets.length) shared with the sources; made here when absent. */
  constructor(lines: readonly LineConfig[], targets: readonly IrqTarget[], trace: IrqTraceSink | null = null, table?: SharedArrayBuffer) {
    this.table = new InterruptTable(table ?? createInterruptTable(lines, targets.length), targets, trace);
    if (table && this.table.lineCount !== lines.length)
      throw new RangeError(`the interrupt table has ${this.table.lineCount} lines, the configuration ${lines.length}`);
  }

  get lineCount(): number {
    return this.table.lineCount;
  }

  get vcpuCount(): number {
    return this.table.vcpuCount;
  }

  /** An edge: delivers (or latches while masked). On a level line: asserted, then released. */
  pulse(line: number): void {
    if (this.table.isEdge(line)) return this.table.pulseEdge(line);
    const at = this.table.lineAt(line);
    if (at < 0) return;
    this.table.countPulse(at);
    this.raise(at, line, true);
    this.raise(at, line, false);
  }

  /** Sets a line's input level; a rising edge on an edge line acts as a pulse. */
  setLevel(line: number, high: boolean): void {
    const at = this.table.lineAt(line);
    if (at >= 0) this.raise(at, line, high);
  }

  mask(line: number, masked: boolean): void {
    const at = this.table.lineAt(line);
    if (at < 0) return;
    const wasMasked = this.table.setMask(at, line, masked);
    if (wasMasked && !masked && !this.table.isEdge(line)) this.table.evaluateLevel(at, line);
  }

  /** x86 MSI: vCPU = address bits 19:12, vector = data bits 7:0 (other bits are ignored). */
  msi(address: number, data: number): void {
    this.table.msi(address, data);
  }

  /** The vCPU finished handling `vector`: a still-asserted level line routed there fires again. */
  eoi(vcpu: number, vector: number): void {
    if (!this.table.eoi(vcpu, vector)) return;
    // Clear remote IRR whatever the count says, as an IOAPIC does: a guest that EOIs twice must
    // not leave a level line stuck in service.
    this.table.traceEoi(vcpu, vector, this.table.endService(vcpu, vector));
  }

  stats(): IrqStats {
    const lines: LineStats[] = [];
    for (let i = 0; i < this.table.lineCount; i++) lines.push(this.table.line(i));
    return { ...this.table.counters(), lines };
  }

  /** Level lines: an edge on the input (rising: delivered unless masked or in service). */
  private raise(at: number, line: number, high: boolean): void {
    if (!this.table.setInput(at, high)) return; // unchanged, or lowered: lowering never delivers
    if (this.table.isEdge(line)) this.table.fireEdge(at, line);
    else if (this.table.isMasked(at)) this.table.countMaskedAssertion(at);
    else this.table.evaluateLevel(at, line);
  }
}
