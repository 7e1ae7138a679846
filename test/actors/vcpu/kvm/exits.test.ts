// The KVM exit kinds (generated from abi/schema/kvm-exits.ts with the addon's) each have their
// name in the stats, at their value, and the counter files an unknown kind under 'other'.
import { describe, expect, it } from 'vitest';

import { EXIT_INFO_LENGTH, EXIT_NAMES, ExitCounter, ExitInfo, ExitKind } from '../../../../actors/vcpu/kvm/exits.js';

describe('KVM exits', () => {
  it('every exit kind has a name at its value, and only those', () => {
    const values = Object.values(ExitKind);
    expect(EXIT_NAMES.length).toBe(Math.max(...values) + 1);
    for (const v of values) expect(EXIT_NAMES[v], `kind ${v}`).not.toBe('');
    expect(EXIT_NAMES[ExitKind.Halt]).toBe('hlt');
    expect(EXIT_NAMES[ExitKind.Other]).toBe('other');
  });

  it('the exit info has one slot per field, kind first', () => {
    expect(ExitInfo.Kind).toBe(0);
    expect(Object.values(ExitInfo).sort((a, b) => a - b)).toEqual(Array.from({ length: EXIT_INFO_LENGTH }, (_, i) => i));
  });

  it('counts each kind under its name, and a kind it does not know as other', () => {
    const c = new ExitCounter();
    c.count(ExitKind.MmioRead);
    c.count(ExitKind.MmioRead);
    c.count(ExitKind.Halt);
    c.count(99);
    const s = c.stats();
    expect(s.total).toBe(4);
    expect([s.byKind['mmio-read'], s.byKind['hlt'], s.byKind['other']]).toEqual([2, 1, 1]);
  });
});
