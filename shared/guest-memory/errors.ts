// Errors of the guest-memory primitive: the codes a translation can fail with (as strings for
// the allocating API, as negative numbers for the allocation-free hot path), and the two error
// classes: configuration (the embedder's mistake) and access (a bad guest request).
// Native counterpart: native/src/core/guest_memory.h uses the same negative numbers.

/** Why a guest-memory translation failed. */
export type GuestMemoryErrorCode =
  /** gpa or length is not an integer (NaN, ±Infinity, fractional, not a number or bigint). */
  | 'not-integer'
  /** A number gpa above 2^53-1: JavaScript cannot hold it exactly, so it is refused, not rounded. */
  | 'unsafe-address'
  /** A number length above 2^53-1 (not exactly representable). */
  | 'unsafe-length'
  /** A bigint gpa or length above 2^53-1 (a real 64-bit value this API cannot index). */
  | 'bigint-out-of-range'
  /** gpa < 0. */
  | 'negative-address'
  /** length < 0. */
  | 'negative-length'
  /** gpa + length (the exclusive end) is above 2^53-1. */
  | 'overflow'
  /** gpa is not inside any region (also for zero-length accesses). */
  | 'unmapped'
  /** gpa is inside a region but the range runs past that region's end (into a hole or a neighbour). */
  | 'crosses-region'
  /** A write to a read-only region. */
  | 'read-only'
  /** access is neither 'read' nor 'write'. */
  | 'bad-access';

/**
 * The error numbers `translateOffset` returns (always negative, so `result >= 0` means success).
 * The native GuestMemoryError enum uses the same values.
 */
export const GuestMemoryErrno = Object.freeze({
  'not-integer': -1,
  'unsafe-address': -2,
  'unsafe-length': -3,
  'bigint-out-of-range': -4,
  'negative-address': -5,
  'negative-length': -6,
  overflow: -7,
  unmapped: -8,
  'crosses-region': -9,
  'read-only': -10,
  'bad-access': -11,
} as const satisfies Record<GuestMemoryErrorCode, number>);

export type GuestMemoryErrnoValue = (typeof GuestMemoryErrno)[GuestMemoryErrorCode];

const CODE_BY_ERRNO: ReadonlyMap<number, GuestMemoryErrorCode> = new Map(
  (Object.entries(GuestMemoryErrno) as [GuestMemoryErrorCode, number][]).map(([code, n]) => [n, code]),
);

/** The code for an error number from `translateOffset`; undefined for anything else (e.g. an offset). */
export function guestMemoryErrorCode(errno: number): GuestMemoryErrorCode | undefined {
  return CODE_BY_ERRNO.get(errno);
}

export type GuestAccess = 'read' | 'write';

/** A failed translation, as plain (structured-clonable) data. */
export interface GuestMemoryError {
  readonly code: GuestMemoryErrorCode;
  /** Human-readable; addresses in hex. */
  readonly message: string;
  /** The inputs as given (possibly NaN, a bigint, ...). */
  readonly gpa: unknown;
  readonly length: unknown;
  readonly access: unknown;
  /** The region gpa fell in, for 'crosses-region' and 'read-only'. */
  readonly region?: string;
}

/** Formats a guest value for a message: integers in hex, anything else as written. */
export function formatGuestValue(value: unknown): string {
  if (typeof value === 'bigint') return value < 0n ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return String(value);
    const hex = value < 0 ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
    return Number.isSafeInteger(value) ? hex : `${hex} (not exactly representable)`;
  }
  if (typeof value === 'string') return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}...` : value);
  // Never call a foreign toString (it may throw): name the type instead.
  if (typeof value === 'object' && value !== null) return `[${Array.isArray(value) ? 'array' : 'object'}]`;
  if (typeof value === 'function') return '[function]';
  return String(value); // undefined, null, boolean, symbol
}

/** Thrown when a guest-memory configuration (or an attach descriptor) is invalid. */
export class GuestMemoryConfigError extends Error {
  override readonly name = 'GuestMemoryConfigError';
  /** The offending field, e.g. `regions[1].base` or `maxTotalBytes`. */
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.field = field;
  }
}

/** Thrown by read/write/view when a guest access is refused; `detail` is the translation error. */
export class GuestMemoryAccessError extends Error {
  override readonly name = 'GuestMemoryAccessError';
  readonly code: GuestMemoryErrorCode;
  readonly detail: GuestMemoryError;
  constructor(detail: GuestMemoryError) {
    super(detail.message);
    this.code = detail.code;
    this.detail = detail;
  }
}
