// The vCPU's MMIO decoder: window configuration errors, BAR moves, decode boundaries and
// counters, and decode against a linear-scan reference over random windows and accesses.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { MMIO_ADDRESS_LIMIT, MmioBus, MmioBusConfigError, type MmioWindow } from '../../../actors/vcpu/mmio-bus.js';

const MAX = Number.MAX_SAFE_INTEGER;

function vmapple(): MmioBus<string> {
  const bus = new MmioBus<string>();
  bus.addWindow({ name: 'gfx', base: 0x30200000, size: 0x4000, target: 'gfx-regs' });
  bus.addWindow({ name: 'iosfc', base: 0x30210000, size: 0x10000, target: 'iosfc-regs' });
  return bus;
}

const at = (r: ReturnType<MmioBus<string>['decode']>) => (r.ok ? [r.window.name, r.offset] : r.reason);

describe('MmioBus: windows', () => {
  it('refuses overlap naming both windows, and bad sizes and bases', () => {
    const bus = vmapple();
    expect(() => bus.addWindow({ name: 'x', base: 0x30203000, size: 0x2000, target: '' })).toThrow(
      /"x" \[0x30203000, 0x30205000\) overlaps window "gfx" \[0x30200000, 0x30204000\)/,
    );
    expect(() => bus.addWindow({ name: 'x', base: 0x30100000, size: 0x200000, target: '' })).toThrow(/overlaps window "gfx"/);
    expect(() => bus.addWindow({ name: 'gfx', base: 0, size: 1, target: '' })).toThrow(/already exists/);
    expect(() => bus.addWindow({ name: '', base: 0, size: 1, target: '' })).toThrow(MmioBusConfigError);
    for (const size of [0, -1, 1.5, Number.NaN, 2 ** 53]) expect(() => bus.addWindow({ name: 'x', base: 0, size, target: '' })).toThrow(MmioBusConfigError);
    for (const base of [-1, 0.5, MAX + 1, Number.NaN]) expect(() => bus.addWindow({ name: 'x', base, size: 1, target: '' })).toThrow(MmioBusConfigError);
    expect(() => bus.addWindow({ name: 'x', base: MAX, size: 2, target: '' })).toThrow(/past 2\^53/);
    bus.addWindow({ name: 'top', base: MAX, size: 1, target: '' }); // ends exactly at 2^53
    bus.addWindow({ name: 'adjacent', base: 0x30204000, size: 0x1000, target: '' }); // touching is fine
    expect(bus.windows().map((w) => w.name)).toEqual(['gfx', 'adjacent', 'iosfc', 'top']);
  });

  it('moves a window like a PCI BAR, refusing overlap with an error value and changing nothing', () => {
    const bus = vmapple();
    bus.addWindow({ name: 'bar0', base: null, size: 0x4000, target: 'pci' });
    expect(at(bus.decode(0xfebf0000, 4, 'read'))).toBe('unassigned');
    expect(bus.moveWindow('bar0', 0xfebf0000).ok).toBe(true);
    expect(at(bus.decode(0xfebf0010, 4, 'read'))).toEqual(['bar0', 0x10]);
    const clash = bus.moveWindow('bar0', 0x30202000);
    expect(clash.ok).toBe(false);
    if (!clash.ok) {
      expect(clash.error.code).toBe('overlap');
      expect(clash.error.message).toMatch(/"bar0".*0x30202000.*"gfx"/);
    }
    expect(bus.window('bar0')!.base).toBe(0xfebf0000); // unchanged
    expect(bus.moveWindow('bar0', 0xfebf2000).ok).toBe(true); // overlapping its own old place is fine
    expect(at(bus.decode(0xfebf0010, 4, 'read'))).toBe('unassigned');
    expect(bus.moveWindow('bar0', null).ok).toBe(true);
    expect(at(bus.decode(0xfebf2010, 4, 'read'))).toBe('unassigned');
    expect(bus.moveWindow('nope', 0).ok).toBe(false);
    for (const base of [-1, 1.5, MAX]) {
      const r = bus.moveWindow('bar0', base);
      expect(!r.ok && r.error.code).toBe('bad-base');
    }
    expect(bus.window('bar0')!.base).toBeNull();
  });
});

describe('MmioBus: decode', () => {
  it('counts a miss only when asked to (a caller that retries counts its final attempt)', () => {
    const bus = new MmioBus<string>();
    bus.addWindow({ name: 'a', base: 0x1000, size: 0x1000, target: 'A' });
    expect(bus.decode(0x5000, 4, 'read', false)).toMatchObject({ ok: false, reason: 'unassigned' });
    expect(bus.decode(0x5000, 4, 'write', false)).toMatchObject({ ok: false, reason: 'unassigned' });
    expect(bus.stats()).toMatchObject({ unassignedReads: 0, unassignedWrites: 0 });
    expect(bus.decode(0x5000, 4, 'read')).toMatchObject({ ok: false, reason: 'unassigned' });
    expect(bus.stats()).toMatchObject({ unassignedReads: 1, unassignedWrites: 0 });
  });

  it('decodes the first and last bytes of a window and refuses straddling accesses', () => {
    const bus = vmapple();
    expect(at(bus.decode(0x30200000, 4, 'read'))).toEqual(['gfx', 0]);
    expect(at(bus.decode(0x30203ff8, 8, 'read'))).toEqual(['gfx', 0x3ff8]);
    expect(at(bus.decode(0x30203fff, 1, 'write'))).toEqual(['gfx', 0x3fff]);
    expect(at(bus.decode(0x30203ffe, 4, 'read'))).toBe('bad-access'); // runs past the end
    expect(at(bus.decode(0x30204000, 4, 'read'))).toBe('unassigned'); // the gap
    expect(at(bus.decode(0x301ffffe, 4, 'write'))).toBe('unassigned'); // starts before: first byte decides
    expect(at(bus.decode(0x3021fffc, 4, 'read'))).toEqual(['iosfc', 0xfffc]);
    expect(at(bus.decode(0x30210000n, 2, 'read'))).toEqual(['iosfc', 0]);
    expect(bus.stats()).toEqual({ unassignedReads: 1, unassignedWrites: 1, badAccesses: 1 });
  });

  it('counts bad sizes and inexact addresses as bad accesses, and far bigint addresses as unassigned', () => {
    const bus = vmapple();
    for (const size of [0, 3, 16, 1.5, Number.NaN]) expect(at(bus.decode(0x30200000, size, 'read'))).toBe('bad-access');
    for (const addr of [-1, 0.5, MAX + 1, 2 ** 64, Number.NaN, -1n]) expect(at(bus.decode(addr, 4, 'read'))).toBe('bad-access');
    expect(at(bus.decode(0x30200000, 4, 'exec' as 'read'))).toBe('bad-access');
    expect(at(bus.decode(2n ** 64n - 4n, 4, 'read'))).toBe('unassigned');
    expect(at(bus.decode(BigInt(MMIO_ADDRESS_LIMIT), 4, 'write'))).toBe('unassigned');
    expect(bus.stats()).toEqual({ unassignedReads: 1, unassignedWrites: 1, badAccesses: 12 });
  });

  it('decodes the last byte below 2^53', () => {
    const bus = new MmioBus<null>();
    bus.addWindow({ name: 'top', base: MAX - 7, size: 8, target: null });
    const r = bus.decode(MAX - 7, 8, 'read');
    expect(r.ok && r.offset).toBe(0);
    expect(bus.decode(MAX, 1, 'read').ok).toBe(true);
    expect(bus.decode(MAX, 2, 'read')).toEqual({ ok: false, reason: 'bad-access' });
  });
});

describe('MmioBus against a linear reference', () => {
  function reference(ws: MmioWindow<number>[], addr: number, size: number): [string, number] | 'unassigned' | 'bad-access' {
    const w = ws.find((x) => x.base !== null && x.base <= addr && addr < x.base + x.size);
    if (!w) return 'unassigned';
    return addr - w.base! + size > w.size ? 'bad-access' : [w.name, addr - w.base!];
  }

  it('agrees with a scan of every window under random layouts, moves and accesses', () => {
    const win = fc.record({ base: fc.option(fc.integer({ min: 0, max: 0x400 }), { freq: 6 }), size: fc.integer({ min: 1, max: 0x60 }) });
    const step = fc.oneof(
      fc.record({ move: fc.nat(), to: fc.option(fc.integer({ min: 0, max: 0x400 })) }),
      fc.record({ addr: fc.integer({ min: 0, max: 0x480 }), size: fc.constantFrom(1, 2, 4, 8), write: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(win, { maxLength: 12 }), fc.array(step, { maxLength: 200, size: 'max' }), (wins, steps) => {
        const bus = new MmioBus<number>();
        wins.forEach((w, i) => {
          try {
            bus.addWindow({ name: `w${i}`, base: w.base, size: w.size, target: i });
          } catch (e) {
            expect(e).toBeInstanceOf(MmioBusConfigError); // overlapped an earlier one
          }
        });
        let unassigned = 0;
        let bad = 0;
        for (const s of steps) {
          const all = bus.windows();
          if ('move' in s) {
            if (all.length === 0) continue;
            const w = all[s.move % all.length]!;
            const clash = s.to !== null && all.some((o) => o !== w && o.base !== null && o.base < s.to! + w.size && s.to! < o.base + o.size);
            expect(bus.moveWindow(w.name, s.to).ok).toBe(!clash);
            expect(bus.window(w.name)!.base).toBe(clash ? w.base : s.to);
          } else {
            const want = reference(all, s.addr, s.size);
            const got = bus.decode(s.addr, s.size, s.write ? 'write' : 'read');
            expect(got.ok ? [got.window.name, got.offset] : got.reason).toEqual(want);
            if (want === 'unassigned') unassigned++;
            if (want === 'bad-access') bad++;
          }
        }
        const st = bus.stats();
        expect(st.unassignedReads + st.unassignedWrites).toBe(unassigned);
        expect(st.badAccesses).toBe(bad);
        const mapped = bus.windows().filter((w) => w.base !== null);
        for (let i = 1; i < mapped.length; i++) expect(mapped[i]!.base).toBeGreaterThanOrEqual(mapped[i - 1]!.base! + mapped[i - 1]!.size);
      }),
      { numRuns: 300 },
    );
  });
});
