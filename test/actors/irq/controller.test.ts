// The interrupt controller's state machine alone: edge and level lines, masking, EOI, MSI
// decoding, and hostile numbers that must be counted, never thrown on.
import { describe, expect, it } from 'vitest';

import { IrqController, type LineConfig } from '../../../actors/irq/controller.js';
import { TRACE_EVENTS } from '../../../shared/trace/events.js';
import { FakeVcpu, TraceLog } from './fake-target.js';

function setup(lines: LineConfig[], vcpus = 2) {
  const cpus = Array.from({ length: vcpus }, () => new FakeVcpu());
  const trace = new TraceLog();
  const c = new IrqController(lines, cpus, trace);
  return { c, cpus, cpu: cpus[0]!, trace };
}

const EDGE: LineConfig = { trigger: 'edge', vcpu: 0, vector: 0x30 };
const LEVEL: LineConfig = { trigger: 'level', vcpu: 0, vector: 0x40 };

describe('edge lines', () => {
  it('deliver on every pulse; undelivered repeats coalesce', () => {
    const { c, cpu } = setup([EDGE]);
    c.pulse(0);
    c.pulse(0);
    expect(cpu.log).toEqual([0x30, 0x30]);
    expect(cpu.take()).toBe(0x30);
    c.pulse(0);
    expect(c.stats().lines[0]).toMatchObject({ pulses: 3, deliveries: 3 });
    expect(c.stats().coalesced).toBe(1);
  });

  it('latch pulses while masked and deliver once on unmask', () => {
    const { c, cpu } = setup([{ ...EDGE, masked: true }]);
    c.pulse(0);
    c.pulse(0);
    c.mask(0, true);
    expect(cpu.log).toEqual([]);
    expect(c.stats().lines[0]).toMatchObject({ latched: true, maskedLatched: 2, deliveries: 0 });
    c.mask(0, false);
    c.mask(0, false);
    expect(cpu.log).toEqual([0x30]);
    expect(c.stats().lines[0]).toMatchObject({ latched: false, deliveries: 1 });
  });

  it('treat a rising setLevel as a pulse and ignore a level held high', () => {
    const { c, cpu } = setup([EDGE]);
    c.setLevel(0, true);
    c.setLevel(0, true);
    c.setLevel(0, false);
    c.setLevel(0, true);
    expect(cpu.log).toEqual([0x30, 0x30]);
    expect(c.stats().lines[0]).toMatchObject({ assertions: 2, pulses: 0, deliveries: 2 });
  });
});

describe('level lines', () => {
  it('deliver once while asserted, again after each EOI while still high, not after lowering', () => {
    const { c, cpu } = setup([LEVEL]);
    c.setLevel(0, true);
    c.setLevel(0, true);
    expect(cpu.log).toEqual([0x40]);
    expect(c.stats().lines[0]).toMatchObject({ inService: true, assertions: 1 });
    cpu.take();
    c.eoi(0, 0x40);
    expect(cpu.log).toEqual([0x40, 0x40]);
    cpu.take();
    c.setLevel(0, false);
    c.eoi(0, 0x40);
    expect(cpu.log).toEqual([0x40, 0x40]);
    expect(c.stats().lines[0]).toMatchObject({ inService: false, level: false, deliveries: 2 });
    c.setLevel(0, true);
    expect(cpu.log).toEqual([0x40, 0x40, 0x40]);
    expect(c.stats().spuriousEois).toBe(0);
  });

  it('a line lowered and raised again before the EOI is delivered at the EOI', () => {
    const { c, cpu } = setup([LEVEL]);
    c.setLevel(0, true);
    cpu.take();
    c.setLevel(0, false);
    c.setLevel(0, true);
    expect(cpu.log).toEqual([0x40]);
    c.eoi(0, 0x40);
    expect(cpu.log).toEqual([0x40, 0x40]);
    expect(c.stats().lines[0]).toMatchObject({ assertions: 2, deliveries: 2 });
  });

  it('are re-evaluated on unmask, and an EOI while masked does not deliver', () => {
    const { c, cpu } = setup([{ ...LEVEL, masked: true }]);
    c.setLevel(0, true);
    expect(cpu.log).toEqual([]);
    expect(c.stats().lines[0]!.maskedLatched).toBe(1);
    c.mask(0, false);
    expect(cpu.log).toEqual([0x40]);
    cpu.take();
    c.mask(0, true);
    c.eoi(0, 0x40);
    expect(cpu.log).toEqual([0x40]);
    c.mask(0, false);
    expect(cpu.log).toEqual([0x40, 0x40]);
    // Unmasking a line that is low delivers nothing.
    cpu.take();
    c.setLevel(0, false);
    c.eoi(0, 0x40);
    c.mask(0, true);
    c.mask(0, false);
    expect(cpu.log).toEqual([0x40, 0x40]);
  });

  it('a pulse is a rise and a fall: delivered when possible, lost while masked', () => {
    const { c, cpu } = setup([LEVEL]);
    c.pulse(0);
    expect(cpu.log).toEqual([0x40]);
    cpu.take();
    c.eoi(0, 0x40);
    expect(cpu.log).toEqual([0x40]);
    c.mask(0, true);
    c.pulse(0);
    c.mask(0, false);
    expect(cpu.log).toEqual([0x40]);
    expect(c.stats().lines[0]).toMatchObject({ pulses: 2, assertions: 2, deliveries: 1, maskedLatched: 1, level: false });
  });

  it('lines sharing a vector are all re-evaluated by its EOI', () => {
    const { c, cpu } = setup([LEVEL, LEVEL, { ...LEVEL, vcpu: 1 }]);
    c.setLevel(0, true);
    c.setLevel(1, true);
    c.setLevel(2, true);
    expect(cpu.log).toEqual([0x40, 0x40]);
    expect(c.stats().coalesced).toBe(1);
    cpu.take();
    c.setLevel(0, false);
    c.eoi(0, 0x40);
    expect(cpu.log).toEqual([0x40, 0x40, 0x40]);
    expect(c.stats().lines.map((l) => l.inService)).toEqual([false, true, true]);
  });

  it('a doubled EOI is spurious but cannot wedge a line in service', () => {
    const { c, cpu } = setup([LEVEL]);
    c.setLevel(0, true);
    c.eoi(0, 0x40); // before taking: the guest lies; the line fires again (coalesced)
    c.eoi(0, 0x40);
    expect(c.stats().spuriousEois).toBe(1);
    expect(cpu.take()).toBe(0x40);
    c.eoi(0, 0x40);
    expect(c.stats().spuriousEois).toBe(2);
    // Still high, so delivered again: the line is not stuck in service.
    expect(cpu.take()).toBe(0x40);
    expect(c.stats().lines[0]!.deliveries).toBe(4);
  });
});

describe('MSIs', () => {
  it('decode the target vCPU from address bits 19:12 and the vector from data bits 7:0', () => {
    const { c, cpus, trace } = setup([], 3);
    c.msi(0xfee0_0000, 0x31);
    c.msi(0xfee0_2000, 0x4032); // delivery-mode bits are ignored
    c.msi(0x1_fee0_1ff0, 0xffff_ff80); // high address bits are ignored
    expect(cpus.map((x) => x.log)).toEqual([[0x31], [0x80], [0x32]]);
    expect(c.stats()).toMatchObject({ msis: 3, msiDeliveries: 3, invalidMsis: 0, unknownTargets: 0 });
    expect(trace.events.filter((e) => e[0] === TRACE_EVENTS.irq_msi)).toEqual([
      [TRACE_EVENTS.irq_msi, 0xfee0_0000, 0x31, 0],
      [TRACE_EVENTS.irq_msi, 0xfee0_2000, 0x4032, 2],
      [TRACE_EVENTS.irq_msi, 0x1_fee0_1ff0, 0xffff_ff80, 1],
    ]);
    expect(trace.events.filter((e) => e[0] === TRACE_EVENTS.irq_deliver)[0]).toEqual([TRACE_EVENTS.irq_deliver, 0, 0x31, -1]);
  });

  it('count vectors below 16, unknown vCPUs and unrepresentable numbers instead of delivering', () => {
    const { c, cpus } = setup([], 2);
    c.msi(0xfee0_0000, 0x0f);
    c.msi(0xfee0_0000, 0x100); // vector 0
    c.msi(0xfee0_2000, 0x30);
    c.msi(0xfeef_f000, 0x30);
    for (const [a, d] of [
      [NaN, 0x30],
      [-4096, 0x30],
      [2 ** 53, 0x30],
      [0.5, 0x30],
      [0xfee0_0000, -1],
      [0xfee0_0000, 2 ** 32],
      [0xfee0_0000, NaN],
    ] as const) {
      c.msi(a, d);
    }
    expect(cpus.map((x) => x.log)).toEqual([[], []]);
    expect(c.stats()).toMatchObject({ msis: 11, msiDeliveries: 0, invalidMsis: 9, unknownTargets: 2 });
  });
});

describe('EOIs and hostile numbers', () => {
  it('an EOI with nothing outstanding is spurious; one take of a coalesced vector needs one EOI', () => {
    const { c, cpu } = setup([EDGE]);
    c.eoi(0, 0x30);
    c.pulse(0);
    c.pulse(0);
    c.msi(0xfee0_0000, 0x30);
    expect(cpu.take()).toBe(0x30);
    c.eoi(0, 0x30);
    expect(c.stats()).toMatchObject({ eois: 2, spuriousEois: 1, coalesced: 2 });
    c.eoi(0, 0x30);
    for (const [vcpu, vector] of [
      [2, 0x30],
      [-1, 0x30],
      [0, 256],
      [0, -1],
      [0, 0.5],
      [NaN, 0x30],
      [0, Infinity],
    ] as const)
      c.eoi(vcpu, vector);
    expect(c.stats()).toMatchObject({ eois: 10, spuriousEois: 9 });
  });

  it('bad line numbers are counted and ignored, never thrown on', () => {
    const { c, cpu } = setup([EDGE, LEVEL]);
    for (const bad of [2, -1, 0.5, NaN, Infinity, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      expect(() => {
        c.pulse(bad);
        c.setLevel(bad, true);
        c.mask(bad, true);
      }).not.toThrow();
    }
    expect(cpu.log).toEqual([]);
    expect(c.stats().invalidLines).toBe(21);
    expect(c.stats().lines.map((l) => l.pulses + l.assertions)).toEqual([0, 0]);
  });

  it('a bad configuration (from the host) throws', () => {
    const target = [new FakeVcpu()];
    const bad: unknown[] = [
      { trigger: 'rising', vcpu: 0, vector: 0x30 },
      { trigger: 'edge', vcpu: 1, vector: 0x30 },
      { trigger: 'edge', vcpu: 0, vector: 15 },
      { trigger: 'edge', vcpu: 0, vector: 256 },
      { trigger: 'edge', vcpu: 0, vector: 0x30, masked: 1 },
      null,
    ];
    for (const line of bad) expect(() => new IrqController([line as LineConfig], target)).toThrow(/irq line 0/);
    expect(() => new IrqController('x' as unknown as LineConfig[], target)).toThrow(RangeError);
  });

  it('traces deliveries and EOIs', () => {
    const { c, cpu, trace } = setup([EDGE, LEVEL]);
    c.pulse(0);
    c.setLevel(1, true);
    cpu.take();
    c.eoi(0, 0x40);
    c.eoi(9, 0x40);
    expect(trace.events).toEqual([
      [TRACE_EVENTS.irq_deliver, 0, 0x30, 0],
      [TRACE_EVENTS.irq_deliver, 0, 0x40, 1],
      [TRACE_EVENTS.irq_deliver, 0, 0x40, 1],
      [TRACE_EVENTS.irq_eoi, 0, 0x40, 1],
      [TRACE_EVENTS.irq_eoi, 9, 0x40, -1],
    ]);
  });
});
