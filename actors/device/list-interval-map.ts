// The reference interval map: an unsorted list scanned linearly on every operation, as QEMU's
// apple-gfx keeps its mappings in a QTAILQ. Deliberately simple: it is the model the B+tree
// (interval-map.ts) is tested against and the "list-based reference" the interval-map benchmark
// compares with.
import { INTERVAL_LIMIT, type InsertResult, type IntervalEntry, type IntervalMapLike, isValidInterval } from './interval-map.js';

const byStart = <V>(a: IntervalEntry<V>, b: IntervalEntry<V>): number => a.start - b.start;

export class ListIntervalMap<V> implements IntervalMapLike<V> {
  #items: IntervalEntry<V>[] = [];

  get size(): number {
    return this.#items.length;
  }

  insert(start: number, end: number, value: V): InsertResult {
    if (!isValidInterval(start, end)) return 'invalid';
    if (this.overlapsAny(start, end)) return 'overlap';
    this.#items.push({ start, end, value });
    return 'ok';
  }

  get(start: number): IntervalEntry<V> | undefined {
    return this.#items.find((e) => e.start === start);
  }

  remove(start: number, end: number): IntervalEntry<V> | undefined {
    const i = this.#items.findIndex((e) => e.start === start && e.end === end);
    return i < 0 ? undefined : this.#items.splice(i, 1)[0];
  }

  removeAt(start: number): IntervalEntry<V> | undefined {
    const i = this.#items.findIndex((e) => e.start === start);
    return i < 0 ? undefined : this.#items.splice(i, 1)[0];
  }

  removeIntersecting(start: number, end: number): IntervalEntry<V>[] {
    const hit = (e: IntervalEntry<V>): boolean => start < end && e.start < end && start < e.end;
    const removed = this.#items.filter(hit);
    this.#items = this.#items.filter((e) => !hit(e));
    return removed.sort(byStart);
  }

  findContaining(point: number): IntervalEntry<V> | undefined {
    return this.#items.find((e) => e.start <= point && point < e.end);
  }

  overlapsAny(start: number, end: number): boolean {
    return start < end && this.#items.some((e) => e.start < end && start < e.end);
  }

  *intersecting(start: number, end: number): IterableIterator<IntervalEntry<V>> {
    if (!(start < end)) return;
    yield* this.#items.filter((e) => e.start < end && start < e.end).sort(byStart);
  }

  entries(): IterableIterator<IntervalEntry<V>> {
    return this.intersecting(0, INTERVAL_LIMIT);
  }

  [Symbol.iterator](): IterableIterator<IntervalEntry<V>> {
    return this.entries();
  }

  clear(): void {
    this.#items = [];
  }
}
