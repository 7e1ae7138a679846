// Region layout: validates a guest-memory configuration (or a descriptor handed to another
// thread) and places regions in one SharedArrayBuffer, each at a page-aligned offset, so that
// with KVM vCPUs each region can become a memory slot (those want page-aligned host memory;
// createGuestMemory's hostPageOffset aligns the SAB itself, vmm/kvm-machine.ts).
import { GuestMemoryConfigError } from './errors.js';

export const GUEST_PAGE_SIZE = 4096;
/** Default bound on the sum of region sizes (the SAB size): 4 GiB. */
export const DEFAULT_MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024;

/** One region as the embedder asks for it. */
export interface GuestRegionConfig {
  readonly name: string;
  /** Guest-physical base; page-aligned. A bigint is accepted when it is at most 2^53-1. */
  readonly base: number | bigint;
  /** Bytes; page-aligned, > 0. */
  readonly size: number | bigint;
  readonly readOnly?: boolean;
}

export interface GuestMemoryConfig {
  readonly regions: readonly GuestRegionConfig[];
  /** Upper bound on the total size (bytes) of all regions; default 4 GiB. */
  readonly maxTotalBytes?: number;
}

/** A laid-out region: plain data, structured-clonable, the same shape the native side takes. */
export interface GuestRegion {
  readonly name: string;
  /** Guest-physical base. */
  readonly base: number;
  readonly size: number;
  /**
   * Byte offset of the region inside the SharedArrayBuffer. Every region's offset has the same
   * remainder modulo the page size (0 unless the memory was laid out for host-page alignment).
   */
  readonly offset: number;
  readonly readOnly: boolean;
}

function fail(field: string, problem: string): never {
  throw new GuestMemoryConfigError(field, problem);
}

function pageAlignedInteger(value: unknown, field: string, allowZero: boolean): number {
  let n: number;
  if (typeof value === 'bigint') {
    if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) fail(field, `must be between 0 and 2^53-1 (got ${value})`);
    n = Number(value);
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) fail(field, `must be a non-negative safe integer (got ${value})`);
    n = value;
  } else {
    fail(field, `must be a number or bigint (got ${typeof value})`);
  }
  if (!allowZero && n === 0) fail(field, 'must be greater than 0');
  if (n % GUEST_PAGE_SIZE !== 0) fail(field, `must be a multiple of ${GUEST_PAGE_SIZE} (got 0x${n.toString(16)})`);
  return n;
}

interface CheckedRegion {
  name: string;
  base: number;
  size: number;
  readOnly: boolean;
}

function checkRegionList(regions: unknown): readonly unknown[] {
  if (!Array.isArray(regions)) fail('regions', 'must be an array');
  if (regions.length === 0) fail('regions', 'must contain at least one region');
  return regions;
}

function checkRegion(raw: unknown, i: number, names: Set<string>): CheckedRegion {
  const at = `regions[${i}]`;
  if (typeof raw !== 'object' || raw === null) fail(at, 'must be an object');
  const r = raw as Record<string, unknown>;
  if (typeof r.name !== 'string' || r.name.length === 0) fail(`${at}.name`, 'must be a non-empty string');
  if (names.has(r.name)) fail(`${at}.name`, `duplicate region name ${JSON.stringify(r.name)}`);
  names.add(r.name);
  const base = pageAlignedInteger(r.base, `${at}.base`, true);
  const size = pageAlignedInteger(r.size, `${at}.size`, false);
  if (size > Number.MAX_SAFE_INTEGER - base) fail(`${at}.size`, 'base + size must not exceed 2^53-1');
  if (r.readOnly !== undefined && typeof r.readOnly !== 'boolean') fail(`${at}.readOnly`, 'must be a boolean');
  return { name: r.name, base, size, readOnly: r.readOnly === true };
}

/** Refuses regions whose guest-physical ranges overlap (adjacent is fine). */
function checkNoGuestOverlap(regions: readonly CheckedRegion[]): void {
  const order = regions.map((_, i) => i).sort((a, b) => regions[a]!.base - regions[b]!.base);
  for (let k = 1; k < order.length; k++) {
    const prev = regions[order[k - 1]!]!;
    const cur = regions[order[k]!]!;
    if (cur.base < prev.base + prev.size) {
      fail(
        `regions[${order[k]}].base`,
        `region ${JSON.stringify(cur.name)} at 0x${cur.base.toString(16)} overlaps region ` +
          `${JSON.stringify(prev.name)} [0x${prev.base.toString(16)}, 0x${(prev.base + prev.size).toString(16)})`,
      );
    }
  }
}

/** Validates a configuration and assigns each region a page-aligned offset, in the order given. */
export function layoutRegions(config: GuestMemoryConfig): { regions: GuestRegion[]; totalBytes: number } {
  if (typeof config !== 'object' || config === null) fail('config', 'must be an object');
  const maxTotal = config.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  if (!Number.isSafeInteger(maxTotal) || maxTotal <= 0) fail('maxTotalBytes', `must be a positive safe integer (got ${maxTotal})`);
  const list = checkRegionList(config.regions);
  const names = new Set<string>();
  const checked = list.map((r, i) => checkRegion(r, i, names));
  checkNoGuestOverlap(checked);
  let offset = 0;
  const regions = checked.map((r, i) => {
    // Sizes are page multiples, so offsets stay page-aligned; rounding up keeps that true
    // even if that ever changes.
    offset = Math.ceil(offset / GUEST_PAGE_SIZE) * GUEST_PAGE_SIZE;
    const placed: GuestRegion = Object.freeze({ ...r, offset });
    offset += r.size;
    if (offset > maxTotal) fail(`regions[${i}].size`, `total size 0x${offset.toString(16)} exceeds maxTotalBytes 0x${maxTotal.toString(16)}`);
    return placed;
  });
  return { regions, totalBytes: offset };
}

/**
 * Validates a region table received from another thread against the SAB it describes: the same
 * rules as a configuration, plus page-aligned offsets inside the buffer that do not overlap.
 */
export function checkRegionDescriptors(sab: unknown, regions: unknown): GuestRegion[] {
  if (!(sab instanceof SharedArrayBuffer)) fail('sab', 'must be a SharedArrayBuffer');
  const list = checkRegionList(regions);
  const names = new Set<string>();
  const shift = Number((list[0] as Record<string, unknown> | null)?.offset) % GUEST_PAGE_SIZE;
  const placed = list.map((raw, i) => {
    const r = checkRegion(raw, i, names);
    const offset = (raw as Record<string, unknown>).offset;
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)
      fail(`regions[${i}].offset`, `must be a non-negative safe integer (got ${String(offset)})`);
    // Offsets need not be page multiples, but they must all sit at the same place in a page
    // (createGuestMemory shifts them together so host pages line up for KVM).
    if (offset % GUEST_PAGE_SIZE !== shift) fail(`regions[${i}].offset`, `0x${offset.toString(16)} is not page-aligned relative to regions[0].offset`);
    if (r.size > sab.byteLength - offset) fail(`regions[${i}].offset`, `region does not fit in the SAB (0x${sab.byteLength.toString(16)} bytes)`);
    return Object.freeze({ ...r, offset });
  });
  checkNoGuestOverlap(placed);
  const byOffset = placed.map((_, i) => i).sort((a, b) => placed[a]!.offset - placed[b]!.offset);
  for (let k = 1; k < byOffset.length; k++) {
    const prev = placed[byOffset[k - 1]!]!;
    const cur = placed[byOffset[k]!]!;
    if (cur.offset < prev.offset + prev.size) {
      fail(`regions[${byOffset[k]}].offset`, `overlaps region ${JSON.stringify(prev.name)} inside the SAB`);
    }
  }
  return placed;
}
