// Guest-physical → SAB-offset translation with every check docs/design.md rule 5 asks for. Guest
// numbers are hostile: they are refused (never clamped, never rounded) unless the whole range
// [gpa, gpa + length) lies inside one region with the right permission.
//
// Check order (the first failing check decides the code):
//   1. access is 'read' or 'write'                          else 'bad-access'
//   2. gpa: integer, >= 0, <= 2^53-1                        else 'not-integer' | 'negative-address'
//                                                            | 'unsafe-address' | 'bigint-out-of-range'
//   3. length: the same                                     else 'not-integer' | 'negative-length'
//                                                            | 'unsafe-length' | 'bigint-out-of-range'
//   4. gpa + length <= 2^53-1                               else 'overflow'
//   5. gpa inside a region (base <= gpa < base + size)      else 'unmapped'
//   6. gpa + length <= that region's end                    else 'crosses-region'
//   7. not a write to a read-only region                    else 'read-only'
//
// Zero-length rule: length 0 is allowed and is checked exactly like a one-byte access at gpa
// (gpa must name a mapped byte, permission applies). So a zero-length access at a region's end
// is 'unmapped' unless another region starts there, in which case it belongs to that region;
// it never resolves to "one past the end" of the region before.
import { type GuestAccess, type GuestMemoryError, type GuestMemoryErrorCode, GuestMemoryErrno, formatGuestValue, guestMemoryErrorCode } from './errors.js';
import type { GuestRegion } from './layout.js';

export type TranslateResult =
  { readonly ok: true; readonly offset: number; readonly region: GuestRegion } | { readonly ok: false; readonly error: GuestMemoryError };

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const E = GuestMemoryErrno;

/** A validated region table, searchable by guest-physical address. */
export class GuestAddressMap {
  /** Regions in SAB order (the order they were configured in). */
  readonly regions: readonly GuestRegion[];
  // Sorted by base, as parallel arrays (all values < 2^53, exact in float64).
  readonly #sorted: readonly GuestRegion[];
  readonly #bases: Float64Array;
  readonly #ends: Float64Array;
  readonly #offsets: Float64Array;
  readonly #readOnly: Uint8Array;
  /** Index (in #sorted) of the region the last lookup landed in, or -1. */
  #hit = -1;

  /** `regions` must already be validated (layoutRegions / checkRegionDescriptors). */
  constructor(regions: readonly GuestRegion[]) {
    this.regions = Object.freeze([...regions]);
    this.#sorted = Object.freeze([...regions].sort((a, b) => a.base - b.base));
    const n = this.#sorted.length;
    this.#bases = new Float64Array(n);
    this.#ends = new Float64Array(n);
    this.#offsets = new Float64Array(n);
    this.#readOnly = new Uint8Array(n);
    this.#sorted.forEach((r, i) => {
      this.#bases[i] = r.base;
      this.#ends[i] = r.base + r.size;
      this.#offsets[i] = r.offset;
      this.#readOnly[i] = r.readOnly ? 1 : 0;
    });
  }

  /**
   * Allocation-free translation for hot paths: the SAB byte offset of gpa (>= 0), or a negative
   * error number from GuestMemoryErrno.
   */
  translateOffset(gpa: number | bigint, length: number | bigint, access: GuestAccess): number {
    this.#hit = -1;
    if (access !== 'read' && access !== 'write') return E['bad-access'];
    let g: number;
    if (typeof gpa === 'number') {
      if (!Number.isInteger(gpa)) return E['not-integer'];
      if (gpa < 0) return E['negative-address'];
      if (gpa > MAX_SAFE) return E['unsafe-address'];
      g = gpa;
    } else if (typeof gpa === 'bigint') {
      if (gpa < 0n) return E['negative-address'];
      if (gpa > MAX_SAFE_BIG) return E['bigint-out-of-range'];
      g = Number(gpa);
    } else {
      return E['not-integer'];
    }
    let l: number;
    if (typeof length === 'number') {
      if (!Number.isInteger(length)) return E['not-integer'];
      if (length < 0) return E['negative-length'];
      if (length > MAX_SAFE) return E['unsafe-length'];
      l = length;
    } else if (typeof length === 'bigint') {
      if (length < 0n) return E['negative-length'];
      if (length > MAX_SAFE_BIG) return E['bigint-out-of-range'];
      l = Number(length);
    } else {
      return E['not-integer'];
    }
    if (l > MAX_SAFE - g) return E.overflow;
    // Last region whose base <= g.
    const bases = this.#bases;
    let lo = 0;
    let hi = bases.length - 1;
    let i = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (bases[mid]! <= g) {
        i = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (i < 0 || g >= this.#ends[i]!) return E.unmapped;
    this.#hit = i;
    if (g + l > this.#ends[i]!) return E['crosses-region'];
    if (access === 'write' && this.#readOnly[i] === 1) return E['read-only'];
    // -0 as gpa: (g - base) is -0 only when base is 0, and offset + -0 is offset.
    return this.#offsets[i]! + (g - bases[i]!);
  }

  /** Translation with a descriptive result; allocates. */
  translate(gpa: number | bigint, length: number | bigint, access: GuestAccess): TranslateResult {
    const r = this.translateOffset(gpa, length, access);
    const region = this.#hit >= 0 ? this.#sorted[this.#hit] : undefined;
    if (r >= 0) return { ok: true, offset: r, region: region! };
    const code = guestMemoryErrorCode(r)!;
    return { ok: false, error: describeFailure(code, gpa, length, access, region) };
  }
}

function describeFailure(code: GuestMemoryErrorCode, gpa: unknown, length: unknown, access: unknown, region: GuestRegion | undefined): GuestMemoryError {
  const a = formatGuestValue(gpa);
  const n = formatGuestValue(length);
  const range = `${String(access)} of ${n} bytes at gpa ${a}`;
  const gpaIsBad = !(typeof gpa === 'bigint' ? gpa >= 0n && gpa <= MAX_SAFE_BIG : Number.isSafeInteger(gpa) && (gpa as number) >= 0);
  let message: string;
  switch (code) {
    case 'bad-access':
      message = `access ${formatGuestValue(access)} is neither 'read' nor 'write' (gpa ${a})`;
      break;
    case 'not-integer':
      message = gpaIsBad ? `gpa ${a} is not an integer` : `length ${n} is not an integer (gpa ${a})`;
      break;
    case 'negative-address':
      message = `gpa ${a} is negative`;
      break;
    case 'unsafe-address':
      message = `gpa ${a} is above 2^53-1 and cannot be held exactly; refused rather than rounded`;
      break;
    case 'unsafe-length':
      message = `length ${n} is above 2^53-1 and cannot be held exactly (gpa ${a})`;
      break;
    case 'bigint-out-of-range':
      message = gpaIsBad ? `gpa ${a} is above 2^53-1, beyond what this translation can address` : `length ${n} is above 2^53-1 (gpa ${a})`;
      break;
    case 'negative-length':
      message = `length ${n} is negative (gpa ${a})`;
      break;
    case 'overflow':
      message = `${range}: gpa + length is above 2^53-1`;
      break;
    case 'unmapped':
      message = `${range}: gpa is not in guest memory`;
      break;
    case 'crosses-region':
      message =
        `${range}: range runs past the end of region ${JSON.stringify(region?.name)} ` +
        `[0x${region?.base.toString(16)}, 0x${region ? (region.base + region.size).toString(16) : '?'})`;
      break;
    case 'read-only':
      message = `${range}: region ${JSON.stringify(region?.name)} is read-only`;
      break;
  }
  const error: { -readonly [K in keyof GuestMemoryError]: GuestMemoryError[K] } = { code, message, gpa, length, access };
  if (region && (code === 'crosses-region' || code === 'read-only')) error.region = region.name;
  return error;
}
