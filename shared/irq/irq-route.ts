// A device's interrupt route (abi/generated/irq-route-layout.ts): what its engine needs to raise
// interrupts itself under the actor model (docs/interrupts.md, "The engine raises its own"). The
// device actor owns the PCI config space, so it publishes the MSI capability here under a seqlock
// after every guest config write, reset and snapshot load; the engine reads it at raise time
// (native/src/engine/bridge/direct_interrupts.cpp) and counts what it raised in the same words.
// The device actor is the only writer of the MSI words and never waits: a seqlock reader retries.
import { IRQ_ROUTE_MAGIC, IRQ_ROUTE_WORDS, IrqRouteWord } from '../../abi/generated/irq-route-layout.js';
import type { MsiState } from '../pci/config-space.js';

/** The engine's own raises, as counted in the route. */
export interface DirectRaiseCounts {
  raised: number;
  delivered: number;
  droppedWhileDisabled: number;
  /** Handed to the device actor instead (a masked MSI vector; a level line). */
  deferred: number;
}

export function createIrqRouteBuffer(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(IRQ_ROUTE_WORDS * 4);
  const w = new Int32Array(sab);
  Atomics.store(w, IrqRouteWord.MsiVectors, 1);
  Atomics.store(w, IrqRouteWord.Magic, IRQ_ROUTE_MAGIC);
  return sab;
}

export class IrqRoute {
  readonly words: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== IRQ_ROUTE_WORDS * 4)
      throw new TypeError(`an interrupt route is a ${IRQ_ROUTE_WORDS * 4}-byte SharedArrayBuffer`);
    this.words = new Int32Array(buffer);
    if (Atomics.load(this.words, IrqRouteWord.Magic) !== IRQ_ROUTE_MAGIC) throw new TypeError('not an interrupt route');
  }

  /** Publishes the MSI capability (the device actor's thread only: the one writer). */
  publishMsi(msi: MsiState): void {
    const w = this.words;
    Atomics.add(w, IrqRouteWord.Sequence, 1); // odd: readers retry
    Atomics.store(w, IrqRouteWord.MsiEnabled, msi.enabled ? 1 : 0);
    Atomics.store(w, IrqRouteWord.MsiAddressLo, Number(msi.address & 0xffff_ffffn) | 0);
    Atomics.store(w, IrqRouteWord.MsiAddressHi, Number(msi.address >> 32n) | 0);
    Atomics.store(w, IrqRouteWord.MsiData, msi.data);
    Atomics.store(w, IrqRouteWord.MsiVectors, msi.vectors);
    Atomics.store(w, IrqRouteWord.MsiMask, msi.mask | 0);
    Atomics.add(w, IrqRouteWord.Sequence, 1); // even: consistent again
  }

  counts(): DirectRaiseCounts {
    const w = this.words;
    return {
      raised: Atomics.load(w, IrqRouteWord.Raised) >>> 0,
      delivered: Atomics.load(w, IrqRouteWord.Delivered) >>> 0,
      droppedWhileDisabled: Atomics.load(w, IrqRouteWord.DroppedWhileDisabled) >>> 0,
      deferred: Atomics.load(w, IrqRouteWord.Deferred) >>> 0,
    };
  }
}
