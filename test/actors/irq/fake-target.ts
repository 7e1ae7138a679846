// A vCPU stand-in for the controller tests: records every delivery and keeps the pending set,
// taking highest first like VcpuIrqState.
import type { IrqTarget, IrqTraceSink } from '../../../actors/irq/controller.js';

export class FakeVcpu implements IrqTarget {
  readonly pending = new Set<number>();
  readonly log: number[] = [];

  deliver(vector: number): boolean {
    this.log.push(vector);
    const fresh = !this.pending.has(vector);
    this.pending.add(vector);
    return fresh;
  }

  take(): number {
    if (this.pending.size === 0) return -1;
    const v = Math.max(...this.pending);
    this.pending.delete(v);
    return v;
  }
}

export class TraceLog implements IrqTraceSink {
  readonly events: [number, number, number, number][] = [];
  instant(id: number, a0 = 0, a1 = 0, a2 = 0): void {
    this.events.push([id, a0, a1, a2]);
  }
}
