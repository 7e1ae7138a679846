// MSI-X: the capability in config space (Message Control, Table and PBA Offset/BIR), and the table
// and PBA in BAR0 — 16-byte entries, per-vector and function masking, pending bits set while
// masked and sent once on unmask, DWORD and QWORD accesses, reset, hostile accesses (sizes,
// alignment, the PBA written, offsets past the table), and the saved state with its checks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  MSI_CAP_OFFSET,
  MSIX_CAP_ID,
  MSIX_FLAGS,
  MSIX_FLAGS_ENABLE,
  MSIX_FLAGS_MASKALL,
  MSIX_PBA,
  MSIX_TABLE,
  PCI_CAPABILITY_LIST,
} from '../../../abi/generated/machine.js';
import { PciConfigSpace, type PciConfigChange, type PciIdentity } from '../../../shared/pci/config-space.js';
import { MsixTable } from '../../../shared/pci/msix.js';

const TABLE = 0x4000;
const PBA = 0x4800;
const CTRL = MSI_CAP_OFFSET + MSIX_FLAGS;

function identity(vectors = 3): PciIdentity {
  return { vendor: 0x1af4, device: 0x1052, classCode: 0x098000, bar0Size: 0x8000, msix: { vectors, tableOffset: TABLE, pbaOffset: PBA } };
}

function rig(vectors = 3): { pci: PciConfigSpace; msix: MsixTable; sent: { address: number; data: number }[]; log: PciConfigChange[] } {
  const sent: { address: number; data: number }[] = [];
  const log: PciConfigChange[] = [];
  let msix: MsixTable | null = null;
  const pci = new PciConfigSpace({
    identity: identity(vectors),
    onChange: (c) => {
      log.push(c);
      if (c.kind === 'msix') msix!.controlChanged();
    },
  });
  msix = new MsixTable(pci, { msi: (address, data) => sent.push({ address, data }) });
  return { pci, msix, sent, log };
}

/** Programs entry v (address, data) and sets its mask bit as given. */
function program(msix: MsixTable, v: number, address: number, data: number, masked: boolean): void {
  expect(msix.write(TABLE + 16 * v, 4, address)).toBeNull();
  expect(msix.write(TABLE + 16 * v + 4, 4, 0)).toBeNull();
  expect(msix.write(TABLE + 16 * v + 8, 4, data)).toBeNull();
  expect(msix.write(TABLE + 16 * v + 12, 4, masked ? 1 : 0)).toBeNull();
}

const control = (pci: PciConfigSpace, bits: number) => pci.write(CTRL, 2, bits);

describe('MSI-X capability', () => {
  it('sits at 0x40 in place of MSI: id 0x11, Table Size - 1, table and PBA in BAR0, Enable and Function Mask clear', () => {
    const { pci } = rig(3);
    expect(pci.read(PCI_CAPABILITY_LIST, 1)).toBe(MSI_CAP_OFFSET);
    expect(pci.read(MSI_CAP_OFFSET, 1)).toBe(MSIX_CAP_ID);
    expect(pci.read(CTRL, 2)).toBe(2);
    expect(pci.read(MSI_CAP_OFFSET + MSIX_TABLE, 4)).toBe(TABLE); // BIR 0
    expect(pci.read(MSI_CAP_OFFSET + MSIX_PBA, 4)).toBe(PBA);
    expect(pci.msix()).toEqual({ enabled: false, functionMask: false });
    expect(pci.msi().enabled).toBe(false); // no MSI on this function
    expect(() => pci.setPending(0, true)).toThrow(/MSI-X/);
  });

  it('lets the guest write only Enable and Function Mask, and reports their changes', () => {
    const { pci, log } = rig(3);
    pci.write(CTRL, 2, 0xffff);
    expect(pci.read(CTRL, 2)).toBe(MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL | 2);
    pci.write(MSI_CAP_OFFSET + MSIX_TABLE, 4, 0xffffffff);
    pci.write(MSI_CAP_OFFSET + MSIX_PBA, 4, 0);
    pci.write(MSI_CAP_OFFSET, 2, 0);
    expect(pci.read(MSI_CAP_OFFSET + MSIX_TABLE, 4)).toBe(TABLE);
    expect(pci.read(MSI_CAP_OFFSET + MSIX_PBA, 4)).toBe(PBA);
    expect(pci.read(MSI_CAP_OFFSET, 1)).toBe(MSIX_CAP_ID);
    // A byte write to Message Control's upper byte alone (Linux's pci_msix_clear_and_set_ctrl writes the word, others may not).
    pci.write(CTRL + 1, 1, 0x80);
    expect(pci.msix()).toEqual({ enabled: true, functionMask: false });
    expect(log.filter((c) => c.kind === 'msix')).toEqual([
      { kind: 'msix', enabled: true, functionMask: true },
      { kind: 'msix', enabled: true, functionMask: false },
    ]);
    pci.reset();
    expect(pci.msix()).toEqual({ enabled: false, functionMask: false });
  });

  it('refuses a layout that cannot be: no vectors, too many, misaligned, outside BAR0, table and PBA overlapping', () => {
    const bad = (msix: NonNullable<PciIdentity['msix']>) => () => new PciConfigSpace({ identity: { ...identity(), msix } });
    expect(bad({ vectors: 0, tableOffset: TABLE, pbaOffset: PBA })).toThrow(RangeError);
    expect(bad({ vectors: 2049, tableOffset: 0, pbaOffset: 0x7ff8 })).toThrow(RangeError);
    expect(bad({ vectors: 3, tableOffset: TABLE + 4, pbaOffset: PBA })).toThrow(RangeError);
    expect(bad({ vectors: 3, tableOffset: 0x7ff0, pbaOffset: PBA })).toThrow(RangeError);
    expect(bad({ vectors: 3, tableOffset: TABLE, pbaOffset: TABLE + 0x20 })).toThrow(RangeError);
    expect(() => new MsixTable(new PciConfigSpace(), { msi: () => {} })).toThrow(/MSI, not MSI-X/);
  });
});

describe('MSI-X table and PBA', () => {
  it('starts with every entry zero and masked, nothing pending; entries read back what was written (address dword-aligned, control its mask bit)', () => {
    const { msix } = rig(3);
    for (let v = 0; v < 3; v++) {
      expect([0, 4, 8, 12].map((o) => msix.read(TABLE + 16 * v + o, 4))).toEqual([0, 0, 0, 1]);
      expect(msix.masked(v)).toBe(true);
    }
    expect(msix.read(PBA, 4)).toBe(0);
    expect(msix.read(PBA + 4, 4)).toBe(0); // the PBA is a whole QWORD
    msix.write(TABLE + 16, 4, 0xfee0_1003);
    msix.write(TABLE + 16 + 4, 4, 0xffff_ffff);
    msix.write(TABLE + 16 + 8, 4, 0xdead_beef);
    msix.write(TABLE + 16 + 12, 4, 0xffff_fffe);
    expect([0, 4, 8, 12].map((o) => msix.read(TABLE + 16 + o, 4))).toEqual([0xfee0_1000, 0xffff_ffff, 0xdead_beef, 0]);
  });

  it('sends an unmasked vector at once to its entry, and nothing while MSI-X is off (no pending bit either)', () => {
    const { pci, msix, sent } = rig(3);
    program(msix, 2, 0xfee0_2000, 0x45, false);
    expect(msix.signal(2)).toBe('disabled');
    expect(msix.pending(2)).toBe(false);
    control(pci, MSIX_FLAGS_ENABLE);
    expect(sent).toEqual([]);
    expect(msix.signal(2)).toBe('sent');
    expect(sent).toEqual([{ address: 0xfee0_2000, data: 0x45 }]);
    expect(() => msix.signal(3)).toThrow(RangeError); // the caller checks vectors: a wrong one is a host bug
  });

  it('masked → pending → unmask delivers exactly once, by the vector mask bit and by Function Mask', () => {
    const { pci, msix, sent } = rig(3);
    control(pci, MSIX_FLAGS_ENABLE);
    program(msix, 1, 0xfee0_0000, 0x61, true);
    expect(msix.signal(1)).toBe('masked');
    expect(msix.signal(1)).toBe('masked'); // two raises while masked: one pending bit
    expect(msix.read(PBA, 4)).toBe(0b10);
    expect(sent).toEqual([]);
    msix.write(TABLE + 16 + 12, 4, 0); // unmask
    expect(sent).toEqual([{ address: 0xfee0_0000, data: 0x61 }]);
    expect(msix.read(PBA, 4)).toBe(0);
    msix.write(TABLE + 16 + 12, 4, 0); // unmasking again sends nothing more
    expect(sent).toHaveLength(1);

    control(pci, MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL);
    expect(msix.signal(1)).toBe('masked');
    expect(msix.signal(0)).toBe('masked'); // entry 0 is masked too (its own bit)
    expect(msix.read(PBA, 4)).toBe(0b11);
    control(pci, MSIX_FLAGS_ENABLE); // Function Mask off: vector 1 goes, vector 0 stays pending behind its own mask
    expect(sent).toHaveLength(2);
    expect(msix.read(PBA, 4)).toBe(0b01);
    program(msix, 0, 0xfee0_1000, 0x60, false);
    expect(sent.at(-1)).toEqual({ address: 0xfee0_1000, data: 0x60 });
    expect(msix.read(PBA, 4)).toBe(0);
    expect(sent).toHaveLength(3);
  });

  it('holds a vector pending across MSI-X off and sends it when enabled again unmasked (QEMU: off counts as function-masked)', () => {
    const { pci, msix, sent } = rig(3);
    control(pci, MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL);
    program(msix, 0, 0xfee0_0000, 0x50, false);
    expect(msix.signal(0)).toBe('masked');
    control(pci, 0);
    expect(sent).toEqual([]);
    control(pci, MSIX_FLAGS_ENABLE);
    expect(sent).toEqual([{ address: 0xfee0_0000, data: 0x50 }]);
  });

  it('a table write while enabled and unmasked takes effect for the next message and sends nothing by itself', () => {
    const { pci, msix, sent } = rig(3);
    control(pci, MSIX_FLAGS_ENABLE);
    program(msix, 0, 0xfee0_0000, 0x50, false);
    msix.write(TABLE + 8, 4, 0x51);
    msix.write(TABLE, 4, 0xfee0_3000);
    expect(sent).toEqual([]);
    msix.signal(0);
    expect(sent).toEqual([{ address: 0xfee0_3000, data: 0x51 }]);
  });

  it('a pending vector whose entry changed while masked goes to the new address when unmasked', () => {
    const { pci, msix, sent } = rig(3);
    control(pci, MSIX_FLAGS_ENABLE);
    program(msix, 2, 0xfee0_0000, 0x52, true);
    msix.signal(2);
    msix.write(TABLE + 32, 4, 0xfee0_5000);
    msix.write(TABLE + 32 + 8, 4, 0x53);
    msix.write(TABLE + 32 + 12, 4, 0);
    expect(sent).toEqual([{ address: 0xfee0_5000, data: 0x53 }]);
  });

  it('refuses accesses that are not aligned DWORDs, past the table or PBA, and writes to the PBA', () => {
    const { pci, msix, sent } = rig(3);
    control(pci, MSIX_FLAGS_ENABLE);
    program(msix, 0, 0xfee0_0000, 0x50, true);
    msix.signal(0);
    for (const size of [0, 1, 2, 3, 5, 6, 7, 16]) {
      expect(msix.read(TABLE, size)).toBe('bad-access-size');
      expect(msix.write(TABLE + 8, size, 0)).toBe('bad-access-size');
    }
    expect(msix.read(TABLE + 2, 4)).toBe('bad-access-size');
    expect(msix.write(TABLE + 13, 4, 0)).toBe('bad-access-size');
    // A QWORD must be 8-aligned: one at a DWORD boundary (here Vector Control and the next entry's address) is refused whole.
    expect(msix.read(TABLE + 4, 8)).toBe('bad-access-size');
    expect(msix.write(TABLE + 12, 8, 0, 0)).toBe('bad-access-size');
    expect(msix.read(PBA + 4, 8)).toBe('bad-access-size');
    expect(msix.read(TABLE + 48, 8)).toBe('unknown-register');
    expect(msix.write(PBA, 8, 0, 0)).toBe('write-to-read-only');
    expect(msix.read(TABLE + 48, 4)).toBe('unknown-register'); // past 3 entries
    expect(msix.write(TABLE + 48 + 12, 4, 0)).toBe('unknown-register');
    expect(msix.read(PBA + 8, 4)).toBe('unknown-register');
    expect(msix.read(TABLE + 0.5, 4)).toBe('unknown-register');
    expect(msix.write(PBA, 4, 0)).toBe('write-to-read-only');
    expect(msix.read(PBA, 4)).toBe(1); // still pending
    expect(msix.masked(0)).toBe(true); // the refused control writes changed nothing
    expect(sent).toEqual([]);
    expect(msix.owns(TABLE + 47)).toBe(true);
    expect(msix.owns(TABLE + 48)).toBe(false);
  });

  it('takes aligned QWORDs as two DWORDs, the lower first (PCI 3.0 §6.8.2; QEMU since "msix: allow qword MSI-X table accesses")', () => {
    const { pci, msix, sent } = rig(3);
    const halves = new Uint32Array(2);
    // Message Address as one QWORD, read back as one (and as its two DWORDs); the low two bits are not writable.
    expect(msix.write(TABLE + 16, 8, 0xfee0_1003, 0x1234)).toBeNull();
    expect(msix.readHalves(TABLE + 16, 8, halves)).toBeNull();
    expect([...halves]).toEqual([0xfee0_1000, 0x1234]);
    expect([msix.read(TABLE + 16, 4), msix.read(TABLE + 20, 4)]).toEqual([0xfee0_1000, 0x1234]);
    expect(msix.read(TABLE + 16, 8)).toBe(0xfee0_1000); // read() gives a QWORD's low half
    expect(msix.readHalves(TABLE + 16 + 4, 4, halves)).toBeNull();
    expect([...halves]).toEqual([0x1234, 0]); // a DWORD has no high half

    // Message Data and Vector Control as one QWORD: the data lands before the unmask, so the pending message carries it.
    control(pci, MSIX_FLAGS_ENABLE);
    program(msix, 0, 0xfee0_0000, 0x50, true);
    expect(msix.signal(0)).toBe('masked');
    expect(msix.write(TABLE + 8, 8, 0x58, 0xffff_fffe)).toBeNull(); // control's reserved bits ignored, mask bit 0
    expect(sent).toEqual([{ address: 0xfee0_0000, data: 0x58 }]);
    expect(msix.readHalves(TABLE + 8, 8, halves)).toBeNull();
    expect([...halves]).toEqual([0x58, 0]);
    // Masking again through the QWORD, with new data: nothing is sent.
    expect(msix.write(TABLE + 8, 8, 0x59, 1)).toBeNull();
    expect(msix.masked(0)).toBe(true);
    expect(sent).toHaveLength(1);
  });

  it("reads a masked vector's pending bit in the PBA as one QWORD, in either half", () => {
    const { pci, msix, sent } = rig(40);
    const halves = new Uint32Array(2);
    control(pci, MSIX_FLAGS_ENABLE);
    program(msix, 3, 0xfee0_0000, 0x63, true);
    program(msix, 35, 0xfee0_0000, 0x73, true);
    msix.signal(3);
    msix.signal(35);
    expect(msix.readHalves(PBA, 8, halves)).toBeNull();
    expect([...halves]).toEqual([1 << 3, 1 << (35 - 32)]);
    expect(msix.write(TABLE + 16 * 35 + 8, 8, 0x74, 0)).toBeNull(); // unmask 35 through a QWORD
    expect(sent).toEqual([{ address: 0xfee0_0000, data: 0x74 }]);
    expect(msix.readHalves(PBA, 8, halves)).toBeNull();
    expect([...halves]).toEqual([1 << 3, 0]);
  });

  it('reset: entries zero and masked, pending dropped; clearPending drops only the pending bits', () => {
    const { pci, msix, sent } = rig(3);
    control(pci, MSIX_FLAGS_ENABLE);
    program(msix, 1, 0xfee0_0000, 0x61, true);
    msix.signal(1);
    msix.clearPending();
    expect(msix.pending(1)).toBe(false);
    expect(msix.read(TABLE + 16 + 8, 4)).toBe(0x61);
    msix.signal(1);
    pci.reset();
    msix.reset();
    expect(msix.read(TABLE + 16 + 8, 4)).toBe(0);
    expect(msix.read(TABLE + 16 + 12, 4)).toBe(1);
    expect(msix.read(PBA, 4)).toBe(0);
    control(pci, MSIX_FLAGS_ENABLE);
    msix.write(TABLE + 16 + 12, 4, 0);
    expect(sent).toEqual([]); // nothing pending survived the reset
  });

  it('larger tables: vectors above 31 have their bits in the next PBA word', () => {
    const { pci, msix, sent } = rig(40);
    control(pci, MSIX_FLAGS_ENABLE);
    program(msix, 37, 0xfee0_0000, 0x77, true);
    msix.signal(37);
    expect(msix.read(PBA, 4)).toBe(0);
    expect(msix.read(PBA + 4, 4)).toBe(1 << 5);
    msix.write(TABLE + 16 * 37 + 12, 4, 0);
    expect(sent).toEqual([{ address: 0xfee0_0000, data: 0x77 }]);
  });

  it('saves and restores its state; a restore checks everything first and sends what is due', () => {
    const a = rig(3);
    control(a.pci, MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL);
    program(a.msix, 1, 0xfee0_1000, 0x61, false);
    a.msix.signal(1);
    const state = a.msix.saveState();
    expect(state.pending).toEqual([0b10]);

    const b = rig(3);
    b.pci.loadBytes(a.pci.saveBytes());
    const refused = [
      { ...state, entries: state.entries.slice(1) },
      { ...state, pending: [] },
      { ...state, entries: state.entries.map((w, i) => (i === 3 ? 2 : w)) }, // a reserved Vector Control bit
      { ...state, entries: state.entries.map((w, i) => (i === 0 ? 0xfee0_0001 : w)) }, // an unaligned address
      { ...state, entries: state.entries.map((w, i) => (i === 2 ? 2 ** 32 : w)) },
      { ...state, pending: [0b1000] }, // vector 3 does not exist
    ];
    for (const s of refused) expect(() => b.msix.loadState(s)).toThrow(RangeError);
    expect(b.msix.read(TABLE + 16 + 8, 4)).toBe(0); // nothing changed
    expect(b.msix.loadState(state)).toBe(0); // Function Mask still on: stays pending
    expect(b.msix.saveState()).toEqual(state);
    control(b.pci, MSIX_FLAGS_ENABLE);
    expect(b.sent).toEqual([{ address: 0xfee0_1000, data: 0x61 }]);
  });

  it('property: against a model of the pending set — sent only while unmasked, pending only while masked, each masked raise sent exactly once on unmask', () => {
    const action = fc.oneof(
      fc.record({
        op: fc.constant('control' as const),
        bits: fc.constantFrom(0, MSIX_FLAGS_ENABLE, MSIX_FLAGS_MASKALL, MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL),
      }),
      fc.record({
        op: fc.constant('write' as const),
        offset: fc.integer({ min: TABLE - 4, max: PBA + 12 }),
        size: fc.constantFrom(1, 2, 4, 8),
        value: fc.nat(),
        high: fc.nat(),
      }),
      fc.record({ op: fc.constant('mask' as const), vector: fc.integer({ min: 0, max: 2 }), masked: fc.boolean() }),
      fc.record({ op: fc.constant('signal' as const), vector: fc.integer({ min: 0, max: 2 }) }),
    );
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), (actions) => {
        const { pci, msix, sent } = rig(3);
        const model = new Set<number>();
        for (const a of actions) {
          const before = sent.length;
          if (a.op === 'signal') {
            const due = pci.msix()!.enabled && !msix.masked(a.vector);
            expect(msix.signal(a.vector)).toBe(!pci.msix()!.enabled ? 'disabled' : due ? 'sent' : 'masked');
            if (pci.msix()!.enabled && !due) model.add(a.vector);
            expect(sent.length - before).toBe(due ? 1 : 0);
          } else {
            if (a.op === 'control') control(pci, a.bits);
            else if (a.op === 'write') msix.write(a.offset, a.size, a.value, a.high);
            else msix.write(TABLE + 16 * a.vector + 12, 4, a.masked ? 1 : 0);
            // Whatever stopped being masked and was pending went out, once; nothing else did.
            const released = [...model].filter((v) => !msix.masked(v));
            for (const v of released) model.delete(v);
            expect(sent.length - before).toBe(released.length);
          }
          for (let v = 0; v < 3; v++) expect(msix.pending(v)).toBe(model.has(v));
        }
      }),
      { numRuns: 300 },
    );
  });
});
