// A small deterministic PRNG (xorshift32): the same seed draws the same frames everywhere.
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
  /** The generator's state (a snapshot), and back: the same draws follow. */
  saveState(): number {
    return this.state;
  }
  loadState(state: number): void {
    this.state = state >>> 0 || 0x9e3779b9;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
}
