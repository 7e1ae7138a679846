// The interrupt routing state every interrupt source shares, in one SharedArrayBuffer: each
// line's route, trigger, mask and latch, the controller's counters, and per vCPU and vector the
// deliveries not yet EOI'd. As on x86, where an MSI is a write straight to the target CPU's local
// APIC and an edge line needs no round trip through the IOAPIC per interrupt once its
// redirection entry is set, a device delivers its MSIs and its edge lines' pulses here on its
// own thread; the interrupt controller actor keeps what needs one owner: level lines (their
// EOI re-evaluation), masking requests, and configuration. An EOI reaches the actor only for a
// vector that a level line is routed to (the IOAPIC's EOI broadcast). Every update is an atomic
// read-modify-write, so any number of sources and vCPUs use the table at once without a lock.
// Sources' numbers are hostile: a bad one is counted and ignored, never thrown on.
import {
  FIRST_VALID_VECTOR,
  INTERRUPT_TABLE_LINES_BASE,
  INTERRUPT_TABLE_LINE_WORDS,
  INTERRUPT_TABLE_MAGIC,
  INTERRUPT_TABLE_VECTORS,
  InterruptTableWord,
  LineState,
  LineWord,
} from '../../abi/generated/interrupt-table-layout.js';
import { TRACE_EVENTS } from '../trace/events.js';

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

export { FIRST_VALID_VECTOR };
export const MAX_LINES = 4096;
const VECTORS = INTERRUPT_TABLE_VECTORS;
/** Trace arg2: of irq_deliver, the line or TRACE_SOURCE_MSI; of irq_msi, the vCPU or one of these. */
export const TRACE_SOURCE_MSI = -1;
export const TRACE_MSI_INVALID = -1;
export const TRACE_MSI_UNKNOWN_TARGET = -2;

// The layout (table words, line words, state bits) is generated from abi/schema/layouts.ts: the
// engine delivers through the same words (native/src/core/interrupt_table.h).
const MAGIC = INTERRUPT_TABLE_MAGIC;
const LINES_BASE = INTERRUPT_TABLE_LINES_BASE;
const LINE_WORDS = INTERRUPT_TABLE_LINE_WORDS;
const MASKED = LineState.Masked;
const LATCHED = LineState.Latched;
const LEVEL = LineState.Level;
const IN_SERVICE = LineState.InService;

const EV_DELIVER = TRACE_EVENTS.irq_deliver;
const EV_MSI = TRACE_EVENTS.irq_msi;
const EV_EOI = TRACE_EVENTS.irq_eoi;

export interface LineStats {
  trigger: Trigger;
  vcpu: number;
  vector: number;
  masked: boolean;
  /** Level lines: the input is high. Edge lines: unused (false). */
  level: boolean;
  /** Edge lines: a pulse arrived while masked and waits for the unmask. */
  latched: boolean;
  /** Level lines: delivered and not yet EOI'd (x86's remote IRR). */
  inService: boolean;
  pulses: number;
  assertions: number;
  deliveries: number;
  maskedLatched: number;
}

/** Bits of a line's state word, for the snapshot codec (interrupt-table-snapshot.ts). */
export const LINE_STATE_BITS = Object.freeze({ masked: MASKED, latched: LATCHED, level: LEVEL, inService: IN_SERVICE });

/** The routing state a snapshot keeps: each line's state word, and the deliveries not yet EOI'd. */
export interface InterruptTableState {
  /** By line: LINE_STATE_BITS. */
  readonly lines: readonly number[];
  /** Only the non-zero entries, by vCPU then vector. */
  readonly outstanding: readonly { readonly vcpu: number; readonly vector: number; readonly count: number }[];
}

export interface TableCounters {
  msis: number;
  msiDeliveries: number;
  invalidMsis: number;
  unknownTargets: number;
  coalesced: number;
  eois: number;
  spuriousEois: number;
  invalidLines: number;
}

function checkLine(c: LineConfig, index: number, vcpus: number): void {
  const where = `irq line ${index}`;
  if (c === null || typeof c !== 'object') throw new TypeError(`${where}: not an object`);
  if (c.trigger !== 'edge' && c.trigger !== 'level') throw new TypeError(`${where}: trigger must be 'edge' or 'level'`);
  if (!Number.isInteger(c.vcpu) || c.vcpu < 0 || c.vcpu >= vcpus) throw new RangeError(`${where}: vcpu ${c.vcpu} is not one of the ${vcpus} vCPUs`);
  if (!Number.isInteger(c.vector) || c.vector < FIRST_VALID_VECTOR || c.vector > 255) {
    throw new RangeError(`${where}: vector must be an integer in [${FIRST_VALID_VECTOR}, 255], got ${c.vector}`);
  }
  if (c.masked !== undefined && typeof c.masked !== 'boolean') throw new TypeError(`${where}: masked must be a boolean`);
}

/** A table for `lines` and `vcpus` vCPUs, every line idle (throws on a bad configuration). */
export function createInterruptTable(lines: readonly LineConfig[], vcpus: number): SharedArrayBuffer {
  if (!Array.isArray(lines) || lines.length > MAX_LINES) throw new RangeError(`lines must be an array of at most ${MAX_LINES}`);
  if (!Number.isInteger(vcpus) || vcpus < 0 || vcpus > 255) throw new RangeError(`vcpus must be an integer in [0, 255], got ${vcpus}`);
  lines.forEach((c, i) => checkLine(c, i, vcpus));
  const sab = new SharedArrayBuffer((LINES_BASE + lines.length * LINE_WORDS + vcpus * VECTORS) * 4);
  const w = new Int32Array(sab);
  w[InterruptTableWord.Lines] = lines.length;
  w[InterruptTableWord.Vcpus] = vcpus;
  lines.forEach((c, i) => {
    const at = LINES_BASE + i * LINE_WORDS;
    w[at + LineWord.Route] = (c.vcpu << 8) | c.vector;
    w[at + LineWord.Trigger] = c.trigger === 'level' ? 1 : 0;
    w[at + LineWord.ConfiguredMask] = c.masked ? 1 : 0;
    w[at + LineWord.State] = c.masked ? MASKED : 0;
  });
  Atomics.store(w, InterruptTableWord.Magic, MAGIC);
  return sab;
}

/**
 * One thread's view of a table: the vCPUs it delivers to and where it traces. Sources (devices)
 * use pulseEdge() and msi(); vCPUs use eoi() for vectors with no level line; the interrupt
 * controller actor uses everything, level lines included.
 */
export class InterruptTable {
  readonly lineCount: number;
  readonly vcpuCount: number;
  private readonly w: Int32Array;
  private readonly outBase: number;

  constructor(
    readonly buffer: SharedArrayBuffer,
    /** Indexed by vCPU; null for a view that only EOIs (a vCPU's own). */
    private readonly targets: readonly IrqTarget[] | null,
    private readonly trace: IrqTraceSink | null = null,
  ) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < LINES_BASE * 4) throw new TypeError('an interrupt table is a SharedArrayBuffer');
    this.w = new Int32Array(buffer);
    if (Atomics.load(this.w, InterruptTableWord.Magic) !== MAGIC) throw new TypeError('not an interrupt table');
    this.lineCount = this.w[InterruptTableWord.Lines]!;
    this.vcpuCount = this.w[InterruptTableWord.Vcpus]!;
    this.outBase = LINES_BASE + this.lineCount * LINE_WORDS;
    if (buffer.byteLength !== (this.outBase + this.vcpuCount * VECTORS) * 4) throw new TypeError('interrupt table size does not match its header');
    if (targets !== null && targets.length !== this.vcpuCount) throw new RangeError(`the table routes to ${this.vcpuCount} vCPUs, ${targets.length} given`);
  }

  /** The line's first word, or -1 (counted) for a number that is not a line. */
  lineAt(line: number): number {
    if (Number.isInteger(line) && line >= 0 && line < this.lineCount) return LINES_BASE + line * LINE_WORDS;
    Atomics.add(this.w, InterruptTableWord.InvalidLines, 1);
    return -1;
  }

  isEdge(line: number): boolean {
    return Number.isInteger(line) && line >= 0 && line < this.lineCount && this.w[LINES_BASE + line * LINE_WORDS + LineWord.Trigger] === 0;
  }

  /** Whether a level line is routed to (vcpu, vector): its EOI must reach the controller. */
  hasLevelLineAt(vcpu: number, vector: number): boolean {
    const route = (vcpu << 8) | vector;
    for (let at = LINES_BASE; at < this.outBase; at += LINE_WORDS) {
      if (this.w[at + LineWord.Trigger] === 1 && this.w[at + LineWord.Route] === route) return true;
    }
    return false;
  }

  /** An edge line's pulse: delivered, or latched while the line is masked. Edge lines only. */
  pulseEdge(line: number): void {
    const at = this.lineAt(line);
    if (at < 0) return;
    Atomics.add(this.w, at + LineWord.Pulses, 1);
    this.fireEdge(at, line);
  }

  /** An edge: delivered unless masked, then latched (both atomically against a concurrent mask). */
  fireEdge(at: number, line: number): void {
    for (;;) {
      const s = Atomics.load(this.w, at + LineWord.State);
      if ((s & MASKED) === 0) break;
      if (Atomics.compareExchange(this.w, at + LineWord.State, s, s | LATCHED) === s) {
        Atomics.add(this.w, at + LineWord.MaskedLatched, 1);
        return;
      }
    }
    this.deliverLine(at, line);
  }

  /** Sets a line's mask; unmasking an edge line with a latched pulse delivers it. Returns the old state's masked bit. */
  setMask(at: number, line: number, masked: boolean): boolean {
    for (;;) {
      const s = Atomics.load(this.w, at + LineWord.State);
      const next = masked ? s | MASKED : s & ~(MASKED | LATCHED);
      if (Atomics.compareExchange(this.w, at + LineWord.State, s, next) !== s) continue;
      if (!masked && (s & LATCHED) !== 0) this.deliverLine(at, line);
      return (s & MASKED) !== 0;
    }
  }

  /** x86 MSI: vCPU = address bits 19:12, vector = data bits 7:0 (other bits are ignored). */
  msi(address: number, data: number): void {
    Atomics.add(this.w, InterruptTableWord.Msis, 1);
    if (!Number.isSafeInteger(address) || address < 0 || !Number.isInteger(data) || data < 0 || data > 0xffff_ffff) {
      Atomics.add(this.w, InterruptTableWord.InvalidMsis, 1);
      this.trace?.instant(EV_MSI, Number.isFinite(address) ? address : -1, Number.isFinite(data) ? data : -1, TRACE_MSI_INVALID);
      return;
    }
    const vcpu = (address >>> 12) & 0xff;
    const vector = data & 0xff;
    if (vector < FIRST_VALID_VECTOR) {
      Atomics.add(this.w, InterruptTableWord.InvalidMsis, 1);
      this.trace?.instant(EV_MSI, address, data, TRACE_MSI_INVALID);
      return;
    }
    if (vcpu >= this.vcpuCount) {
      Atomics.add(this.w, InterruptTableWord.UnknownTargets, 1);
      this.trace?.instant(EV_MSI, address, data, TRACE_MSI_UNKNOWN_TARGET);
      return;
    }
    this.trace?.instant(EV_MSI, address, data, vcpu);
    Atomics.add(this.w, InterruptTableWord.MsiDeliveries, 1);
    this.deliver(vcpu, vector, TRACE_SOURCE_MSI);
  }

  /**
   * The vCPU finished handling `vector`: one outstanding delivery fewer, or a spurious EOI.
   * Returns false for a vCPU or vector out of range (counted as spurious).
   */
  eoi(vcpu: number, vector: number): boolean {
    Atomics.add(this.w, InterruptTableWord.Eois, 1);
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= this.vcpuCount || !Number.isInteger(vector) || vector < 0 || vector >= VECTORS) {
      Atomics.add(this.w, InterruptTableWord.SpuriousEois, 1);
      this.trace?.instant(EV_EOI, Number.isFinite(vcpu) ? vcpu : -1, Number.isFinite(vector) ? vector : -1, -1);
      return false;
    }
    const at = this.outBase + vcpu * VECTORS + vector;
    for (;;) {
      const n = Atomics.load(this.w, at);
      if (n <= 0) {
        Atomics.add(this.w, InterruptTableWord.SpuriousEois, 1);
        break;
      }
      if (Atomics.compareExchange(this.w, at, n, n - 1) === n) break;
    }
    return true;
  }

  /** Traces an EOI with the number of level lines it delivered again. */
  traceEoi(vcpu: number, vector: number, redelivered: number): void {
    this.trace?.instant(EV_EOI, vcpu, vector, redelivered);
  }

  // ---------------------------------------------------------------- level lines: the actor's

  /** Sets a line's input; returns whether it rose. Counted as an assertion when it rises. */
  setInput(at: number, high: boolean): boolean {
    const s = this.update(at, (v) => (high ? v | LEVEL : v & ~LEVEL));
    if (((s & LEVEL) !== 0) === high || !high) return false;
    Atomics.add(this.w, at + LineWord.Assertions, 1);
    return true;
  }

  /** Counts a pulse on a level line (the actor's; edge pulses count themselves). */
  countPulse(at: number): void {
    Atomics.add(this.w, at + LineWord.Pulses, 1);
  }

  /** Delivers a level line that is high, unmasked and not in service; true if it did. */
  evaluateLevel(at: number, line: number): boolean {
    const due = (v: number) => (v & LEVEL) !== 0 && (v & MASKED) === 0 && (v & IN_SERVICE) === 0;
    const s = this.update(at, (v) => (due(v) ? v | IN_SERVICE : v));
    if (!due(s)) return false;
    this.deliverLine(at, line);
    return true;
  }

  /** A level line raised while masked. */
  countMaskedAssertion(at: number): void {
    Atomics.add(this.w, at + LineWord.MaskedLatched, 1);
  }

  isMasked(at: number): boolean {
    return (Atomics.load(this.w, at + LineWord.State) & MASKED) !== 0;
  }

  /** Level lines routed to (vcpu, vector) leave service; each still high is delivered again. */
  endService(vcpu: number, vector: number): number {
    const route = (vcpu << 8) | vector;
    let redelivered = 0;
    for (let line = 0, at = LINES_BASE; at < this.outBase; line++, at += LINE_WORDS) {
      if (this.w[at + LineWord.Trigger] !== 1 || this.w[at + LineWord.Route] !== route) continue;
      this.update(at, (v) => v & ~IN_SERVICE);
      if (this.evaluateLevel(at, line)) redelivered++;
    }
    return redelivered;
  }

  // ---------------------------------------------------------------- state and counters

  /** Every line back to its configured, idle state and every counter to zero (a system reset, sources quiet). */
  reset(): void {
    this.w.fill(0, InterruptTableWord.Msis, LINES_BASE);
    for (let at = LINES_BASE; at < this.outBase; at += LINE_WORDS) {
      Atomics.store(this.w, at + LineWord.State, this.w[at + LineWord.ConfiguredMask] ? MASKED : 0);
      this.w.fill(0, at + LineWord.Pulses, at + LineWord.MaskedLatched + 1);
    }
    this.w.fill(0, this.outBase);
  }

  /** The state a snapshot keeps (only while every source and vCPU is quiet: a paused VM). Counters are statistics, not state. */
  saveState(): InterruptTableState {
    const lines: number[] = [];
    for (let at = LINES_BASE; at < this.outBase; at += LINE_WORDS) lines.push(Atomics.load(this.w, at + LineWord.State));
    const outstanding: { vcpu: number; vector: number; count: number }[] = [];
    for (let vcpu = 0; vcpu < this.vcpuCount; vcpu++) {
      for (let vector = 0; vector < VECTORS; vector++) {
        const count = Atomics.load(this.w, this.outBase + vcpu * VECTORS + vector);
        if (count !== 0) outstanding.push({ vcpu, vector, count });
      }
    }
    return { lines, outstanding };
  }

  /** Takes a state interrupt-table-snapshot.ts checked against this table, before any source or vCPU uses it. */
  loadState(state: InterruptTableState): void {
    if (state.lines.length !== this.lineCount) throw new RangeError(`loadState: ${state.lines.length} lines for a table of ${this.lineCount}`);
    state.lines.forEach((s, line) => Atomics.store(this.w, LINES_BASE + line * LINE_WORDS + LineWord.State, s));
    this.w.fill(0, this.outBase);
    for (const o of state.outstanding) Atomics.store(this.w, this.outBase + o.vcpu * VECTORS + o.vector, o.count);
  }

  line(line: number): LineStats {
    const at = LINES_BASE + line * LINE_WORDS;
    const s = Atomics.load(this.w, at + LineWord.State);
    const route = this.w[at + LineWord.Route]!;
    return {
      trigger: this.w[at + LineWord.Trigger] === 1 ? 'level' : 'edge',
      vcpu: route >>> 8,
      vector: route & 0xff,
      masked: (s & MASKED) !== 0,
      level: (s & LEVEL) !== 0,
      latched: (s & LATCHED) !== 0,
      inService: (s & IN_SERVICE) !== 0,
      pulses: Atomics.load(this.w, at + LineWord.Pulses),
      assertions: Atomics.load(this.w, at + LineWord.Assertions),
      deliveries: Atomics.load(this.w, at + LineWord.Deliveries),
      maskedLatched: Atomics.load(this.w, at + LineWord.MaskedLatched),
    };
  }

  /** Deliveries to (vcpu, vector) that set its pending bit and have not been EOI'd yet. */
  outstanding(vcpu: number, vector: number): number {
    return Atomics.load(this.w, this.outBase + vcpu * VECTORS + vector);
  }

  counters(): TableCounters {
    const w = this.w;
    return {
      msis: Atomics.load(w, InterruptTableWord.Msis),
      msiDeliveries: Atomics.load(w, InterruptTableWord.MsiDeliveries),
      invalidMsis: Atomics.load(w, InterruptTableWord.InvalidMsis),
      unknownTargets: Atomics.load(w, InterruptTableWord.UnknownTargets),
      coalesced: Atomics.load(w, InterruptTableWord.Coalesced),
      eois: Atomics.load(w, InterruptTableWord.Eois),
      spuriousEois: Atomics.load(w, InterruptTableWord.SpuriousEois),
      invalidLines: Atomics.load(w, InterruptTableWord.InvalidLines),
    };
  }

  /** Applies `next` to a line's state word atomically; returns the state it replaced. */
  private update(at: number, next: (state: number) => number): number {
    for (;;) {
      const s = Atomics.load(this.w, at + LineWord.State);
      if (Atomics.compareExchange(this.w, at + LineWord.State, s, next(s)) === s) return s;
    }
  }

  private deliverLine(at: number, line: number): void {
    Atomics.add(this.w, at + LineWord.Deliveries, 1);
    const route = this.w[at + LineWord.Route]!;
    this.deliver(route >>> 8, route & 0xff, line);
  }

  private deliver(vcpu: number, vector: number, source: number): void {
    if (this.targets === null) throw new Error('this view of the interrupt table only takes EOIs');
    // Counted outstanding before the pending bit is set, so an EOI can never come first.
    const out = this.outBase + vcpu * VECTORS + vector;
    Atomics.add(this.w, out, 1);
    if (!this.targets[vcpu]!.deliver(vector)) {
      Atomics.sub(this.w, out, 1);
      Atomics.add(this.w, InterruptTableWord.Coalesced, 1);
    }
    this.trace?.instant(EV_DELIVER, vcpu, vector, source);
  }
}
