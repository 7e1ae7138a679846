// The vCPU-side MMIO address decoder: which device window an access falls in, and at what
// offset. Windows are few and move rarely (PCI BAR programming), so they are kept in an array
// sorted by base and decoded by binary search. Windows never overlap: adding one that would is
// a configuration error (thrown), moving one onto another is a guest error (returned).

/** Windows end at or below 2^53 (exact in a double). */
export const MMIO_ADDRESS_LIMIT = 2 ** 53;

export type MmioAccessSize = 1 | 2 | 4 | 8;
export type MmioAccess = 'read' | 'write';

export interface MmioWindow<T> {
  readonly name: string;
  /** Guest-physical base, or null while unmapped (e.g. a PCI BAR not yet programmed). */
  readonly base: number | null;
  readonly size: number;
  readonly target: T;
}

export interface MmioWindowSpec<T> {
  readonly name: string;
  readonly base: number | null;
  readonly size: number;
  readonly target: T;
}

export type DecodeResult<T> =
  | { readonly ok: true; readonly window: MmioWindow<T>; readonly offset: number }
  /** No window holds the first byte. */
  | { readonly ok: false; readonly reason: 'unassigned' }
  /** Size not 1/2/4/8, address not an exact non-negative integer, or the access runs past its window's end. */
  | { readonly ok: false; readonly reason: 'bad-access' };

export type MoveWindowError =
  | { readonly code: 'unknown-window'; readonly message: string }
  | { readonly code: 'bad-base'; readonly message: string }
  | { readonly code: 'overlap'; readonly message: string };

export interface MmioBusStats {
  readonly unassignedReads: number;
  readonly unassignedWrites: number;
  readonly badAccesses: number;
}

/** Thrown by addWindow: the embedder's mistake, not the guest's. */
export class MmioBusConfigError extends Error {
  override readonly name = 'MmioBusConfigError';
}

const UNASSIGNED = Object.freeze({ ok: false, reason: 'unassigned' } as const);
const BAD_ACCESS = Object.freeze({ ok: false, reason: 'bad-access' } as const);
const hex = (n: number): string => `0x${n.toString(16)}`;
const span = (w: MmioWindow<unknown>): string => `${JSON.stringify(w.name)} [${hex(w.base!)}, ${hex(w.base! + w.size)})`;

/** Why `base` cannot hold a window of `size` bytes, or undefined if it can. */
function badPlacement(base: number, size: number): string | undefined {
  if (!Number.isSafeInteger(base) || base < 0) return `base ${String(base)} is not a non-negative safe integer`;
  // Subtract, not add: base + size can round down to 2^53.
  if (size > MMIO_ADDRESS_LIMIT - base) return `base ${hex(base)} + size ${hex(size)} runs past 2^53`;
  return undefined;
}

export class MmioBus<T> {
  readonly #byName = new Map<string, MmioWindow<T>>();
  /** Mapped windows, sorted by base. */
  #mapped: MmioWindow<T>[] = [];
  #unassignedReads = 0;
  #unassignedWrites = 0;
  #badAccesses = 0;

  addWindow(spec: MmioWindowSpec<T>): MmioWindow<T> {
    const { name, base, size, target } = spec;
    if (typeof name !== 'string' || name.length === 0) throw new MmioBusConfigError('window name must be a non-empty string');
    if (this.#byName.has(name)) throw new MmioBusConfigError(`window ${JSON.stringify(name)} already exists`);
    if (!Number.isSafeInteger(size) || size <= 0)
      throw new MmioBusConfigError(`window ${JSON.stringify(name)}: size ${String(size)} is not a positive safe integer`);
    const w: MmioWindow<T> = Object.freeze({ name, base, size, target });
    if (base !== null) {
      const bad = badPlacement(base, size);
      if (bad !== undefined) throw new MmioBusConfigError(`window ${JSON.stringify(name)}: ${bad}`);
      const other = this.#overlapping(base, size, undefined);
      if (other !== undefined) throw new MmioBusConfigError(`window ${span(w)} overlaps window ${span(other)}`);
    }
    this.#byName.set(name, w);
    if (base !== null) this.#place(w);
    return w;
  }

  /**
   * Moves a window (a PCI BAR the guest reprogrammed); null unmaps it. On error nothing
   * changes: a caller that must follow the guest regardless can then move it to null.
   */
  moveWindow(name: string, newBase: number | null): { ok: true; window: MmioWindow<T> } | { ok: false; error: MoveWindowError } {
    const old = this.#byName.get(name);
    if (old === undefined) return { ok: false, error: { code: 'unknown-window', message: `no window named ${JSON.stringify(name)}` } };
    if (newBase !== null) {
      const bad = badPlacement(newBase, old.size);
      if (bad !== undefined) return { ok: false, error: { code: 'bad-base', message: `window ${JSON.stringify(name)}: ${bad}` } };
      const other = this.#overlapping(newBase, old.size, old);
      if (other !== undefined) {
        return {
          ok: false,
          error: {
            code: 'overlap',
            message: `window ${JSON.stringify(name)} at [${hex(newBase)}, ${hex(newBase + old.size)}) would overlap window ${span(other)}`,
          },
        };
      }
    }
    const w: MmioWindow<T> = Object.freeze({ ...old, base: newBase });
    this.#byName.set(name, w);
    if (old.base !== null) this.#mapped = this.#mapped.filter((m) => m !== old);
    if (newBase !== null) this.#place(w);
    return { ok: true, window: w };
  }

  /**
   * The window and offset of an access of `size` bytes at addr; the whole access must lie in
   * one window. A bigint address above 2^53 is exact and simply unassigned; a number above
   * 2^53-1 is not exact, so it is a bad access.
   */
  /** `count: false` decodes without counting a miss (the caller may retry, then counts). */
  decode(addr: number | bigint, size: number, access: MmioAccess, count = true): DecodeResult<T> {
    if ((size !== 1 && size !== 2 && size !== 4 && size !== 8) || (access !== 'read' && access !== 'write')) return this.#bad();
    let a: number;
    if (typeof addr === 'number') {
      if (!Number.isSafeInteger(addr) || addr < 0) return this.#bad();
      a = addr + 0; // -0 → 0
    } else if (typeof addr === 'bigint') {
      if (addr < 0n) return this.#bad();
      if (addr >= BigInt(MMIO_ADDRESS_LIMIT)) return count ? this.#unassigned(access) : UNASSIGNED;
      a = Number(addr);
    } else {
      return this.#bad();
    }
    const w = this.#find(a);
    if (w === undefined) return count ? this.#unassigned(access) : UNASSIGNED;
    const offset = a - w.base!;
    if (offset + size > w.size) return this.#bad();
    return { ok: true, window: w, offset };
  }

  window(name: string): MmioWindow<T> | undefined {
    return this.#byName.get(name);
  }

  /** Every window, mapped ones in address order first. */
  windows(): MmioWindow<T>[] {
    return [...this.#mapped, ...[...this.#byName.values()].filter((w) => w.base === null)];
  }

  stats(): MmioBusStats {
    return { unassignedReads: this.#unassignedReads, unassignedWrites: this.#unassignedWrites, badAccesses: this.#badAccesses };
  }

  /** The mapped window holding address a. */
  #find(a: number): MmioWindow<T> | undefined {
    const m = this.#mapped;
    let lo = 0;
    let hi = m.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (m[mid]!.base! <= a) lo = mid + 1;
      else hi = mid;
    }
    const w = m[lo - 1];
    return w !== undefined && a < w.base! + w.size ? w : undefined;
  }

  /** A mapped window other than `self` that intersects [base, base + size). */
  #overlapping(base: number, size: number, self: MmioWindow<T> | undefined): MmioWindow<T> | undefined {
    return this.#mapped.find((w) => w !== self && w.base! < base + size && base < w.base! + w.size);
  }

  #place(w: MmioWindow<T>): void {
    const i = this.#mapped.findIndex((m) => m.base! > w.base!);
    if (i < 0) this.#mapped.push(w);
    else this.#mapped.splice(i, 0, w);
  }

  #unassigned(access: MmioAccess): DecodeResult<T> {
    if (access === 'read') this.#unassignedReads++;
    else this.#unassignedWrites++;
    return UNASSIGNED;
  }

  #bad(): DecodeResult<T> {
    this.#badAccesses++;
    return BAD_ACCESS;
  }
}
