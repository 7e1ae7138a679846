// The interrupt controller's state machine, free of threads so it can be tested alone: lines
// (edge or level, maskable, each routed to one vCPU vector), x86-style MSIs, and EOIs.
// Guest- and device-supplied numbers are hostile: a bad one is counted and ignored, never
// thrown on, because a throw would crash the actor and with it the VM. Only the host-supplied
// configuration throws. Semantics: docs/interrupts.md.
import { TRACE_EVENTS } from '../../shared/trace/events.js';

export type Trigger = 'edge' | 'level';

export interface LineConfig {
  trigger: Trigger;
  vcpu: number;
  vector: number;
  masked?: boolean;
}

/** Where deliveries go (a VcpuIrqState); returns false when the vector was already pending. */
export interface IrqTarget {
  deliver(vector: number): boolean;
}

export interface IrqTraceSink {
  instant(id: number, a0?: number, a1?: number, a2?: number): void;
}

export interface LineStats {
  trigger: Trigger;
  vcpu: number;
  vector: number;
  masked: boolean;
  /** Level lines: the input is high. Edge lines: the last setLevel value. */
  level: boolean;
  /** Edge lines: a pulse arrived while masked and waits for the unmask. */
  latched: boolean;
  /** Level lines: delivered and not yet EOI'd (x86's remote IRR). */
  inService: boolean;
  pulses: number;
  /** Rising edges through setLevel. */
  assertions: number;
  deliveries: number;
  /** Pulses or assertions that arrived while the line was masked. */
  maskedLatched: number;
}

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

/** x86 reserves vectors 0..15 for exceptions: an interrupt there is invalid. */
export const FIRST_VALID_VECTOR = 16;
export const MAX_LINES = 4096;
/** Trace arg2: of irq_deliver, the line or TRACE_SOURCE_MSI; of irq_msi, the vCPU or one of these. */
export const TRACE_SOURCE_MSI = -1;
export const TRACE_MSI_INVALID = -1;
export const TRACE_MSI_UNKNOWN_TARGET = -2;

const EV_DELIVER = TRACE_EVENTS.irq_deliver;
const EV_MSI = TRACE_EVENTS.irq_msi;
const EV_EOI = TRACE_EVENTS.irq_eoi;

type Line = Omit<LineStats, 'trigger'> & { readonly trigger: Trigger; readonly index: number };

export class IrqController {
  private readonly lines: Line[];
  /** Per vCPU and vector: deliveries that set the pending bit and have not been EOI'd yet. */
  private readonly outstanding: Uint32Array[];
  /** vcpu * 256 + vector → the level lines routed there (EOI re-evaluates them). */
  private readonly levelLinesAt = new Map<number, Line[]>();
  private readonly counters = { msis: 0, msiDeliveries: 0, eois: 0, spuriousEois: 0, invalidMsis: 0, unknownTargets: 0, invalidLines: 0, coalesced: 0 };

  constructor(
    lines: readonly LineConfig[],
    private readonly targets: readonly IrqTarget[],
    private readonly trace: IrqTraceSink | null = null,
  ) {
    if (!Array.isArray(lines) || lines.length > MAX_LINES) throw new RangeError(`lines must be an array of at most ${MAX_LINES}`);
    this.lines = lines.map((c, index) => this.checkLine(c, index));
    this.outstanding = targets.map(() => new Uint32Array(256));
    for (const line of this.lines) {
      if (line.trigger !== 'level') continue;
      const key = line.vcpu * 256 + line.vector;
      const list = this.levelLinesAt.get(key) ?? [];
      list.push(line);
      this.levelLinesAt.set(key, list);
    }
  }

  get lineCount(): number {
    return this.lines.length;
  }

  get vcpuCount(): number {
    return this.targets.length;
  }

  /** An edge: delivers (or latches while masked). On a level line: asserted, then released. */
  pulse(line: number): void {
    const l = this.line(line);
    if (!l) return;
    l.pulses++;
    if (l.trigger === 'level') {
      this.raise(l, true);
      this.raise(l, false);
    } else {
      this.fireEdge(l);
    }
  }

  /** Sets a line's input level; a rising edge on an edge line acts as a pulse. */
  setLevel(line: number, high: boolean): void {
    const l = this.line(line);
    if (l) this.raise(l, high);
  }

  mask(line: number, masked: boolean): void {
    const l = this.line(line);
    if (!l) return;
    const unmasking = l.masked && !masked;
    l.masked = masked;
    if (!unmasking) return;
    if (l.trigger === 'edge') {
      if (l.latched) {
        l.latched = false;
        this.deliverLine(l);
      }
    } else {
      this.evaluateLevel(l);
    }
  }

  /** x86 MSI: vCPU = address bits 19:12, vector = data bits 7:0 (other bits are ignored). */
  msi(address: number, data: number): void {
    const c = this.counters;
    c.msis++;
    if (!Number.isSafeInteger(address) || address < 0 || !Number.isInteger(data) || data < 0 || data > 0xffff_ffff) {
      c.invalidMsis++;
      this.trace?.instant(EV_MSI, Number.isFinite(address) ? address : -1, Number.isFinite(data) ? data : -1, TRACE_MSI_INVALID);
      return;
    }
    const vcpu = (address >>> 12) & 0xff;
    const vector = data & 0xff;
    if (vector < FIRST_VALID_VECTOR) {
      c.invalidMsis++;
      this.trace?.instant(EV_MSI, address, data, TRACE_MSI_INVALID);
      return;
    }
    if (vcpu >= this.targets.length) {
      c.unknownTargets++;
      this.trace?.instant(EV_MSI, address, data, TRACE_MSI_UNKNOWN_TARGET);
      return;
    }
    this.trace?.instant(EV_MSI, address, data, vcpu);
    c.msiDeliveries++;
    this.deliver(vcpu, vector, TRACE_SOURCE_MSI);
  }

  /** The vCPU finished handling `vector`: a still-asserted level line routed there fires again. */
  eoi(vcpu: number, vector: number): void {
    const c = this.counters;
    c.eois++;
    const out = Number.isInteger(vector) && vector >= 0 && vector < 256 && Number.isInteger(vcpu) ? this.outstanding[vcpu] : undefined;
    if (!out) {
      c.spuriousEois++;
      this.trace?.instant(EV_EOI, Number.isFinite(vcpu) ? vcpu : -1, Number.isFinite(vector) ? vector : -1, -1);
      return;
    }
    if (out[vector]! > 0) out[vector]!--;
    else c.spuriousEois++;
    // Clear remote IRR whatever the count says, as an IOAPIC does: a guest that EOIs twice must
    // not leave a level line stuck in service.
    let redelivered = 0;
    for (const l of this.levelLinesAt.get(vcpu * 256 + vector) ?? []) {
      l.inService = false;
      if (this.evaluateLevel(l)) redelivered++;
    }
    this.trace?.instant(EV_EOI, vcpu, vector, redelivered);
  }

  stats(): IrqStats {
    return {
      ...this.counters,
      lines: this.lines.map(({ index: _index, ...s }) => ({ ...s })),
    };
  }

  private line(line: number): Line | undefined {
    const l = Number.isInteger(line) && line >= 0 ? this.lines[line] : undefined;
    if (!l) this.counters.invalidLines++;
    return l;
  }

  private raise(l: Line, high: boolean): void {
    if (l.level === high) return;
    l.level = high;
    if (!high) return; // lowering never delivers; an in-service level line waits for its EOI
    l.assertions++;
    if (l.trigger === 'edge') this.fireEdge(l);
    else if (l.masked) l.maskedLatched++;
    else this.evaluateLevel(l);
  }

  private fireEdge(l: Line): void {
    if (l.masked) {
      l.latched = true;
      l.maskedLatched++;
    } else {
      this.deliverLine(l);
    }
  }

  /** Delivers a level line that is high, unmasked and not in service; true if it did. */
  private evaluateLevel(l: Line): boolean {
    if (!l.level || l.masked || l.inService) return false;
    l.inService = true;
    this.deliverLine(l);
    return true;
  }

  private deliverLine(l: Line): void {
    l.deliveries++;
    this.deliver(l.vcpu, l.vector, l.index);
  }

  private deliver(vcpu: number, vector: number, source: number): void {
    if (this.targets[vcpu]!.deliver(vector)) this.outstanding[vcpu]![vector]!++;
    else this.counters.coalesced++;
    this.trace?.instant(EV_DELIVER, vcpu, vector, source);
  }

  private checkLine(c: LineConfig, index: number): Line {
    const where = `irq line ${index}`;
    if (c === null || typeof c !== 'object') throw new TypeError(`${where}: not an object`);
    if (c.trigger !== 'edge' && c.trigger !== 'level') throw new TypeError(`${where}: trigger must be 'edge' or 'level'`);
    if (!Number.isInteger(c.vcpu) || c.vcpu < 0 || c.vcpu >= this.targets.length) {
      throw new RangeError(`${where}: vcpu ${c.vcpu} is not one of the ${this.targets.length} vCPUs`);
    }
    if (!Number.isInteger(c.vector) || c.vector < FIRST_VALID_VECTOR || c.vector > 255) {
      throw new RangeError(`${where}: vector must be an integer in [${FIRST_VALID_VECTOR}, 255], got ${c.vector}`);
    }
    if (c.masked !== undefined && typeof c.masked !== 'boolean') throw new TypeError(`${where}: masked must be a boolean`);
    return {
      index,
      trigger: c.trigger,
      vcpu: c.vcpu,
      vector: c.vector,
      masked: c.masked ?? false,
      level: false,
      latched: false,
      inService: false,
      pulses: 0,
      assertions: 0,
      deliveries: 0,
      maskedLatched: 0,
    };
  }
}
