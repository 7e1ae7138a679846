// Guest-physical page allocation for the built-in guest driver: a bump allocator over one RAM
// range (the driver owns its RAM, like a real guest kernel's early allocator).
const PAGE = 4096;

export class PageAllocator {
  private next: number;

  constructor(
    readonly base: number,
    readonly end: number,
  ) {
    if (base % PAGE !== 0 || end % PAGE !== 0 || end <= base) throw new RangeError('allocator range must be page-aligned and non-empty');
    this.next = base;
  }

  /** Allocates whole pages; throws when the range is exhausted. */
  allocate(bytes: number): number {
    const size = Math.ceil(bytes / PAGE) * PAGE;
    if (size <= 0 || this.next + size > this.end) throw new RangeError(`guest RAM exhausted: ${bytes} bytes wanted, ${this.end - this.next} left`);
    const at = this.next;
    this.next += size;
    return at;
  }

  /** The next free address (a snapshot), and back; false (nothing changed) outside the range or unaligned. */
  saveState(): number {
    return this.next;
  }
  loadState(next: number): boolean {
    if (!Number.isSafeInteger(next) || next < this.base || next > this.end || next % PAGE !== 0) return false;
    this.next = next;
    return true;
  }

  get used(): number {
    return this.next - this.base;
  }
}
