// Where each PCI device's BAR0 currently is, published by the device actor (which owns config
// space) and read by every vCPU's MMIO bus. Per device, one cache line: a sequence number bumped
// on every change, then whether the BAR decodes and its base. A bus re-reads a device's entry
// only when its sequence moved (one atomic load per access).
export const BAR_WORDS_PER_DEVICE = 16;
export const enum BarWord {
  Sequence = 0,
  Mapped = 1,
  BaseLo = 2,
  BaseHi = 3,
}

export function createBarTable(devices: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(1, devices) * BAR_WORDS_PER_DEVICE * 4);
}

export interface BarState {
  mapped: boolean;
  base: number;
}

export class BarTable {
  readonly words: Int32Array;
  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
  }

  /** Device side: publish BAR0 (null: not decoding). */
  publish(device: number, base: number | null): void {
    const b = device * BAR_WORDS_PER_DEVICE;
    const w = this.words;
    Atomics.store(w, b + BarWord.Mapped, base === null ? 0 : 1);
    Atomics.store(w, b + BarWord.BaseLo, base === null ? 0 : base >>> 0);
    Atomics.store(w, b + BarWord.BaseHi, base === null ? 0 : Math.floor(base / 0x1_0000_0000));
    Atomics.add(w, b + BarWord.Sequence, 1);
  }

  sequence(device: number): number {
    return Atomics.load(this.words, device * BAR_WORDS_PER_DEVICE + BarWord.Sequence);
  }

  /** vCPU side: the current state (read after seeing the sequence move). */
  read(device: number): BarState {
    const b = device * BAR_WORDS_PER_DEVICE;
    const w = this.words;
    for (;;) {
      const seq = Atomics.load(w, b + BarWord.Sequence);
      const state = {
        mapped: Atomics.load(w, b + BarWord.Mapped) !== 0,
        base: (Atomics.load(w, b + BarWord.BaseHi) >>> 0) * 0x1_0000_0000 + (Atomics.load(w, b + BarWord.BaseLo) >>> 0),
      };
      if (Atomics.load(w, b + BarWord.Sequence) === seq) return state;
    }
  }
}
