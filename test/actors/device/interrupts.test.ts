// raiseInterrupt routing: an edge line's pulse and an MSI delivered by the device itself through
// the shared interrupt table (no controller hop); an MSI only while the guest enabled MSI,
// otherwise counted as dropped-while-disabled (PCI variant); a level line goes through the
// controller's mailbox, and a full mailbox never blocks.
import { describe, expect, it } from 'vitest';

import { InterruptRouter } from '../../../actors/device/interrupts.js';
import { MSI_CAP_OFFSET } from '../../../abi/generated/machine.js';
import { PciConfigSpace } from '../../../shared/pci/config-space.js';
import { IrqKind } from '../../../actors/irq/messages.js';
import { Mailbox, createMailboxBuffer } from '../../../shared/mailbox/mailbox.js';
import { newRecord } from '../../../shared/mailbox/record.js';
import { createInterruptTable, InterruptTable, type LineConfig } from '../../../shared/irq/interrupt-table.js';
import { FakeVcpu } from '../irq/fake-target.js';

/** A table of `lines` over two fake vCPUs (MSI address 0xfee01000 names vCPU 1). */
function tableOf(lines: LineConfig[] = []) {
  const cpus = [new FakeVcpu(), new FakeVcpu()];
  return { cpus, table: new InterruptTable(createInterruptTable(lines, cpus.length), cpus) };
}

const drain = (mb: Mailbox) => {
  const out: { kind: number; args: number[] }[] = [];
  const r = newRecord();
  while (mb.tryDequeue(r)) out.push({ kind: r.kind, args: Array.from(r.args.subarray(0, 3), (v) => v >>> 0) });
  return out;
};

describe('interrupt routing', () => {
  it('MMIO variant: an edge line is pulsed by the device itself, latched while masked, and the controller mailbox is not used', () => {
    const mb = new Mailbox(createMailboxBuffer({ capacity: 2 }), 'irq');
    const { cpus, table } = tableOf([{ trigger: 'edge', vcpu: 1, vector: 0x31 }]);
    const router = new InterruptRouter(mb, table, null);
    for (let i = 0; i < 3; i++) router.raise(0);
    expect(cpus[1]!.log).toEqual([0x31, 0x31, 0x31]);
    expect(table.line(0)).toMatchObject({ pulses: 3, deliveries: 3 });
    expect(table.counters().coalesced).toBe(2); // not taken between the pulses
    expect(router.delivered).toBe(3);
    expect(drain(mb)).toHaveLength(0);
    table.setMask(table.lineAt(0), 0, true);
    router.raise(0);
    router.raise(0);
    expect(cpus[1]!.log).toHaveLength(3);
    expect(table.line(0)).toMatchObject({ latched: true, maskedLatched: 2 });
    table.setMask(table.lineAt(0), 0, false);
    expect(cpus[1]!.log).toHaveLength(4); // the latch goes out once at the unmask
  });

  it('MMIO variant, level line: pulses go to the controller and wait (coalesced) while its mailbox is full', () => {
    const mb = new Mailbox(createMailboxBuffer({ capacity: 2 }), 'irq');
    const lines: LineConfig[] = [0, 1, 2, 3].map(() => ({ trigger: 'level', vcpu: 0, vector: 0x40 }));
    const router = new InterruptRouter(mb, tableOf(lines).table, null);
    for (let i = 0; i < 5; i++) router.raise(3);
    expect(router.raised).toBe(5);
    expect(router.delivered).toBe(2);
    expect(router.flush()).toBe(true); // still full
    expect(drain(mb).map((r) => [r.kind, r.args[0]])).toEqual([
      [IrqKind.LinePulse, 3],
      [IrqKind.LinePulse, 3],
    ]);
    expect(router.flush()).toBe(false); // the three pending pulses on one line coalesce into one
    expect(drain(mb)).toHaveLength(1);
  });

  it('PCI variant: MSI only when enabled, otherwise dropped and counted', () => {
    const mb = new Mailbox(createMailboxBuffer({ capacity: 8 }), 'irq');
    const pci = new PciConfigSpace();
    const { cpus, table } = tableOf();
    const router = new InterruptRouter(mb, table, pci);
    router.raise(0);
    expect(router.droppedWhileDisabled).toBe(1);
    expect(cpus[1]!.log).toHaveLength(0);
    pci.write(MSI_CAP_OFFSET + 4, 4, 0xfee01000);
    pci.write(MSI_CAP_OFFSET + 12, 2, 0x45);
    pci.write(MSI_CAP_OFFSET + 2, 2, pci.read(MSI_CAP_OFFSET + 2, 2) | 1);
    router.raise(0);
    // Straight to vCPU 1 (address bits 19:12), vector 0x45, counted as the controller would.
    expect(cpus[1]!.log).toEqual([0x45]);
    expect(table.counters()).toMatchObject({ msis: 1, msiDeliveries: 1 });
    expect(drain(mb)).toHaveLength(0);
    pci.write(MSI_CAP_OFFSET + 2, 2, pci.read(MSI_CAP_OFFSET + 2, 2) & ~1);
    router.raise(0);
    expect(router.droppedWhileDisabled).toBe(2);
    expect(router.delivered).toBe(1);
  });
});

describe('interrupt routing: several MSI vectors', () => {
  const FLAGS = MSI_CAP_OFFSET + 2;
  function pciRouter(enabledVectors: number, data: number) {
    const mb = new Mailbox(createMailboxBuffer({ capacity: 64 }), 'irq');
    const pci = new PciConfigSpace();
    const { cpus, table } = tableOf();
    const router = new InterruptRouter(mb, table, pci);
    pci.onChange = (c) => {
      if (c.kind === 'msi-mask') router.unmasked();
    };
    pci.write(MSI_CAP_OFFSET + 4, 4, 0xfee00000);
    pci.write(MSI_CAP_OFFSET + 12, 2, data);
    pci.write(FLAGS, 2, (pci.read(FLAGS, 2) & ~0x70) | (Math.log2(enabledVectors) << 4) | 1);
    const sent = () => cpus[0]!.log.splice(0);
    return { pci, router, table, sent, vectorsSent: () => sent().map((v) => v - (data & 0xff)) };
  }

  it('the vector PVG names goes out in the low bits of the data', () => {
    const { router, vectorsSent } = pciRouter(4, 0x80);
    for (const v of [0, 1, 2, 3]) router.raise(0, v);
    expect(vectorsSent()).toEqual([0, 1, 2, 3]);
    expect(router.delivered).toBe(4);
  });

  it('with fewer vectors enabled than the engine names, vectors fold into the enabled ones (the data keeps its other bits)', () => {
    const two = pciRouter(2, 0x80);
    for (const v of [0, 1, 2, 3, 31]) two.router.raise(0, v);
    expect(two.vectorsSent()).toEqual([0, 1, 0, 1, 1]);
    const one = pciRouter(1, 0x85); // one vector: the data as written, whatever its low bits
    for (const v of [0, 1, 2]) one.router.raise(0, v);
    expect(one.vectorsSent()).toEqual([0, 0, 0]);
    // Data with the enabled bits set: the vector replaces them, as the MSI spec has it.
    const odd = pciRouter(4, 0x83);
    odd.router.raise(0, 1);
    expect(odd.sent()).toEqual([0x81]);
  });

  it('a masked vector is held in its pending bit and goes out once when unmasked; others are not held', () => {
    const { pci, router, vectorsSent } = pciRouter(4, 0x80);
    pci.write(MSI_CAP_OFFSET + 0x10, 4, 0b0010); // mask vector 1
    router.raise(0, 1);
    router.raise(0, 1); // edges coalesce in the pending bit
    router.raise(0, 0);
    expect(vectorsSent()).toEqual([0]);
    expect(pci.msi().pending).toBe(0b0010);
    expect(router.heldWhileMasked).toBe(2);
    pci.write(MSI_CAP_OFFSET + 0x10, 4, 0b1000); // unmask 1, mask 3
    expect(vectorsSent()).toEqual([1]);
    expect(pci.msi().pending).toBe(0);
    router.raise(0, 3);
    router.raise(0, 7); // folds to 3 with 4 enabled: masked too
    expect(vectorsSent()).toEqual([]);
    // Disabled while pending: unmasking clears the bit and sends nothing.
    pci.write(FLAGS, 2, pci.read(FLAGS, 2) & ~1);
    pci.write(MSI_CAP_OFFSET + 0x10, 4, 0);
    expect(vectorsSent()).toEqual([]);
    expect(pci.msi().pending).toBe(0);
  });

  it('hostile config writes never send a message the guest did not configure', () => {
    const { pci, router, table, sent } = pciRouter(4, 0x80);
    for (let i = 0; i < 2000; i++) {
      // Any write to the capability (flags, address, data, mask, pending), any size, then a raise.
      const offset = MSI_CAP_OFFSET + Math.floor(Math.random() * 0x18);
      const size = [1, 2, 4][Math.floor(Math.random() * 3)]!;
      pci.write(offset - (offset % size), size, Math.floor(Math.random() * 2 ** (8 * size)));
      router.raise(0, Math.floor(Math.random() * 64));
      const msi = pci.msi();
      expect(msi.vectors).toBeLessThanOrEqual(32);
      // What went out carries the capability's data with at most the enabled vectors' bits
      // changed, to the vCPU its address names (vCPU 0 here; any other is counted as unknown).
      const addressed = Number((msi.address >> 12n) & 0xffn);
      for (const vector of sent()) {
        expect(addressed).toBe(0);
        expect(vector & ~(msi.vectors - 1) & 0xff).toBe(msi.data & ~(msi.vectors - 1) & 0xff);
      }
    }
    const c = table.counters();
    expect(c.msiDeliveries + c.invalidMsis + c.unknownTargets).toBe(c.msis);
    expect(router.raised).toBe(2000);
    // Every raise went out, was dropped (MSI disabled) or was held (masked); held ones may go out later too.
    expect(router.pending).toBe(false);
    expect(router.delivered + router.droppedWhileDisabled + router.heldWhileMasked).toBeGreaterThanOrEqual(router.raised);
  });
});
