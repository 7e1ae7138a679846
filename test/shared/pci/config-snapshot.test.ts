// The PCI config space's snapshot codec: random guest writes, saved and restored into a new
// space, read back the same and go on the same (BAR0, MSI state, the change reports); bytes a
// guest could not have written are refused with StateFormatError naming where.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { MSI_CAP_OFFSET, MSI_FLAGS, MSI_PENDING, MSI_VECTORS, PCI_BAR0, PCI_COMMAND, PCI_CONFIG_SPACE_SIZE } from '../../../abi/generated/machine.js';
import { loadPciConfig, savePciConfig } from '../../../shared/pci/config-snapshot.js';
import { type PciConfigChange, PciConfigSpace } from '../../../shared/pci/config-space.js';
import { StateFormatError } from '../../../shared/snapshot/state-bytes.js';

// Writes aimed at what a guest programs (command, BAR0, the MSI capability), and anywhere else.
const write = fc.oneof(
  fc.record({ offset: fc.constantFrom(PCI_COMMAND, PCI_BAR0, MSI_CAP_OFFSET + MSI_FLAGS), size: fc.constantFrom(2, 4), value: fc.nat() }),
  fc.record({ offset: fc.integer({ min: MSI_CAP_OFFSET, max: MSI_CAP_OFFSET + 0x14 }).map((o) => o & ~3), size: fc.constant(4), value: fc.nat() }),
  fc.record({ offset: fc.nat(PCI_CONFIG_SPACE_SIZE - 1), size: fc.constantFrom(1, 2, 4), value: fc.nat() }),
);
const step = fc.oneof(
  write.map((w) => ({ ...w, kind: 'write' as const })),
  fc.record({ kind: fc.constant('pending' as const), vector: fc.nat(MSI_VECTORS - 1), on: fc.boolean() }),
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** Byte-for-byte equality (toEqual on 4 KiB arrays is slow). */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

function apply(pci: PciConfigSpace, s: Step): void {
  if (s.kind === 'pending') pci.setPending(s.vector, s.on);
  else pci.write(s.offset - (s.offset % s.size), s.size, s.value % 2 ** (8 * s.size));
}

describe('PCI config snapshot', () => {
  it('a restored space reads and continues exactly as the original, its changes reported (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.array(step, { maxLength: 20 }), (before, after) => {
        const original = new PciConfigSpace();
        for (const s of before) apply(original, s);
        const log: PciConfigChange[] = [];
        const restored = new PciConfigSpace({ onChange: (c) => log.push(c) });
        loadPciConfig(restored, savePciConfig(original));
        expect(same(restored.saveBytes(), original.saveBytes())).toBe(true);
        expect(restored.msi()).toEqual(original.msi());
        expect(restored.bar0Address()).toBe(original.bar0Address());
        // The actor learns of the decode it must map, as after the guest's own writes.
        expect(log.some((c) => c.kind === 'bar0')).toBe(original.bar0Address() !== null);
        expect(log.some((c) => c.kind === 'msi')).toBe(original.msi().enabled);
        for (const s of after) {
          apply(original, s);
          apply(restored, s);
        }
        expect(same(restored.saveBytes(), original.saveBytes())).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  function refusal(bytes: Uint8Array): StateFormatError {
    try {
      loadPciConfig(new PciConfigSpace(), bytes);
    } catch (e) {
      if (e instanceof StateFormatError) return e;
      throw e;
    }
    throw new Error('accepted');
  }
  const good = savePciConfig(new PciConfigSpace());
  const HEAD = 12; // magic, version, length
  const poke = (offset: number, value: number): Uint8Array => {
    const b = good.slice();
    b[HEAD + offset] = value;
    return b;
  };

  it('refuses bits a guest cannot write, too many MSI vectors, and bad framing', () => {
    expect(refusal(poke(0, 0x12)).part).toBe('pci config: offset 0x0'); // vendor id
    expect(refusal(poke(PCI_BAR0, 0x01)).part).toBe(`pci config: offset 0x${PCI_BAR0.toString(16)}`); // BAR size bits
    expect(refusal(poke(MSI_CAP_OFFSET, 0x09)).reason).toMatch(/read-only bits/); // capability id
    expect(refusal(poke(MSI_CAP_OFFSET + MSI_FLAGS, good[HEAD + MSI_CAP_OFFSET + MSI_FLAGS]! | 0x70)).part).toBe('pci config: msi');
    expect(refusal(good.subarray(0, good.length - 1)).reason).toBe('truncated');
    expect(refusal(Uint8Array.from([...good, 0])).reason).toMatch(/after the state/);
    const b = good.slice();
    b[9] = 0x20; // length 4096 → 8192
    expect(refusal(b).reason).toMatch(/bytes, the config space has/);
    // The MSI pending bits are the device's: any value is taken.
    const pending = poke(MSI_CAP_OFFSET + MSI_PENDING, 0xa5);
    const pci = new PciConfigSpace();
    loadPciConfig(pci, pending);
    expect(pci.msi().pending).toBe(0xa5);
  });

  it('random corruption: refused with StateFormatError (nothing changed), or taken as the guest could have written it (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }), (flips) => {
        const bad = good.slice();
        for (const [at, x] of flips) bad[at]! ^= x;
        const pci = new PciConfigSpace();
        const before = pci.saveBytes();
        try {
          loadPciConfig(pci, bad);
          expect(same(pci.saveBytes(), bad.subarray(HEAD))).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(StateFormatError);
          expect(same(pci.saveBytes(), before)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('an MSI-X function (virtio-pci): Enable and Function Mask restored and reported; no MSI rules, and the bytes where MSI keeps pending bits are checked like any read-only byte', () => {
    const identity = { vendor: 0x1af4, device: 0x1052, classCode: 0x098000, bar0Size: 0x8000, msix: { vectors: 3, tableOffset: 0x4000, pbaOffset: 0x4800 } };
    const original = new PciConfigSpace({ identity });
    original.write(MSI_CAP_OFFSET + 2, 2, 0xc000);
    const saved = savePciConfig(original);
    const log: PciConfigChange[] = [];
    const restored = new PciConfigSpace({ identity, onChange: (c) => log.push(c) });
    loadPciConfig(restored, saved);
    expect(restored.msix()).toEqual({ enabled: true, functionMask: true });
    expect(log).toEqual([{ kind: 'msix', enabled: true, functionMask: true }]);
    const at = (offset: number, value: number) => {
      const b = saved.slice();
      b[12 + offset] = value;
      return b;
    };
    expect(() => loadPciConfig(new PciConfigSpace({ identity }), at(MSI_CAP_OFFSET + MSI_PENDING, 0xa5))).toThrow(StateFormatError);
    expect(() => loadPciConfig(new PciConfigSpace({ identity }), at(MSI_CAP_OFFSET + 2, 0x07))).toThrow(StateFormatError); // Table Size
  });
});
