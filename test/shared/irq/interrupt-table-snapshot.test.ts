// The interrupt table's snapshot codec: a table driven by random pulses, masks, level inputs,
// takes and EOIs, saved and loaded into a table built from the same configuration, continues
// exactly as the original; hostile bytes are refused with StateFormatError naming the part.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { createInterruptTable, InterruptTable, type LineConfig } from '../../../shared/irq/interrupt-table.js';
import { decodeInterruptTableState, loadInterruptTable, saveInterruptTable } from '../../../shared/irq/interrupt-table-snapshot.js';
import { createVcpuIrqBuffer, VcpuIrqState } from '../../../shared/irq/vcpu-irq.js';
import { StateFormatError } from '../../../shared/snapshot/state-bytes.js';

const LINES: LineConfig[] = [
  { trigger: 'edge', vcpu: 0, vector: 0x30 },
  { trigger: 'edge', vcpu: 1, vector: 0x31, masked: true },
  { trigger: 'level', vcpu: 0, vector: 0x40 },
  { trigger: 'level', vcpu: 1, vector: 0x41 },
];

interface Machine {
  table: InterruptTable;
  vcpus: VcpuIrqState[];
  buffers: SharedArrayBuffer[];
}
function machine(): Machine {
  const buffers = [createVcpuIrqBuffer(), createVcpuIrqBuffer()];
  const vcpus = buffers.map((b) => new VcpuIrqState(b));
  return { table: new InterruptTable(createInterruptTable(LINES, 2), vcpus), vcpus, buffers };
}

const step = fc.oneof(
  fc.record({ kind: fc.constant('pulse' as const), line: fc.nat(1) }),
  fc.record({ kind: fc.constant('mask' as const), line: fc.nat(3), masked: fc.boolean() }),
  fc.record({ kind: fc.constant('level' as const), line: fc.integer({ min: 2, max: 3 }), high: fc.boolean() }),
  fc.record({ kind: fc.constant('take' as const), vcpu: fc.nat(1) }),
  fc.record({ kind: fc.constant('eoi' as const), vcpu: fc.nat(1), vector: fc.constantFrom(0x30, 0x31, 0x40, 0x41) }),
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** One step as the sources, the controller and the vCPUs make it; returns what they see. */
function apply(m: Machine, s: Step): unknown {
  const t = m.table;
  switch (s.kind) {
    case 'pulse':
      return t.pulseEdge(s.line);
    case 'mask': {
      const r = t.setMask(t.lineAt(s.line), s.line, s.masked);
      if (!s.masked && !t.isEdge(s.line)) t.evaluateLevel(t.lineAt(s.line), s.line);
      return r;
    }
    case 'level': {
      const rose = t.setInput(t.lineAt(s.line), s.high);
      return [rose, s.high && t.evaluateLevel(t.lineAt(s.line), s.line)];
    }
    case 'take':
      return m.vcpus[s.vcpu]!.takeHighest();
    case 'eoi': {
      const ok = t.eoi(s.vcpu, s.vector);
      return [ok, t.hasLevelLineAt(s.vcpu, s.vector) ? t.endService(s.vcpu, s.vector) : 0];
    }
  }
}

describe('interrupt table snapshot', () => {
  it('a restored table continues exactly as the original (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 50 }), fc.array(step, { maxLength: 30 }), (before, after) => {
        const a = machine();
        for (const s of before) apply(a, s);
        const b = machine();
        loadInterruptTable(b.table, saveInterruptTable(a.table));
        // The vCPUs' own interrupt state (pending vectors) travels with each vCPU; copied here.
        a.buffers.forEach((buf, i) => new Int32Array(b.buffers[i]!).set(new Int32Array(buf)));
        expect(b.table.saveState()).toEqual(a.table.saveState());
        for (const s of after) expect(apply(b, s)).toEqual(apply(a, s));
        expect(b.table.saveState()).toEqual(a.table.saveState());
        expect(b.vcpus.map((v) => v.pendingVectors())).toEqual(a.vcpus.map((v) => v.pendingVectors()));
      }),
      { numRuns: 300 },
    );
  });

  const a = machine();
  a.table.pulseEdge(0);
  a.table.pulseEdge(1); // latched: masked
  a.table.setInput(a.table.lineAt(2), true);
  a.table.evaluateLevel(a.table.lineAt(2), 2);
  const good = saveInterruptTable(a.table);
  const word = (i: number, v: number): Uint8Array => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(4 * i, v, true);
    return b;
  };
  function refusal(bytes: Uint8Array): StateFormatError {
    try {
      decodeInterruptTableState(bytes, machine().table);
    } catch (e) {
      if (e instanceof StateFormatError) return e;
      throw e;
    }
    throw new Error('accepted');
  }

  it('refuses what the machine cannot have, naming the part', () => {
    // Words: magic, version, lines (4), 4 line states, vCPUs, entries, then entries of 3.
    expect(refusal(word(0, 0)).reason).toMatch(/magic/);
    expect(refusal(word(1, 2)).reason).toMatch(/version 2/);
    expect(refusal(word(2, 5)).part).toBe('interrupt table: lines');
    expect(refusal(word(3, 0x10)).part).toBe('interrupt table: line 0');
    expect(refusal(word(3, 4)).reason).toMatch(/edge line with a level/);
    expect(refusal(word(5, 2)).reason).toMatch(/level line with a latched/);
    expect(refusal(word(7, 3)).reason).toMatch(/vCPUs, the machine has 2/);
    expect(refusal(word(8, 100000)).reason).toMatch(/at most|truncated/);
    expect(refusal(word(9, 2)).reason).toMatch(/does not exist/);
    expect(refusal(word(10, 3)).reason).toMatch(/does not exist/);
    expect(refusal(word(11, 0)).reason).toMatch(/outstanding/);
    expect(refusal(word(13, 0x20)).reason).toMatch(/out of order/); // the second entry before the first
    expect(refusal(Uint8Array.from([...good, 1, 2, 3, 4])).part).toBe('interrupt table: end');
    for (let n = 0; n < good.length; n++) expect(refusal(good.subarray(0, n))).toBeInstanceOf(StateFormatError);
  });

  it('random corruption: refused with StateFormatError, or a state the table can hold (fast-check)', () => {
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bad = good.slice();
        bad[at]! ^= x;
        const m = machine();
        try {
          loadInterruptTable(m.table, bad);
          expect(saveInterruptTable(m.table)).toEqual(bad);
        } catch (e) {
          expect(e).toBeInstanceOf(StateFormatError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
