// Guest memory: ONE SharedArrayBuffer holding every region, seen by every actor (and, by
// pointer, by the native engine). createGuestMemory makes it; describe() gives plain,
// structured-clonable data that attachGuestMemory turns back into the same view on another
// thread.
import { type GuestAccess, GuestMemoryAccessError, GuestMemoryConfigError } from './errors.js';
import { type GuestMemoryConfig, type GuestRegion, GUEST_PAGE_SIZE, checkRegionDescriptors, layoutRegions } from './layout.js';
import { GuestAddressMap } from './translate.js';

/** What another thread needs to rebuild a GuestMemory: post it (the SAB is shared, not copied). */
export interface GuestMemoryDescriptor {
  readonly sab: SharedArrayBuffer;
  readonly regions: readonly GuestRegion[];
}

export class GuestMemory extends GuestAddressMap {
  readonly sab: SharedArrayBuffer;
  /** All of the SAB, for code that already holds a translated offset. */
  readonly bytes: Uint8Array;

  /** Prefer createGuestMemory / attachGuestMemory. The region table is validated against `sab`. */
  constructor(sab: SharedArrayBuffer, regions: readonly GuestRegion[]) {
    super(checkRegionDescriptors(sab, regions));
    this.sab = sab;
    this.bytes = new Uint8Array(sab);
  }

  describe(): GuestMemoryDescriptor {
    return { sab: this.sab, regions: this.regions.map((r) => ({ ...r })) };
  }

  /**
   * A view of [gpa, gpa + length) over the SAB (no copy). A 'read' view is checked for reading
   * only: JavaScript cannot make a view read-only, so callers must not write through it.
   * Throws GuestMemoryAccessError when the access is refused.
   */
  view(gpa: number | bigint, length: number | bigint, access: GuestAccess): Uint8Array {
    const t = this.translate(gpa, length, access);
    if (!t.ok) throw new GuestMemoryAccessError(t.error);
    return new Uint8Array(this.sab, t.offset, Number(length));
  }

  /** Copies dst.length bytes of guest memory at gpa into dst. */
  read(gpa: number | bigint, dst: Uint8Array): void {
    dst.set(this.view(gpa, dst.length, 'read'));
  }

  /** Copies src into guest memory at gpa (refused for read-only regions). */
  write(gpa: number | bigint, src: Uint8Array): void {
    this.view(gpa, src.length, 'write').set(src);
  }
}

/**
 * Lays the configured regions out in a fresh SAB, each at a page-aligned offset. Throws
 * GuestMemoryConfigError naming the bad field.
 */
export function createGuestMemory(config: GuestMemoryConfig, options: CreateGuestMemoryOptions = {}): GuestMemory {
  const { regions, totalBytes } = layoutRegions(config);
  const slack = options.hostPageOffset ? GUEST_PAGE_SIZE : 0;
  let sab: SharedArrayBuffer;
  try {
    sab = new SharedArrayBuffer(totalBytes + slack);
  } catch (e) {
    const err = new GuestMemoryConfigError('regions', `cannot allocate 0x${totalBytes.toString(16)} bytes: ${(e as Error).message}`);
    throw Object.assign(err, { cause: e });
  }
  if (!options.hostPageOffset) return new GuestMemory(sab, regions);
  // Shift every region by the same amount so each starts on a host page.
  const shift = (GUEST_PAGE_SIZE - options.hostPageOffset(new Uint8Array(sab))) % GUEST_PAGE_SIZE;
  return new GuestMemory(
    sab,
    regions.map((r) => Object.freeze({ ...r, offset: r.offset + shift })),
  );
}

export interface CreateGuestMemoryOptions {
  /**
   * Where the SAB's first byte sits within its host page (the addon's pageOffsetOf). Given, the
   * regions are placed so each starts on a host page boundary, as KVM memory slots require
   * (a SAB's storage comes from malloc, 16 bytes past a page boundary).
   */
  hostPageOffset?: (bytes: Uint8Array) => number;
}

/**
 * Rebuilds a GuestMemory from a descriptor's parts (e.g. received through postMessage): the
 * same bytes, the same translations. The region table is validated again: it came from
 * another thread. Throws GuestMemoryConfigError naming the bad field.
 */
export function attachGuestMemory(sab: SharedArrayBuffer, regions: readonly GuestRegion[]): GuestMemory {
  return new GuestMemory(sab, regions);
}
