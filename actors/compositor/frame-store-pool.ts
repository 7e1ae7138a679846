// A display's frame stores: at most FRAME_STORES_PER_DISPLAY SABs, each sized for the largest
// mode, made on first need and kept for the display's life. A store is handed out again only once
// every sink that might read it said it stopped (sink workers read the store on their own thread,
// so the compositor cannot know otherwise). Nothing is ever dropped for a garbage collector to
// find: a SAB's memory comes back only when every thread that saw it collects, which a guest
// changing modes in a loop outruns by gigabytes (docs/hardening.md finding 3).

/**
 * Why three: one the compositor writes (the current mode), one a sink may still read (the
 * previous mode, until its worker handles the resize), and one spare, so a second change that
 * arrives before the sink's answer does not have to wait. More would only let a lagging sink lag
 * further; when none is free the display waits for a release (DisplayFrames).
 */
export const FRAME_STORES_PER_DISPLAY = 3;

/** Something that reads frame stores and says when it stopped (a DisplaySink). */
export type StoreReader = object;

export interface FrameStore {
  readonly id: number;
  readonly buffer: SharedArrayBuffer;
}

export class FrameStorePool {
  private made = 0;
  private nextId = 1;
  /** Handed-out stores some reader may still read: id → the readers that have not released it. */
  private readonly held = new Map<number, { store: SharedArrayBuffer; readers: Set<StoreReader> }>();
  private readonly free: SharedArrayBuffer[] = [];

  constructor(private readonly bytes: number) {}

  /** A store nobody reads, under a fresh id; null when all FRAME_STORES_PER_DISPLAY are in use. */
  take(): FrameStore | null {
    let buffer = this.free.pop();
    if (!buffer) {
      if (this.made === FRAME_STORES_PER_DISPLAY) return null;
      this.made++;
      buffer = new SharedArrayBuffer(this.bytes);
    }
    return { id: this.nextId++, buffer };
  }

  /** `store` stays out of reach until each of `readers` released it; with none it is free at once. */
  hold(store: FrameStore, readers: Iterable<StoreReader>): void {
    const set = new Set(readers);
    if (set.size === 0) this.free.push(store.buffer);
    else this.held.set(store.id, { store: store.buffer, readers: set });
  }

  /** `reader` no longer reads store `id`; true when that freed it. Unknown ids change nothing. */
  release(reader: StoreReader, id: number): boolean {
    const h = this.held.get(id);
    if (!h || !h.readers.delete(reader) || h.readers.size > 0) return false;
    this.held.delete(id);
    this.free.push(h.store);
    return true;
  }

  /** `reader` is gone: it reads nothing any more. True when that freed a store. */
  forget(reader: StoreReader): boolean {
    let freed = false;
    for (const id of [...this.held.keys()]) freed = this.release(reader, id) || freed;
    return freed;
  }

  /** Stores made so far (never more than FRAME_STORES_PER_DISPLAY). */
  get allocated(): number {
    return this.made;
  }

  /** Stores a reader has not released yet. */
  get heldCount(): number {
    return this.held.size;
  }
}
