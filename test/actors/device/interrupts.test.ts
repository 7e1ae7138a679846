// raiseInterrupt routing: a line pulse (MMIO variant); an MSI only while the guest enabled MSI,
// otherwise counted as dropped-while-disabled (PCI variant); a full controller mailbox never blocks.
import { describe, expect, it } from 'vitest';

import { InterruptRouter } from '../../../actors/device/interrupts.js';
import { MSI_CAP_OFFSET } from '../../../abi/generated/machine.js';
import { PciConfigSpace } from '../../../actors/device/pci-config.js';
import { IrqKind } from '../../../actors/irq/messages.js';
import { Mailbox, createMailboxBuffer } from '../../../shared/mailbox/mailbox.js';
import { newRecord } from '../../../shared/mailbox/record.js';

const drain = (mb: Mailbox) => {
  const out: { kind: number; args: number[] }[] = [];
  const r = newRecord();
  while (mb.tryDequeue(r)) out.push({ kind: r.kind, args: Array.from(r.args.subarray(0, 3), (v) => v >>> 0) });
  return out;
};

describe('interrupt routing', () => {
  it('MMIO variant: pulses the line; pulses wait (coalesced) while the controller mailbox is full', () => {
    const mb = new Mailbox(createMailboxBuffer({ capacity: 2 }), 'irq');
    const router = new InterruptRouter(mb, null);
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
    const router = new InterruptRouter(mb, pci);
    router.raise(0);
    expect(router.droppedWhileDisabled).toBe(1);
    expect(drain(mb)).toHaveLength(0);
    pci.write(MSI_CAP_OFFSET + 4, 4, 0xfee01000);
    pci.write(MSI_CAP_OFFSET + 12, 2, 0x45);
    pci.write(MSI_CAP_OFFSET + 2, 2, pci.read(MSI_CAP_OFFSET + 2, 2) | 1);
    router.raise(0);
    expect(drain(mb)).toEqual([{ kind: IrqKind.Msi, args: [0xfee01000, 0, 0x45] }]);
    pci.write(MSI_CAP_OFFSET + 2, 2, pci.read(MSI_CAP_OFFSET + 2, 2) & ~1);
    router.raise(0);
    expect(router.droppedWhileDisabled).toBe(2);
    expect(router.delivered).toBe(1);
  });
});
