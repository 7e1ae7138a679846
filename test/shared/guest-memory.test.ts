// Guest memory: layout and configuration errors, every translation error at its boundaries,
// property tests against a BigInt reference model, and a worker thread sharing the bytes.
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import fc from 'fast-check';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  DEFAULT_MAX_TOTAL_BYTES,
  GUEST_PAGE_SIZE,
  type GuestAccess,
  GuestMemory,
  GuestMemoryAccessError,
  GuestMemoryConfigError,
  type GuestMemoryConfig,
  GuestMemoryErrno,
  type GuestMemoryErrorCode,
  type GuestRegion,
  type GuestRegionConfig,
  attachGuestMemory,
  createGuestMemory,
  formatGuestValue,
  guestMemoryErrorCode,
} from '../../shared/guest-memory/index.js';
import { native } from '../../shared/native/addon.js';

const PAGE = GUEST_PAGE_SIZE;
const MAX = Number.MAX_SAFE_INTEGER; // 2^53 - 1
const TWO53 = 2 ** 53;
/** The highest page-aligned region end: 2^53 - 4096. */
const TOP_END = Math.floor(MAX / PAGE) * PAGE;

// A small machine: RAM, a ROM right after it (adjacent), a hole, and a region at the very top.
const RAM = { name: 'ram', base: 0, size: 0x10000 };
const ROM = { name: 'rom', base: 0x10000, size: 0x1000, readOnly: true };
const TOP = { name: 'top', base: TOP_END - 2 * PAGE, size: 2 * PAGE };
function machine(): GuestMemory {
  // Deliberately not in guest order: SAB order follows the configuration.
  return createGuestMemory({ regions: [TOP, RAM, ROM] });
}

function codeOf(mem: GuestMemory, gpa: unknown, length: unknown, ...rest: [access?: unknown]): GuestMemoryErrorCode | 'ok' {
  const access = rest.length === 0 ? 'read' : rest[0];
  const t = mem.translate(gpa as number, length as number, access as GuestAccess);
  const o = mem.translateOffset(gpa as number, length as number, access as GuestAccess);
  // The two entry points always agree.
  if (t.ok) expect(o).toBe(t.offset);
  else expect(o).toBe(GuestMemoryErrno[t.error.code]);
  return t.ok ? 'ok' : t.error.code;
}

/** Byte-for-byte equality without vitest's (slow, for large arrays) deep diff. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

function configError(config: unknown): GuestMemoryConfigError {
  try {
    createGuestMemory(config as GuestMemoryConfig);
  } catch (e) {
    expect(e).toBeInstanceOf(GuestMemoryConfigError);
    return e as GuestMemoryConfigError;
  }
  throw new Error('expected a GuestMemoryConfigError');
}

describe('layout', () => {
  it('places regions in configuration order at page-aligned SAB offsets', () => {
    const mem = createGuestMemory({
      regions: [
        { name: 'a', base: 0x100000, size: 3 * PAGE },
        { name: 'b', base: 0, size: PAGE, readOnly: true },
        { name: 'c', base: 0x4000, size: 5 * PAGE },
      ],
    });
    expect(mem.regions.map((r) => [r.name, r.offset, r.readOnly])).toEqual([
      ['a', 0, false],
      ['b', 3 * PAGE, true],
      ['c', 4 * PAGE, false],
    ]);
    for (const r of mem.regions) expect(r.offset % PAGE).toBe(0);
    expect(mem.sab).toBeInstanceOf(SharedArrayBuffer);
    expect(mem.sab.byteLength).toBe(9 * PAGE);
    expect(mem.bytes.buffer).toBe(mem.sab);
  });

  it('accepts adjacent regions and bigint bases/sizes up to 2^53-1', () => {
    const mem = createGuestMemory({
      regions: [
        { name: 'lo', base: 0n, size: BigInt(PAGE) },
        { name: 'hi', base: BigInt(PAGE), size: PAGE },
        { name: 'top', base: BigInt(TOP_END - PAGE), size: BigInt(PAGE) },
      ],
    });
    expect(mem.regions.map((r) => r.base)).toEqual([0, PAGE, TOP_END - PAGE]);
  });

  it('describe() is structured-clonable and attach rebuilds the same map', () => {
    const mem = machine();
    const d = structuredClone(mem.describe()); // the SAB's memory is shared, not copied
    const other = attachGuestMemory(d.sab, d.regions);
    other.write(0x20, Uint8Array.of(7, 8, 9));
    expect([...mem.view(0x20, 3, 'read')]).toEqual([7, 8, 9]);
    for (const gpa of [0, 0xffff, 0x10000, 0x11000, TOP.base, TOP_END - 1, TOP_END]) {
      expect(other.translateOffset(gpa, 1, 'write')).toBe(mem.translateOffset(gpa, 1, 'write'));
    }
  });
});

describe('configuration errors name the field', () => {
  const ok: GuestRegionConfig = { name: 'ram', base: 0, size: PAGE };
  const cases: [string, unknown, string][] = [
    ['config not an object', null, 'config'],
    ['regions not an array', { regions: 'ram' }, 'regions'],
    ['no regions', { regions: [] }, 'regions'],
    ['region not an object', { regions: [ok, 5] }, 'regions[1]'],
    ['empty name', { regions: [{ ...ok, name: '' }] }, 'regions[0].name'],
    ['name not a string', { regions: [{ ...ok, name: 3 }] }, 'regions[0].name'],
    ['duplicate name', { regions: [ok, { ...ok, base: 0x10000 }] }, 'regions[1].name'],
    ['misaligned base', { regions: [{ ...ok, base: 0x800 }] }, 'regions[0].base'],
    ['negative base', { regions: [{ ...ok, base: -PAGE }] }, 'regions[0].base'],
    ['fractional base', { regions: [{ ...ok, base: 0.5 }] }, 'regions[0].base'],
    ['NaN base', { regions: [{ ...ok, base: NaN }] }, 'regions[0].base'],
    ['string base', { regions: [{ ...ok, base: '0' }] }, 'regions[0].base'],
    ['unsafe base', { regions: [{ ...ok, base: 2 ** 60 }] }, 'regions[0].base'],
    ['bigint base above 2^53-1', { regions: [{ ...ok, base: 2n ** 64n - 4096n }] }, 'regions[0].base'],
    ['zero size', { regions: [{ ...ok, size: 0 }] }, 'regions[0].size'],
    ['misaligned size', { regions: [{ ...ok, size: PAGE + 1 }] }, 'regions[0].size'],
    ['end above 2^53-1', { regions: [{ ...ok, base: TOP_END, size: PAGE }] }, 'regions[0].size'],
    ['readOnly not boolean', { regions: [{ ...ok, readOnly: 'yes' }] }, 'regions[0].readOnly'],
    [
      'overlap',
      {
        regions: [
          { name: 'a', base: 0, size: 2 * PAGE },
          { name: 'b', base: PAGE, size: PAGE },
        ],
      },
      'regions[1].base',
    ],
    [
      'overlap, listed first',
      {
        regions: [
          { name: 'b', base: PAGE, size: PAGE },
          { name: 'a', base: 0, size: 2 * PAGE },
        ],
      },
      'regions[0].base',
    ],
    ['bad maxTotalBytes', { regions: [ok], maxTotalBytes: 0 }, 'maxTotalBytes'],
    ['fractional maxTotalBytes', { regions: [ok], maxTotalBytes: 1.5 }, 'maxTotalBytes'],
    ['total above maxTotalBytes', { regions: [ok, { name: 'b', base: PAGE, size: PAGE }], maxTotalBytes: PAGE }, 'regions[1].size'],
  ];
  it.each(cases)('%s', (_label, config, field) => {
    const e = configError(config);
    expect(e.field).toBe(field);
    expect(e.message.startsWith(`${field}: `)).toBe(true);
  });

  it('the default bound is 4 GiB', () => {
    expect(DEFAULT_MAX_TOTAL_BYTES).toBe(4 * 2 ** 30);
    const e = configError({ regions: [{ name: 'big', base: 0, size: DEFAULT_MAX_TOTAL_BYTES + PAGE }] });
    expect(e.field).toBe('regions[0].size');
  });

  it('attach validates the descriptor against its SAB', () => {
    const mem = machine();
    const regions = mem.describe().regions;
    const bad = (sab: unknown, rs: unknown) => {
      try {
        attachGuestMemory(sab as SharedArrayBuffer, rs as GuestRegion[]);
      } catch (e) {
        expect(e).toBeInstanceOf(GuestMemoryConfigError);
        return (e as GuestMemoryConfigError).field;
      }
      return 'accepted';
    };
    expect(bad(new ArrayBuffer(PAGE), regions)).toBe('sab');
    expect(
      bad(
        mem.sab,
        regions.map((r, i) => (i === 1 ? { ...r, offset: r.offset + 1 } : r)),
      ),
    ).toBe('regions[1].offset');
    expect(
      bad(
        mem.sab,
        regions.map((r, i) => (i === 0 ? { ...r, offset: mem.sab.byteLength } : r)),
      ),
    ).toBe('regions[0].offset');
    expect(
      bad(
        mem.sab,
        regions.map((r) => ({ ...r, offset: 0 })),
      ),
    ).toMatch(/^regions\[\d\]\.offset$/);
    expect(
      bad(
        mem.sab,
        regions.map((r) => ({ ...r })),
      ),
    ).toBe('accepted');
    expect(() => new GuestMemory(mem.sab, [{ name: 'x', base: 0, size: PAGE, offset: 1.5, readOnly: false }])).toThrow(GuestMemoryConfigError);
    expect(() => new GuestMemory(mem.sab, [{ name: 'x', base: 0, size: PAGE, offset: -4096, readOnly: false }])).toThrow(GuestMemoryConfigError);
  });

  it('lays regions out on host page boundaries when asked (KVM memory slots need them)', () => {
    for (let i = 0; i < 8; i++) {
      const mem = createGuestMemory(
        {
          regions: [
            { name: 'ram', base: 0x4000_0000, size: 4 * PAGE },
            { name: 'rom', base: 0x10_0000, size: PAGE, readOnly: true },
          ],
        },
        { hostPageOffset: (bytes) => native.pageOffsetOf(bytes) },
      );
      for (const r of mem.regions) expect(native.pageOffsetOf(new Uint8Array(mem.sab, r.offset, 1))).toBe(0);
      // The same bytes through translate and through a fresh attach on the descriptor.
      mem.write(0x4000_0010, Uint8Array.of(1, 2, 3));
      const again = attachGuestMemory(mem.sab, mem.describe().regions);
      expect(Array.from(again.view(0x4000_0010, 3, 'read'))).toEqual([1, 2, 3]);
      expect(new Uint8Array(mem.sab)[mem.regions[0]!.offset + 0x10]).toBe(1);
    }
  });
});

describe('translate', () => {
  const mem = machine();
  const ramOffset = mem.regions.find((r) => r.name === 'ram')!.offset;
  const romOffset = mem.regions.find((r) => r.name === 'rom')!.offset;
  const topOffset = mem.regions.find((r) => r.name === 'top')!.offset;

  it('returns the SAB offset and region for a range inside one region', () => {
    const t = mem.translate(0x123, 0x10, 'write');
    expect(t).toEqual({ ok: true, offset: ramOffset + 0x123, region: mem.regions.find((r) => r.name === 'ram') });
    expect(mem.translateOffset(0x10000, 0x1000, 'read')).toBe(romOffset);
    expect(mem.translateOffset(TOP.base, TOP.size, 'write')).toBe(topOffset);
  });

  it('region boundaries: last byte, one past, whole region, spanning adjacent regions', () => {
    expect(codeOf(mem, 0, RAM.size)).toBe('ok');
    expect(codeOf(mem, 0xffff, 1, 'write')).toBe('ok');
    expect(mem.translateOffset(0xffff, 1, 'write')).toBe(ramOffset + 0xffff);
    // One past RAM's end is ROM's first byte: readable, not writable.
    expect(codeOf(mem, 0x10000, 1, 'read')).toBe('ok');
    expect(codeOf(mem, 0x10000, 1, 'write')).toBe('read-only');
    // A range spanning RAM and the adjacent ROM is refused, whatever the access.
    expect(codeOf(mem, 0xffff, 2, 'read')).toBe('crosses-region');
    expect(codeOf(mem, 0, RAM.size + 1, 'read')).toBe('crosses-region');
    // ROM's last byte, one past (a hole), a range running into the hole.
    expect(codeOf(mem, 0x10fff, 1)).toBe('ok');
    expect(codeOf(mem, 0x11000, 1)).toBe('unmapped');
    expect(codeOf(mem, 0x10fff, 2)).toBe('crosses-region');
    // The top region ends at 2^53 - 4096.
    expect(codeOf(mem, TOP_END - 1, 1, 'write')).toBe('ok');
    expect(codeOf(mem, TOP_END, 1)).toBe('unmapped');
    expect(codeOf(mem, TOP.base - 1, 1)).toBe('unmapped');
    expect(codeOf(mem, TOP.base - 1, 2)).toBe('unmapped'); // starts in a hole: unmapped, not crosses
  });

  it('zero-length: allowed, checked like a one-byte access at gpa', () => {
    expect(mem.translateOffset(0, 0, 'read')).toBe(ramOffset);
    expect(mem.translateOffset(0xffff, 0, 'write')).toBe(ramOffset + 0xffff);
    // At RAM's end a zero-length access belongs to the adjacent ROM, never to "one past RAM".
    const t = mem.translate(0x10000, 0, 'read');
    expect(t.ok && t.region.name).toBe('rom');
    expect(codeOf(mem, 0x10000, 0, 'write')).toBe('read-only');
    // At ROM's end (a hole) and at the top region's end: unmapped.
    expect(codeOf(mem, 0x11000, 0)).toBe('unmapped');
    expect(codeOf(mem, TOP_END, 0)).toBe('unmapped');
    expect(codeOf(mem, MAX, 0)).toBe('unmapped'); // 2^53-1 + 0 does not overflow
    expect(codeOf(mem, 0x12345000, 0n)).toBe('unmapped');
  });

  it('not-integer: NaN, ±Infinity, fractions, non-numbers', () => {
    for (const bad of [NaN, Infinity, -Infinity, 0.5, 1 + 2 ** -30, '16', null, undefined, {}]) {
      expect(codeOf(mem, bad, 1)).toBe('not-integer');
      expect(codeOf(mem, 0, bad)).toBe('not-integer');
    }
    const hostile = {
      toString: () => {
        throw new Error('boom');
      },
    };
    const h = mem.translate(hostile as unknown as number, 1, 'read');
    expect(!h.ok && h.error.message).toBe('gpa [object] is not an integer');
    const t = mem.translate(0x10, 2.5, 'read');
    expect(!t.ok && t.error.message).toMatch(/length 2\.5 is not an integer \(gpa 0x10\)/);
  });

  it('negative addresses and lengths', () => {
    expect(codeOf(mem, -1, 1)).toBe('negative-address');
    expect(codeOf(mem, -1n, 1)).toBe('negative-address');
    expect(codeOf(mem, -(2 ** 60), 1)).toBe('negative-address');
    expect(codeOf(mem, 0, -1)).toBe('negative-length');
    expect(codeOf(mem, 0, -1n)).toBe('negative-length');
    expect(mem.translateOffset(-0, 1, 'read')).toBe(ramOffset); // -0 is 0
    const t = mem.translate(-16, 1, 'read');
    expect(!t.ok && t.error.message).toContain('-0x10');
  });

  it('numbers above 2^53-1 are refused, never rounded', () => {
    expect(codeOf(mem, TWO53, 1)).toBe('unsafe-address');
    expect(codeOf(mem, TWO53 + 2, 0)).toBe('unsafe-address');
    expect(codeOf(mem, 2 ** 64, 1)).toBe('unsafe-address'); // what a u64 0xffff_ffff_ffff_ffff rounds to
    expect(codeOf(mem, 0, TWO53)).toBe('unsafe-length');
    const t = mem.translate(TWO53, 1, 'read');
    expect(!t.ok && t.error.message).toContain('0x20000000000000');
  });

  it('bigint inputs: accepted up to 2^53-1, a distinct error above', () => {
    expect(mem.translateOffset(0x20n, 4n, 'write')).toBe(ramOffset + 0x20);
    expect(mem.translateOffset(0x20n, 4, 'write')).toBe(ramOffset + 0x20);
    expect(mem.translateOffset(BigInt(TOP_END - 1), 1n, 'read')).toBe(topOffset + TOP.size - 1);
    expect(codeOf(mem, BigInt(MAX), 0)).toBe('unmapped');
    expect(codeOf(mem, 2n ** 53n, 1)).toBe('bigint-out-of-range');
    expect(codeOf(mem, 2n ** 64n - 1n, 1)).toBe('bigint-out-of-range');
    expect(codeOf(mem, 2n ** 64n - 1n, 0)).toBe('bigint-out-of-range');
    expect(codeOf(mem, 0, 2n ** 53n)).toBe('bigint-out-of-range');
    const t = mem.translate(2n ** 64n - 1n, 1, 'read');
    expect(!t.ok && t.error.message).toContain('0xffffffffffffffff');
  });

  it('overflow: gpa + length above 2^53-1', () => {
    expect(codeOf(mem, MAX, 1)).toBe('overflow');
    expect(codeOf(mem, TOP_END - 1, MAX)).toBe('overflow');
    expect(codeOf(mem, 1, MAX)).toBe('overflow');
    expect(codeOf(mem, 0, MAX)).toBe('crosses-region'); // exactly 2^53-1: no overflow, too long for RAM
    expect(codeOf(mem, TOP_END - 1, MAX - (TOP_END - 1))).toBe('crosses-region');
    expect(codeOf(mem, BigInt(TOP_END - 1), 2n ** 52n)).toBe('overflow');
  });

  it('read-only is enforced for writes of any length', () => {
    expect(codeOf(mem, 0x10800, 4, 'read')).toBe('ok');
    expect(codeOf(mem, 0x10800, 4, 'write')).toBe('read-only');
    const t = mem.translate(0x10800, 4, 'write');
    expect(!t.ok && t.error).toMatchObject({ code: 'read-only', region: 'rom', gpa: 0x10800, length: 4, access: 'write' });
    expect(!t.ok && t.error.message).toContain('0x10800');
  });

  it('bad access kinds are refused', () => {
    expect(codeOf(mem, 0, 1, 'execute')).toBe('bad-access');
    expect(codeOf(mem, 0, 1, undefined)).toBe('bad-access');
  });

  it('error messages carry the address in hex and errors are structured-clonable', () => {
    const t = mem.translate(0x11000, 8, 'read');
    expect(t.ok).toBe(false);
    if (t.ok) return;
    expect(t.error.message).toBe('read of 0x8 bytes at gpa 0x11000: gpa is not in guest memory');
    expect(structuredClone(t.error)).toEqual(t.error);
    const c = mem.translate(0xfff0, 0x20, 'read');
    expect(!c.ok && c.error).toMatchObject({ code: 'crosses-region', region: 'ram' });
    expect(!c.ok && c.error.message).toContain('[0x0, 0x10000)');
  });

  it('the errno table: negative, distinct, and round-trips', () => {
    const entries = Object.entries(GuestMemoryErrno) as [GuestMemoryErrorCode, number][];
    expect(entries).toHaveLength(11);
    expect(new Set(entries.map(([, n]) => n)).size).toBe(entries.length);
    for (const [code, n] of entries) {
      expect(n).toBeLessThan(0);
      expect(guestMemoryErrorCode(n)).toBe(code);
    }
    expect(guestMemoryErrorCode(0)).toBeUndefined();
    expect(Object.isFrozen(GuestMemoryErrno)).toBe(true);
  });
});

describe('read / write / view', () => {
  it('round-trips bytes and aliases the SAB', () => {
    const mem = machine();
    mem.write(0xfffc, Uint8Array.of(1, 2, 3, 4));
    const dst = new Uint8Array(4);
    mem.read(0xfffcn, dst);
    expect([...dst]).toEqual([1, 2, 3, 4]);
    const ram = mem.regions.find((r) => r.name === 'ram')!;
    expect([...mem.bytes.subarray(ram.offset + 0xfffc, ram.offset + 0x10000)]).toEqual([1, 2, 3, 4]);
    const v = mem.view(0xfffc, 4, 'write');
    v[0] = 42;
    expect(mem.view(0xfffc, 1, 'read')[0]).toBe(42);
    expect(mem.view(0x11000 - 1, 0, 'read')).toHaveLength(0);
    mem.read(0x0, new Uint8Array(0));
  });

  it('throws GuestMemoryAccessError and touches nothing on a refused access', () => {
    const mem = machine();
    const before = mem.bytes.slice();
    const attempt = (f: () => void): GuestMemoryAccessError => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(GuestMemoryAccessError);
        return e as GuestMemoryAccessError;
      }
      throw new Error('expected a GuestMemoryAccessError');
    };
    expect(attempt(() => mem.write(0x10000, Uint8Array.of(1))).code).toBe('read-only');
    expect(attempt(() => mem.write(0xffff, Uint8Array.of(1, 2))).code).toBe('crosses-region');
    expect(attempt(() => mem.read(0x11000, new Uint8Array(1))).code).toBe('unmapped');
    expect(attempt(() => mem.view(2n ** 64n - 1n, 1, 'read')).code).toBe('bigint-out-of-range');
    const e = attempt(() => mem.view(0.5, 1, 'read'));
    expect(e.detail.code).toBe('not-integer');
    expect(e.message).toBe(e.detail.message);
    expect(sameBytes(mem.bytes, before)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests against a deliberately simple reference: BigInt arithmetic and a linear scan.

type RefResult = { ok: true; offset: bigint; region: string } | { ok: false; code: GuestMemoryErrorCode };
const BIG_MAX = 2n ** 53n - 1n;

function refInteger(v: unknown, what: 'address' | 'length'): bigint | GuestMemoryErrorCode {
  const negative = what === 'address' ? 'negative-address' : 'negative-length';
  if (typeof v === 'bigint') return v < 0n ? negative : v > BIG_MAX ? 'bigint-out-of-range' : v;
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.trunc(v) !== v) return 'not-integer';
  if (v < 0) return negative;
  const b = BigInt(v);
  return b > BIG_MAX ? (what === 'address' ? 'unsafe-address' : 'unsafe-length') : b;
}

function reference(regions: readonly GuestRegion[], gpa: unknown, length: unknown, access: unknown): RefResult {
  if (access !== 'read' && access !== 'write') return { ok: false, code: 'bad-access' };
  const g = refInteger(gpa, 'address');
  if (typeof g === 'string') return { ok: false, code: g };
  const l = refInteger(length, 'length');
  if (typeof l === 'string') return { ok: false, code: l };
  if (g + l > BIG_MAX) return { ok: false, code: 'overflow' };
  const r = regions.find((r) => BigInt(r.base) <= g && g < BigInt(r.base) + BigInt(r.size));
  if (!r) return { ok: false, code: 'unmapped' };
  if (g + l > BigInt(r.base) + BigInt(r.size)) return { ok: false, code: 'crosses-region' };
  if (access === 'write' && r.readOnly) return { ok: false, code: 'read-only' };
  return { ok: true, offset: BigInt(r.offset) + g - BigInt(r.base), region: r.name };
}

const MAX_PAGE = Math.floor(MAX / PAGE); // the page index of the highest possible region end

interface Layout {
  config: GuestRegionConfig[];
  /** Interesting guest addresses: every region's base and end. */
  edges: number[];
}

const layoutArb: fc.Arbitrary<Layout> = fc
  .record({
    start: fc.oneof(fc.constant('zero' as const), fc.constant('top' as const), fc.integer({ min: 0, max: MAX_PAGE })),
    parts: fc.array(
      fc.record({
        gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 })),
        pages: fc.integer({ min: 1, max: 4 }),
        readOnly: fc.boolean(),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    order: fc.array(fc.integer(), { minLength: 5, maxLength: 5 }),
  })
  .map(({ start, parts, order }) => {
    const span = parts.reduce((n, p) => n + p.gap + p.pages, 0);
    let page = start === 'zero' ? 0 : start === 'top' ? MAX_PAGE - span : Math.min(start, MAX_PAGE - span);
    const config: GuestRegionConfig[] = [];
    const edges: number[] = [];
    parts.forEach((p, i) => {
      page += p.gap;
      config.push({ name: `r${i}`, base: page * PAGE, size: p.pages * PAGE, readOnly: p.readOnly });
      edges.push(page * PAGE, (page + p.pages) * PAGE);
      page += p.pages;
    });
    // Configure in a shuffled order so SAB order differs from guest order.
    const shuffled = config
      .map((c, i) => [order[i]!, c] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, c]) => c);
    return { config: shuffled, edges };
  });

type LengthSpec = { kind: 'abs'; value: unknown } | { kind: 'to-end'; delta: number } | { kind: 'to-max'; delta: number };

interface Access {
  gpa: unknown;
  length: LengthSpec;
  access: unknown;
  gpaBigint: boolean;
  lengthBigint: boolean;
}

const SPECIAL_VALUES: unknown[] = [
  0,
  1,
  -1,
  -0,
  0.5,
  NaN,
  Infinity,
  -Infinity,
  MAX,
  MAX - 1,
  TWO53,
  TWO53 + 2,
  2 ** 64,
  -(2 ** 53),
  0n,
  -1n,
  BIG_MAX,
  2n ** 53n,
  2n ** 64n - 1n,
  2n ** 64n,
  '0',
  null,
];

function accessArb(layout: Layout): fc.Arbitrary<Access> {
  const gpa = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...layout.edges), fc.integer({ min: -2, max: 2 })).map(([e, d]) => e + d) },
    { weight: 2, arbitrary: fc.constantFrom(...layout.edges).chain((e) => fc.integer({ min: Math.max(0, e - 5 * PAGE), max: e })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: MAX }) },
    { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_VALUES) },
  );
  const length: fc.Arbitrary<LengthSpec> = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 3 }).map((value) => ({ kind: 'abs' as const, value })) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 6 * PAGE }).map((value) => ({ kind: 'abs' as const, value })) },
    { weight: 4, arbitrary: fc.integer({ min: -2, max: 2 }).map((delta) => ({ kind: 'to-end' as const, delta })) },
    { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }).map((delta) => ({ kind: 'to-max' as const, delta })) },
    { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_VALUES).map((value) => ({ kind: 'abs' as const, value })) },
  );
  return fc.record({
    gpa,
    length,
    access: fc.oneof({ weight: 10, arbitrary: fc.constantFrom('read', 'write') }, { weight: 1, arbitrary: fc.constant('exec') }),
    gpaBigint: fc.boolean(),
    lengthBigint: fc.boolean(),
  });
}

/** Turns a generated access into concrete inputs (lengths relative to the next edge or to 2^53-1). */
function concrete(layout: Layout, a: Access): { gpa: unknown; length: unknown } {
  const isSafe = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  let length: unknown;
  if (a.length.kind === 'abs') length = a.length.value;
  else if (!isSafe(a.gpa)) length = 1;
  else if (a.length.kind === 'to-max') length = MAX - a.gpa + a.length.delta;
  else {
    const g = a.gpa;
    const next = layout.edges.filter((e) => e >= g).sort((x, y) => x - y)[0] ?? g;
    length = next - g + a.length.delta;
  }
  const big = (v: unknown, yes: boolean) => (yes && typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v);
  return { gpa: big(a.gpa, a.gpaBigint), length: big(length, a.lengthBigint) };
}

describe('translate against the reference model (fast-check)', () => {
  it('translate and translateOffset agree with BigInt arithmetic over the region list', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(
        layoutArb.chain((layout) => fc.tuple(fc.constant(layout), fc.array(accessArb(layout), { minLength: 1, maxLength: 40 }))),
        ([layout, accesses]) => {
          const mem = createGuestMemory({ regions: layout.config });
          const attached = attachGuestMemory(mem.sab, structuredClone(mem.describe().regions));
          for (const r of mem.regions) expect(r.offset % PAGE).toBe(0);
          for (const a of accesses) {
            const { gpa, length } = concrete(layout, a);
            const access = a.access as GuestAccess;
            const ref = reference(mem.regions, gpa, length, access);
            const outcome = ref.ok ? 'ok' : ref.code;
            seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
            const t = mem.translate(gpa as number, length as number, access);
            const o = mem.translateOffset(gpa as number, length as number, access);
            expect(attached.translateOffset(gpa as number, length as number, access)).toBe(o);
            if (ref.ok) {
              expect(t.ok).toBe(true);
              if (!t.ok) continue;
              expect(BigInt(t.offset)).toBe(ref.offset);
              expect(t.region.name).toBe(ref.region);
              expect(o).toBe(t.offset);
              expect(t.offset + Number(length)).toBeLessThanOrEqual(t.region.offset + t.region.size);
            } else {
              expect(t.ok ? 'ok' : t.error.code).toBe(ref.code);
              expect(o).toBe(GuestMemoryErrno[ref.code]);
              if (!t.ok) expect(t.error.message).toContain(formatGuestValue(gpa));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
    // The generator reaches every outcome (guards against a generator that drifts off the edges).
    expect([...seen.keys()].sort()).toEqual(['ok', ...Object.keys(GuestMemoryErrno)].sort());
  });

  it('a write changes exactly its range; read returns it', () => {
    fc.assert(
      fc.property(
        layoutArb.chain((layout) =>
          fc.tuple(fc.constant(layout), fc.nat({ max: layout.config.length - 1 }), fc.nat(), fc.uint8Array({ minLength: 0, maxLength: 64 })),
        ),
        ([layout, which, at, data]) => {
          const mem = createGuestMemory({ regions: layout.config });
          const region = mem.regions[which]!;
          const start = region.base + Math.max(0, (at % region.size) - data.length);
          const before = mem.bytes.slice();
          if (region.readOnly) {
            expect(() => mem.write(start, data)).toThrow(GuestMemoryAccessError);
            expect(sameBytes(mem.bytes, before)).toBe(true);
            return;
          }
          mem.write(start, data);
          const off = region.offset + (start - region.base);
          const expected = before.slice();
          expected.set(data, off);
          expect(sameBytes(mem.bytes, expected)).toBe(true);
          const back = new Uint8Array(data.length);
          mem.read(BigInt(start), back);
          expect(back).toEqual(data);
        },
      ),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// A worker thread attaches to the same SAB. Node 20 cannot run TypeScript in a worker, so the
// module is transpiled (no type-check: that is tsc's job) into a temporary ESM folder.

describe('attachGuestMemory in a worker_thread', () => {
  let dir = '';
  let moduleUrl = '';
  beforeAll(() => {
    const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/guest-memory');
    dir = mkdtempSync(path.join(tmpdir(), 'pvg-guest-memory-'));
    writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
    for (const file of readdirSync(src).filter((f) => f.endsWith('.ts'))) {
      const out = ts.transpileModule(readFileSync(path.join(src, file), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      });
      writeFileSync(path.join(dir, file.replace(/\.ts$/, '.js')), out.outputText);
    }
    moduleUrl = pathToFileURL(path.join(dir, 'index.js')).href;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const workerCode = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.moduleUrl).then((gm) => {
      const mem = gm.attachGuestMemory(workerData.sab, workerData.regions);
      parentPort.on('message', (m) => {
        try {
          if (m.op === 'read') parentPort.postMessage({ bytes: Array.from(mem.view(m.gpa, m.length, 'read')) });
          else if (m.op === 'write') { mem.write(m.gpa, Uint8Array.from(m.bytes)); parentPort.postMessage({ done: true }); }
          else if (m.op === 'probe') parentPort.postMessage({ offsets: m.probes.map(([g, l, a]) => mem.translateOffset(g, l, a)) });
        } catch (e) {
          parentPort.postMessage({ error: { name: e.name, code: e.code, message: e.message } });
        }
      });
      parentPort.postMessage({ ready: true });
    }, (e) => parentPort.postMessage({ fatal: String(e && e.stack || e) }));
  `;

  it('sees the main thread’s writes, and the main thread sees the worker’s', async () => {
    const mem = machine();
    const d = mem.describe();
    const worker = new Worker(workerCode, { eval: true, workerData: { moduleUrl, sab: d.sab, regions: d.regions } });
    const ask = async (m: unknown): Promise<Record<string, unknown>> => {
      const reply = once(worker, 'message');
      worker.postMessage(m);
      return (await reply)[0] as Record<string, unknown>;
    };
    try {
      const [ready] = (await once(worker, 'message')) as [Record<string, unknown>];
      expect(ready).toEqual({ ready: true });

      mem.write(0xfff0, Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
      mem.write(TOP_END - 2, Uint8Array.of(0x55, 0xaa));
      expect(await ask({ op: 'read', gpa: 0xfff0, length: 4 })).toEqual({ bytes: [0xde, 0xad, 0xbe, 0xef] });
      expect(await ask({ op: 'read', gpa: BigInt(TOP_END - 2), length: 2 })).toEqual({ bytes: [0x55, 0xaa] });

      expect(await ask({ op: 'write', gpa: 0x40, bytes: [1, 2, 3] })).toEqual({ done: true });
      expect([...mem.view(0x40, 3, 'read')]).toEqual([1, 2, 3]);

      // The worker enforces the same rules.
      expect(await ask({ op: 'write', gpa: 0x10000, bytes: [9] })).toMatchObject({
        error: { name: 'GuestMemoryAccessError', code: 'read-only' },
      });
      expect(mem.view(0x10000, 1, 'read')[0]).toBe(0);
      const probes: [unknown, unknown, GuestAccess][] = [
        [0, 1, 'read'],
        [0xffff, 2, 'read'],
        [0x10000, 0, 'write'],
        [0x11000, 0, 'read'],
        [TOP_END - 1, 1, 'write'],
        [MAX, 1, 'read'],
        [2n ** 64n - 1n, 1, 'read'],
        [TWO53, 0, 'read'],
        [0.5, 1, 'read'],
      ];
      const { offsets } = (await ask({ op: 'probe', probes })) as { offsets: number[] };
      expect(offsets).toEqual(probes.map(([g, l, a]) => mem.translateOffset(g as number, l as number, a)));
    } finally {
      await worker.terminate();
    }
  });
});
