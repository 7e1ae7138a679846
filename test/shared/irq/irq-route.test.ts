// A device's interrupt route: what the device actor publishes for its engine (the MSI capability
// under a seqlock) and the engine's counts it reads back. The engine's side is native
// (native/test/direct_interrupts_test.cpp); here the words the two agree on.
import { describe, expect, it } from 'vitest';

import { IRQ_ROUTE_WORDS, IrqRouteWord } from '../../../abi/generated/irq-route-layout.js';
import { IrqRoute, createIrqRouteBuffer } from '../../../shared/irq/irq-route.js';

describe('IrqRoute', () => {
  it('publishes the MSI capability word for word, the 64-bit address in two halves, and leaves the sequence even', () => {
    const route = new IrqRoute(createIrqRouteBuffer());
    const w = route.words;
    expect(Atomics.load(w, IrqRouteWord.MsiVectors)).toBe(1); // one vector until the guest says more
    route.publishMsi({ enabled: true, address: 0x1_2345_6789_abcd_ef00n, data: 0x4041, vectors: 8, mask: 0x8000_0001, pending: 0 });
    expect(Atomics.load(w, IrqRouteWord.Sequence)).toBe(2);
    expect(Atomics.load(w, IrqRouteWord.MsiEnabled)).toBe(1);
    expect(Atomics.load(w, IrqRouteWord.MsiAddressLo) >>> 0).toBe(0xabcd_ef00);
    expect(Atomics.load(w, IrqRouteWord.MsiAddressHi) >>> 0).toBe(0x2345_6789);
    expect(Atomics.load(w, IrqRouteWord.MsiData)).toBe(0x4041);
    expect(Atomics.load(w, IrqRouteWord.MsiVectors)).toBe(8);
    expect(Atomics.load(w, IrqRouteWord.MsiMask) >>> 0).toBe(0x8000_0001);
    route.publishMsi({ enabled: false, address: 0n, data: 0, vectors: 1, mask: 0, pending: 0 });
    expect(Atomics.load(w, IrqRouteWord.Sequence)).toBe(4);
    expect(Atomics.load(w, IrqRouteWord.MsiEnabled)).toBe(0);
  });

  it("reads the engine's counts as unsigned", () => {
    const route = new IrqRoute(createIrqRouteBuffer());
    Atomics.store(route.words, IrqRouteWord.Raised, -1);
    Atomics.store(route.words, IrqRouteWord.Delivered, 5);
    Atomics.store(route.words, IrqRouteWord.DroppedWhileDisabled, 2);
    Atomics.store(route.words, IrqRouteWord.Deferred, 3);
    expect(route.counts()).toEqual({ raised: 0xffff_ffff, delivered: 5, droppedWhileDisabled: 2, deferred: 3 });
  });

  it('refuses a buffer that is not a route', () => {
    expect(() => new IrqRoute(new SharedArrayBuffer(IRQ_ROUTE_WORDS * 4))).toThrow(/not an interrupt route/);
    expect(() => new IrqRoute(new SharedArrayBuffer(8))).toThrow(TypeError);
  });
});
