// apple-gfx-pci configuration space: identity registers, BAR0 size probing and masking, the
// command register, MSI, sub-dword accesses, and hostile accesses (counted, never thrown).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  BAR0_SIZE,
  MSI_ADDRESS_HI,
  MSI_ADDRESS_LO,
  MSI_CAP_OFFSET,
  MSI_DATA,
  MSI_FLAGS,
  MSI_MASK,
  MSI_PENDING,
  MSI_VECTORS,
  PCI_BAR0,
  PCI_COMMAND,
  PCI_CONFIG_SPACE_SIZE,
} from '../../../abi/generated/machine.js';
import { PciConfigSpace, type PciConfigChange } from '../../../shared/pci/config-space.js';

function withLog(): { pci: PciConfigSpace; log: PciConfigChange[] } {
  const log: PciConfigChange[] = [];
  return { pci: new PciConfigSpace({ onChange: (c) => log.push(c) }), log };
}

const MSI = MSI_CAP_OFFSET;

describe('PCI config space: header', () => {
  it('identifies as Apple 0xEEEE, display/other, revision 1, type 0, with a capability list', () => {
    const pci = new PciConfigSpace();
    expect(pci.read(0x00, 4)).toBe(0xeeee106b);
    expect(pci.read(0x00, 2)).toBe(0x106b);
    expect(pci.read(0x02, 2)).toBe(0xeeee);
    expect(pci.read(0x08, 4)).toBe(0x03800001); // class 03, subclass 80, prog-if 00, revision 01
    expect(pci.read(0x0e, 1)).toBe(0x00);
    expect(pci.read(0x06, 2) & 0x10).toBe(0x10);
    expect(pci.read(0x34, 1)).toBe(MSI);
    expect(pci.read(0x3d, 1)).toBe(0); // no INTx pin: MSI only
    for (const off of [0x14, 0x18, 0x1c, 0x20, 0x24, 0x30]) expect(pci.read(off, 4)).toBe(0); // BARs 1-5, ROM
  });

  it('ignores writes to read-only registers', () => {
    const { pci, log } = withLog();
    for (const off of [0x00, 0x08, 0x0c, 0x14, 0x2c, 0x34]) pci.write(off, 4, 0xffffffff);
    pci.write(0x06, 2, 0xffff); // status
    expect(pci.read(0x00, 4)).toBe(0xeeee106b);
    expect(pci.read(0x08, 4)).toBe(0x03800001);
    expect(pci.read(0x14, 4)).toBe(0);
    expect(pci.read(0x06, 2)).toBe(0x10);
    expect(pci.read(0x34, 1)).toBe(MSI);
    expect(log).toEqual([]);
    expect(pci.stats().badAccesses).toBe(0);
  });

  it('makes only memory-space and bus-master writable in the command register', () => {
    const { pci, log } = withLog();
    pci.write(PCI_COMMAND, 2, 0xffff);
    expect(pci.read(PCI_COMMAND, 2)).toBe(0x0006);
    expect(pci.busMaster()).toBe(true);
    expect(log).toEqual([{ kind: 'bus-master', enabled: true }]); // BAR still 0: no decode change
    pci.write(PCI_COMMAND, 2, 0x0002);
    expect(pci.read(PCI_COMMAND, 2)).toBe(0x0002);
    expect(log.at(-1)).toEqual({ kind: 'bus-master', enabled: false });
  });

  it('keeps the interrupt line writable and everything beyond the header and the MSI capability zero', () => {
    const pci = new PciConfigSpace();
    pci.write(0x3c, 1, 0x0b);
    expect(pci.read(0x3c, 2)).toBe(0x000b);
    for (const off of [0x58, 0x80, 0xfc, 0x100, 0x800, PCI_CONFIG_SPACE_SIZE - 4]) {
      pci.write(off, 4, 0xffffffff);
      expect(pci.read(off, 4)).toBe(0);
    }
    expect(pci.stats().badAccesses).toBe(0); // reserved space is a valid place to access
  });
});

describe('PCI config space: BAR0', () => {
  it('answers size probing with the 16 KiB mask and restores the address', () => {
    const pci = new PciConfigSpace();
    pci.write(PCI_BAR0, 4, 0xffffffff);
    expect(pci.read(PCI_BAR0, 4)).toBe(0xffffc000);
    const size = (~pci.read(PCI_BAR0, 4) >>> 0) + 1; // the way an OS computes it (type bits are 0)
    expect(size).toBe(BAR0_SIZE);
    pci.write(PCI_BAR0, 4, 0xfebf0000);
    expect(pci.read(PCI_BAR0, 4)).toBe(0xfebf0000);
  });

  it('masks writes to 16 KiB alignment and keeps the type bits (32-bit, non-prefetchable memory)', () => {
    const pci = new PciConfigSpace();
    pci.write(PCI_BAR0, 4, 0xfebf3fff);
    expect(pci.read(PCI_BAR0, 4)).toBe(0xfebf0000);
    pci.write(PCI_BAR0, 4, 0x0000000f);
    expect(pci.read(PCI_BAR0, 4)).toBe(0);
  });

  it('decodes only when memory space is on and the BAR is non-zero, and reports every change', () => {
    const { pci, log } = withLog();
    expect(pci.bar0Address()).toBeNull();
    pci.write(PCI_BAR0, 4, 0xfe000000);
    expect(pci.bar0Address()).toBeNull(); // memory space off
    expect(log).toEqual([]);
    pci.write(PCI_COMMAND, 2, 0x0002);
    expect(pci.bar0Address()).toBe(0xfe000000);
    pci.write(PCI_BAR0 + 2, 2, 0xfd00); // move with a word write to the upper half
    expect(pci.bar0Address()).toBe(0xfd000000);
    pci.write(PCI_BAR0, 4, 0);
    expect(pci.bar0Address()).toBeNull();
    pci.write(PCI_BAR0, 4, 0xfd000000);
    pci.write(PCI_COMMAND, 2, 0);
    expect(log).toEqual([
      { kind: 'bar0', address: 0xfe000000, previous: null },
      { kind: 'bar0', address: 0xfd000000, previous: 0xfe000000 },
      { kind: 'bar0', address: null, previous: 0xfd000000 },
      { kind: 'bar0', address: 0xfd000000, previous: null },
      { kind: 'bar0', address: null, previous: 0xfd000000 },
    ]);
    pci.write(PCI_BAR0, 4, 0xfd000000); // same value: no change, no event
    expect(log.length).toBe(5);
  });

  it('handles byte writes into the middle of the BAR dword', () => {
    const pci = new PciConfigSpace();
    pci.write(PCI_BAR0 + 1, 1, 0xff); // bits 8-15: only 14 and 15 are writable
    expect(pci.read(PCI_BAR0, 4)).toBe(0x0000c000);
    pci.write(PCI_BAR0 + 3, 1, 0xab);
    expect(pci.read(PCI_BAR0, 4)).toBe(0xab00c000);
    expect(pci.read(PCI_BAR0 + 2, 2)).toBe(0xab00);
    expect(pci.read(PCI_BAR0 + 1, 1)).toBe(0xc0);
  });
});

describe('PCI config space: MSI', () => {
  it('is a 64-bit MSI capability offering 32 vectors with per-vector masking, one enabled, at the end of the list', () => {
    const pci = new PciConfigSpace();
    expect(pci.read(MSI, 1)).toBe(0x05);
    expect(pci.read(MSI + 1, 1)).toBe(0x00);
    // 64-bit (bit 7), per-vector masking (bit 8), Multiple Message Capable 5 (bits 3:1: 32 vectors).
    expect(pci.read(MSI + MSI_FLAGS, 2)).toBe(0x018a);
    expect(MSI_VECTORS).toBe(32);
    expect(pci.msi()).toEqual({ enabled: false, address: 0n, data: 0, vectors: 1, mask: 0, pending: 0 });
  });

  it('the guest enables fewer vectors than offered (Multiple Message Enable); above what is offered reads as the most offered', () => {
    const pci = new PciConfigSpace();
    for (const [mme, vectors] of [
      [0, 1],
      [1, 2],
      [2, 4],
      [3, 8],
      [4, 16],
      [5, 32],
      [6, 32], // reserved encodings: clamped to Multiple Message Capable, as QEMU's msi_write_config does
      [7, 32],
    ] as const) {
      pci.write(MSI + MSI_FLAGS, 2, 0x018a | (mme << 4));
      expect(pci.msi().vectors).toBe(vectors);
      expect((pci.read(MSI + MSI_FLAGS, 2) >> 1) & 7).toBe(5); // Capable stays read-only
    }
    pci.write(MSI + MSI_FLAGS, 1, 0x20); // a byte write reaches Enable too
    expect(pci.msi().vectors).toBe(4);
  });

  it('mask bits are read-write for all 32 vectors, pending bits only the device sets; mask changes are reported', () => {
    const { pci, log } = withLog();
    pci.write(MSI + MSI_MASK, 4, 0xffffffff);
    pci.write(MSI + MSI_PENDING, 4, 0xffffffff); // read-only to the guest
    expect(pci.msi()).toMatchObject({ mask: 0xffffffff, pending: 0 });
    pci.setPending(31, true);
    pci.setPending(2, true);
    expect(pci.read(MSI + MSI_PENDING, 4)).toBe(0x80000004);
    pci.setPending(31, false);
    expect(pci.msi().pending).toBe(4);
    pci.write(MSI + MSI_MASK + 1, 1, 0); // a byte of mask bits
    expect(pci.msi().mask).toBe(0xffff00ff);
    expect(log).toEqual([
      { kind: 'msi-mask', mask: 0xffffffff },
      { kind: 'msi-mask', mask: 0xffff00ff },
    ]);
    expect(() => pci.setPending(32, true)).toThrow(RangeError);
  });

  it('programs address and data and toggles enable, reporting enable changes only', () => {
    const { pci, log } = withLog();
    pci.write(MSI + MSI_ADDRESS_LO, 4, 0xfee01007); // low two bits are reserved
    pci.write(MSI + MSI_ADDRESS_HI, 4, 0x00000001);
    pci.write(MSI + MSI_DATA, 2, 0x4041);
    expect(log).toEqual([]);
    pci.write(MSI + MSI_FLAGS, 2, 0xffff); // enable and Multiple Message Enable (clamped to 5) stick; the rest is fixed
    expect(pci.read(MSI + MSI_FLAGS, 2)).toBe(0x01db);
    expect(pci.msi()).toEqual({ enabled: true, address: 0x1_fee01004n, data: 0x4041, vectors: 32, mask: 0, pending: 0 });
    pci.write(MSI + MSI_FLAGS, 1, 0);
    expect(pci.msi().enabled).toBe(false);
    expect(log).toEqual([
      { kind: 'msi', enabled: true },
      { kind: 'msi', enabled: false },
    ]);
    pci.write(MSI + MSI_DATA + 2, 2, 0xffff); // the reserved half of the data dword
    expect(pci.read(MSI + MSI_DATA, 4)).toBe(0x4041);
  });

  it('takes byte writes into the address registers', () => {
    const pci = new PciConfigSpace();
    pci.write(MSI + MSI_ADDRESS_LO + 3, 1, 0xfe);
    pci.write(MSI + MSI_ADDRESS_LO + 2, 1, 0xe0);
    pci.write(MSI + MSI_ADDRESS_HI + 3, 1, 0x80);
    expect(pci.msi().address).toBe(0x80000000_fee00000n);
  });
});

describe('PCI config space: hostile accesses', () => {
  it('answers bad reads with all-ones and ignores bad writes, counting both', () => {
    const { pci, log } = withLog();
    expect(pci.read(0x01, 2)).toBe(0xffff); // misaligned
    expect(pci.read(0x02, 4)).toBe(0xffffffff);
    expect(pci.read(0x00, 3)).toBe(0xffffffff); // bad size
    expect(pci.read(0x00, 8)).toBe(0xffffffff);
    expect(pci.read(PCI_CONFIG_SPACE_SIZE, 1)).toBe(0xff);
    expect(pci.read(-1, 1)).toBe(0xff);
    expect(pci.read(1.5, 1)).toBe(0xff);
    expect(pci.read(Number.NaN, 4)).toBe(0xffffffff);
    pci.write(PCI_COMMAND + 1, 2, 0xffff); // misaligned
    pci.write(PCI_COMMAND, 2, 0x10000); // too wide for the size
    pci.write(PCI_COMMAND, 2, -1);
    pci.write(PCI_COMMAND, 2, 2.5);
    pci.write(PCI_COMMAND, 3, 6);
    pci.write(PCI_CONFIG_SPACE_SIZE - 2, 4, 0);
    expect(pci.read(PCI_COMMAND, 2)).toBe(0);
    expect(pci.stats().badAccesses).toBe(14);
    expect(log).toEqual([]);
  });

  it('never throws and keeps its invariants under random accesses', () => {
    const pci = new PciConfigSpace();
    const access = fc.record({
      write: fc.boolean(),
      offset: fc.oneof(
        fc.integer({ min: 0, max: 0x60 }),
        fc.integer({ min: MSI, max: MSI + 0x18 }),
        fc.integer({ min: -4, max: PCI_CONFIG_SPACE_SIZE + 4 }),
        fc.constantFrom(1.5, Number.NaN),
      ),
      size: fc.constantFrom(1, 2, 4, 4, 3, 8, 0),
      value: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(-1, 2 ** 40, 0.5)),
    });
    fc.assert(
      fc.property(fc.array(access, { maxLength: 100 }), (accesses) => {
        for (const a of accesses) {
          if (a.write) pci.write(a.offset, a.size, a.value);
          else {
            const v = pci.read(a.offset, a.size);
            expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
          }
        }
        expect(pci.read(0, 4)).toBe(0xeeee106b);
        expect(pci.read(PCI_BAR0, 4) & 0x3fff).toBe(0);
        expect(pci.read(PCI_COMMAND, 2) & ~0x6).toBe(0);
        expect(pci.read(MSI + MSI_FLAGS, 2) & ~0x71).toBe(0x18a);
        expect(pci.msi().vectors).toBeLessThanOrEqual(MSI_VECTORS);
        expect(pci.msi().pending).toBe(0); // nothing the guest writes sets a pending bit
        const bar = pci.bar0Address();
        expect(bar === null || (bar % BAR0_SIZE === 0 && bar > 0)).toBe(true);
      }),
    );
  });

  it('reset restores power-on values and reports what that changed', () => {
    const { pci, log } = withLog();
    pci.write(PCI_BAR0, 4, 0xfe000000);
    pci.write(PCI_COMMAND, 2, 0x0006);
    pci.write(MSI + MSI_FLAGS, 2, 1);
    log.length = 0;
    pci.reset();
    expect(pci.read(PCI_BAR0, 4)).toBe(0);
    expect(pci.read(PCI_COMMAND, 2)).toBe(0);
    expect(log).toEqual([
      { kind: 'bar0', address: null, previous: 0xfe000000 },
      { kind: 'bus-master', enabled: false },
      { kind: 'msi', enabled: false },
    ]);
  });
});
