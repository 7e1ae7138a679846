// Property test: random configurations and random streams of pulses, level changes, masks, MSIs,
// EOIs (honest and bogus) and vCPU takes, against a plain model written from docs/interrupts.md.
// The controller drives real VcpuIrqState targets; after every step the pending vectors must
// match the model, and at the end so must every counter. Invariants checked besides: nothing
// delivered is lost (merged, taken or still pending), a masked line never delivers, and a level
// line never delivers twice without an EOI for its vector in between.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { IrqController, type IrqStats, type LineConfig } from '../../../actors/irq/controller.js';
import { VcpuIrqState, createVcpuIrqBuffer } from '../../../shared/irq/vcpu-irq.js';

type Op =
  | { op: 'pulse'; line: number }
  | { op: 'level'; line: number; high: boolean }
  | { op: 'mask'; line: number; masked: boolean }
  | { op: 'msi'; address: number; data: number }
  | { op: 'eoi'; vcpu: number; vector: number }
  | { op: 'take'; vcpu: number; eoi: boolean };

interface ModelLine {
  cfg: LineConfig;
  masked: boolean;
  high: boolean;
  latched: boolean;
  remoteIrr: boolean;
  pulses: number;
  assertions: number;
  deliveries: number;
  maskedLatched: number;
}

class Model {
  readonly lines: ModelLine[];
  readonly pending: Set<number>[];
  readonly outstanding = new Map<string, number>();
  readonly c = { msis: 0, msiDeliveries: 0, eois: 0, spuriousEois: 0, invalidMsis: 0, unknownTargets: 0, invalidLines: 0, coalesced: 0 };

  constructor(cfgs: LineConfig[], vcpus: number) {
    this.lines = cfgs.map((cfg) => ({
      cfg,
      masked: cfg.masked ?? false,
      high: false,
      latched: false,
      remoteIrr: false,
      pulses: 0,
      assertions: 0,
      deliveries: 0,
      maskedLatched: 0,
    }));
    this.pending = Array.from({ length: vcpus }, () => new Set<number>());
  }

  apply(o: Op): number | undefined {
    switch (o.op) {
      case 'pulse': {
        const l = this.line(o.line);
        if (!l) return;
        l.pulses++;
        if (l.cfg.trigger === 'edge') this.edge(l);
        else {
          this.level(l, true);
          this.level(l, false);
        }
        return;
      }
      case 'level': {
        const l = this.line(o.line);
        if (l) this.level(l, o.high);
        return;
      }
      case 'mask': {
        const l = this.line(o.line);
        if (!l) return;
        const unmasked = l.masked && !o.masked;
        l.masked = o.masked;
        if (unmasked && l.cfg.trigger === 'edge' && l.latched) {
          l.latched = false;
          this.fire(l);
        }
        if (unmasked && l.cfg.trigger === 'level' && l.high && !l.remoteIrr) {
          l.remoteIrr = true;
          this.fire(l);
        }
        return;
      }
      case 'msi': {
        this.c.msis++;
        const vcpu = Math.floor(o.address / 4096) % 256;
        const vector = o.data % 256;
        if (!Number.isSafeInteger(o.address) || vector < 16) this.c.invalidMsis++;
        else if (vcpu >= this.pending.length) this.c.unknownTargets++;
        else {
          this.c.msiDeliveries++;
          this.send(vcpu, vector);
        }
        return;
      }
      case 'eoi':
        this.eoi(o.vcpu, o.vector);
        return;
      case 'take': {
        const set = this.pending[o.vcpu]!;
        if (set.size === 0) return -1;
        const v = Math.max(...set);
        set.delete(v);
        if (o.eoi) this.eoi(o.vcpu, v);
        return v;
      }
    }
  }

  private line(i: number): ModelLine | undefined {
    const l = Number.isInteger(i) && i >= 0 && i < this.lines.length ? this.lines[i] : undefined;
    if (!l) this.c.invalidLines++;
    return l;
  }

  private edge(l: ModelLine): void {
    if (l.masked) {
      l.latched = true;
      l.maskedLatched++;
    } else this.fire(l);
  }

  private level(l: ModelLine, high: boolean): void {
    if (l.high === high) return;
    l.high = high;
    if (!high) return;
    l.assertions++;
    if (l.cfg.trigger === 'edge') this.edge(l);
    else if (l.masked) l.maskedLatched++;
    else if (!l.remoteIrr) {
      l.remoteIrr = true;
      this.fire(l);
    }
  }

  private eoi(vcpu: number, vector: number): void {
    this.c.eois++;
    if (!(vcpu >= 0 && vcpu < this.pending.length && vector >= 0 && vector < 256)) {
      this.c.spuriousEois++;
      return;
    }
    const key = `${vcpu}:${vector}`;
    const n = this.outstanding.get(key) ?? 0;
    if (n > 0) this.outstanding.set(key, n - 1);
    else this.c.spuriousEois++;
    for (const l of this.lines) {
      if (l.cfg.trigger !== 'level' || l.cfg.vcpu !== vcpu || l.cfg.vector !== vector) continue;
      l.remoteIrr = false;
      if (l.high && !l.masked) {
        l.remoteIrr = true;
        this.fire(l);
      }
    }
  }

  private fire(l: ModelLine): void {
    l.deliveries++;
    this.send(l.cfg.vcpu, l.cfg.vector);
  }

  private send(vcpu: number, vector: number): void {
    if (this.pending[vcpu]!.has(vector)) {
      this.c.coalesced++;
      return;
    }
    this.pending[vcpu]!.add(vector);
    const key = `${vcpu}:${vector}`;
    this.outstanding.set(key, (this.outstanding.get(key) ?? 0) + 1);
  }
}

const VECTORS = [0x30, 0x31, 0x40, 0xff];

const scenarioArb = fc
  .record({
    vcpus: fc.integer({ min: 1, max: 3 }),
    lines: fc.array(
      fc.record({
        trigger: fc.constantFrom('edge' as const, 'level' as const),
        vcpu: fc.nat(),
        vector: fc.constantFrom(...VECTORS),
        masked: fc.boolean(),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  })
  .chain(({ vcpus, lines }) => {
    const cfgs: LineConfig[] = lines.map((l) => ({ ...l, vcpu: l.vcpu % vcpus }));
    const line = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: cfgs.length - 1 }) },
      { weight: 1, arbitrary: fc.constantFrom(-1, cfgs.length, 2 ** 32 - 1, 0.5) },
    );
    const vcpu = fc.integer({ min: 0, max: vcpus - 1 });
    const vector = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...VECTORS) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 300 }) });
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 3, arbitrary: line.map((l) => ({ op: 'pulse' as const, line: l })) },
      { weight: 4, arbitrary: fc.tuple(line, fc.boolean()).map(([l, high]) => ({ op: 'level' as const, line: l, high })) },
      { weight: 2, arbitrary: fc.tuple(line, fc.boolean()).map(([l, masked]) => ({ op: 'mask' as const, line: l, masked })) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            fc.integer({ min: 0, max: vcpus }),
            vector.map((v) => (v >= 0 ? v : 5)),
            fc.nat({ max: 0xffff }),
            fc.constantFrom(0, 0xfee0_0000, 2 ** 40, 2 ** 53),
          )
          .map(([cpu, v, high, base]) => ({ op: 'msi' as const, address: base + cpu * 4096, data: (high * 256 + (v % 256)) >>> 0 })),
      },
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: -1, max: vcpus }), vector).map(([c, v]) => ({ op: 'eoi' as const, vcpu: c, vector: v })) },
      { weight: 6, arbitrary: fc.tuple(vcpu, fc.boolean()).map(([c, eoi]) => ({ op: 'take' as const, vcpu: c, eoi })) },
    );
    return fc.record({ vcpus: fc.constant(vcpus), cfgs: fc.constant(cfgs), ops: fc.array(op, { maxLength: 120 }) });
  });

function deliveredTotal(s: IrqStats): number {
  return s.lines.reduce((n, l) => n + l.deliveries, 0) + s.msiDeliveries;
}

describe('interrupt controller against a model', () => {
  it('agrees step by step on pending vectors and at the end on every counter', () => {
    fc.assert(
      fc.property(scenarioArb, ({ vcpus, cfgs, ops }) => {
        const states = Array.from({ length: vcpus }, () => new VcpuIrqState(createVcpuIrqBuffer()));
        const c = new IrqController(cfgs, states);
        const model = new Model(cfgs, vcpus);
        let takes = 0;
        /** Level lines delivered since the last EOI of their (vCPU, vector). */
        const sinceEoi = cfgs.map(() => 0);
        for (const o of ops) {
          const before = c.stats();
          let real: number | undefined;
          if (o.op === 'take') {
            real = states[o.vcpu]!.takeHighest();
            if (real >= 0) takes++;
            if (o.eoi && real >= 0) c.eoi(o.vcpu, real);
          } else if (o.op === 'pulse') c.pulse(o.line);
          else if (o.op === 'level') c.setLevel(o.line, o.high);
          else if (o.op === 'mask') c.mask(o.line, o.masked);
          else if (o.op === 'msi') c.msi(o.address, o.data);
          else c.eoi(o.vcpu, o.vector);
          const expected = model.apply(o);
          if (o.op === 'take') expect(real).toBe(expected);
          for (let v = 0; v < vcpus; v++) expect(states[v]!.pendingVectors()).toEqual([...model.pending[v]!].sort((a, b) => b - a));

          const after = c.stats();
          const eoiOf = o.op === 'eoi' ? o : o.op === 'take' && o.eoi && real! >= 0 ? { vcpu: o.vcpu, vector: real! } : null;
          after.lines.forEach((l, i) => {
            const delivered = l.deliveries - before.lines[i]!.deliveries;
            const unmaskedNow = o.op === 'mask' && o.line === i && !o.masked;
            if (before.lines[i]!.masked && !unmaskedNow) expect(delivered).toBe(0);
            if (l.trigger !== 'level') return;
            if (eoiOf && eoiOf.vcpu === l.vcpu && eoiOf.vector === l.vector) sinceEoi[i] = 0;
            sinceEoi[i]! += delivered;
            expect(sinceEoi[i]).toBeLessThanOrEqual(1);
          });
        }
        const s = c.stats();
        const stillPending = states.reduce((n, st) => n + st.pendingVectors().length, 0);
        expect(deliveredTotal(s)).toBe(s.coalesced + takes + stillPending);
        const { lines, ...counters } = s;
        expect(counters).toEqual(model.c);
        expect(lines).toEqual(
          model.lines.map((l) => ({
            trigger: l.cfg.trigger,
            vcpu: l.cfg.vcpu,
            vector: l.cfg.vector,
            masked: l.masked,
            level: l.high,
            latched: l.latched,
            inService: l.remoteIrr,
            pulses: l.pulses,
            assertions: l.assertions,
            deliveries: l.deliveries,
            maskedLatched: l.maskedLatched,
          })),
        );
      }),
      { numRuns: 500 },
    );
  });
});
