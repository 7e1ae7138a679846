// The vCPU's bus port: what reaches a device's mailbox for each access, exact for 8-byte values
// (a KVM guest's `mov` of a 64-bit register carries all 64 bits; a number carries 53).
import { describe, expect, it } from 'vitest';

import { DeviceKind, DeviceWindow } from '../../../actors/device/messages.js';
import { VcpuBusPort } from '../../../actors/vcpu/bus-port.js';
import { ecamBase, mmioGfxBase, mmioIosfcBase } from '../../../machine/memory-map.js';
import { EngineIn } from '../../../actors/device/engine-records.js';
import { Mailbox, createMailboxBuffer } from '../../../shared/mailbox/mailbox.js';
import { newRecord } from '../../../shared/mailbox/record.js';
import { BarTable, createBarTable as createBars } from '../../../shared/mmio/bar-table.js';
import { completeWrite, createCompletionBuffer } from '../../../shared/mmio/completion.js';
import { ReplyTable, createReplyTableBuffer } from '../../../shared/reply/reply-table.js';
import { exited, nextMessage, startWorker } from '../../support/spawn.js';

function rig() {
  const buffers = {
    mailbox: createMailboxBuffer({ capacity: 16 }),
    replies: createReplyTableBuffer(1),
    completion: createCompletionBuffer(1),
    barTable: createBars(1),
  };
  const device = new Mailbox(buffers.mailbox, 'device0');
  const bus = new VcpuBusPort(
    0,
    [{ index: 0, variant: 'apple-gfx-mmio', mailbox: device, engine: null }],
    new ReplyTable(buffers.replies),
    0,
    buffers.completion,
    buffers.barTable,
    4,
  );
  return { buffers, device, bus };
}

/** The next record in the device's mailbox: kind and its seven argument words as u32. */
function nextRecord(device: Mailbox): number[] {
  const rec = newRecord();
  expect(device.tryDequeue(rec)).toBe(true);
  return [rec.kind, ...Array.from(rec.args.subarray(0, 7), (w) => w >>> 0)];
}

describe('VcpuBusPort', () => {
  it('posts an 8-byte write with both halves exact, all ones included', () => {
    const { device, bus } = rig();
    const gfx = mmioGfxBase(0);
    bus.writeHalves(gfx + 0x18, 8, 0xffffffff, 0xffffffff);
    bus.writeHalves(gfx + 0x20, 8, 0x00000001, 0x80000000);
    bus.write(gfx + 0x28, 4, 0xdeadbeef);
    expect(nextRecord(device)).toEqual([DeviceKind.MmioWrite, DeviceWindow.Gfx, 0x18, 0, 8, 0xffffffff, 0xffffffff, 0]);
    expect(nextRecord(device)).toEqual([DeviceKind.MmioWrite, DeviceWindow.Gfx, 0x20, 0, 8, 0x00000001, 0x80000000, 0]);
    expect(nextRecord(device)).toEqual([DeviceKind.MmioWrite, DeviceWindow.Gfx, 0x28, 0, 4, 0xdeadbeef, 0, 0]);
    // A number cannot carry 2^64 - 1: the halves are what a KVM guest's write needs.
    bus.write(gfx + 0x18, 8, 0xffffffff * 0x1_0000_0000 + 0xffffffff);
    expect(nextRecord(device).slice(5, 7)).not.toEqual([0xffffffff, 0xffffffff]);
  });

  it('reads unassigned space as all ones of the access size, counted', () => {
    const { bus } = rig();
    const into = new Uint32Array(2);
    for (const [size, lo, hi] of [
      [1, 0xff, 0],
      [2, 0xffff, 0],
      [4, 0xffffffff, 0],
      [8, 0xffffffff, 0xffffffff],
    ] as const) {
      into.fill(7);
      bus.readHalves(0x10, size, into);
      expect([...into]).toEqual([lo, hi]);
    }
    expect(bus.read(0x10, 4)).toBe(0xffffffff);
    expect(bus.stats()).toMatchObject({ reads: 5, unassignedReads: 5 });
  });

  it('an 8-byte device read comes back exact as halves (the number rounds)', async () => {
    const { buffers, device } = rig();
    const address = mmioGfxBase(0) + 0x30;
    const vcpu = startWorker('test/support/bus-port-vcpu', { ...buffers, address });
    const replies = new ReplyTable(buffers.replies);
    const rec = newRecord();
    for (let answered = 0; answered < 2;) {
      if (!device.tryDequeue(rec)) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      expect([rec.kind, rec.args[0], rec.args[1], rec.args[3]]).toEqual([DeviceKind.MmioRead, DeviceWindow.Gfx, 0x30, 8]);
      // args: window, offset lo, offset hi, size, vcpu, slot, request id
      expect(replies.reply(rec.args[5]!, rec.args[6]!, 0xfffffffe, 0xffffffff)).toBe(true);
      answered++;
    }
    const result = await nextMessage<{ halves: number[]; asNumber: number }>(vcpu);
    expect(result.halves).toEqual([0xfffffffe, 0xffffffff]);
    expect(result.asNumber).toBe(2 ** 64); // the nearest double: why the KVM guest uses halves
    await exited(vcpu);
  });

  it('under the actor model posts gfx and IOSurface accesses straight to the engine, and config space to the device actor', () => {
    const device = new Mailbox(createMailboxBuffer({ capacity: 16 }), 'device0');
    const engine = new Mailbox(createMailboxBuffer({ capacity: 16 }), 'device0-engine');
    const pciDevice = new Mailbox(createMailboxBuffer({ capacity: 16 }), 'device1');
    const pciEngine = new Mailbox(createMailboxBuffer({ capacity: 16 }), 'device1-engine');
    const bus = new VcpuBusPort(
      0,
      [
        { index: 0, variant: 'apple-gfx-mmio', mailbox: device, engine },
        { index: 1, variant: 'apple-gfx-pci', mailbox: pciDevice, engine: pciEngine },
      ],
      new ReplyTable(createReplyTableBuffer(1)),
      0,
      createCompletionBuffer(1),
      createBars(2),
      4,
    );
    bus.write(mmioGfxBase(0) + 0x28, 4, 0xdeadbeef);
    bus.write(mmioIosfcBase(0) + 0x08, 4, 7);
    bus.write(ecamBase(1) + 0x04, 2, 0x6);
    // The engine's own record kinds, with the fields a device actor would have forwarded unchanged.
    expect(nextRecord(engine)).toEqual([EngineIn.MmioWrite, DeviceWindow.Gfx, 0x28, 0, 4, 0xdeadbeef, 0, 0]);
    expect(nextRecord(engine)).toEqual([EngineIn.MmioWrite, DeviceWindow.Iosfc, 0x08, 0, 4, 7, 0, 0]);
    expect(nextRecord(pciDevice)).toEqual([DeviceKind.MmioWrite, DeviceWindow.PciConfig, 0x04, 0, 2, 0x6, 0, 0]);
    expect(device.depth()).toBe(0);
    expect(pciEngine.depth()).toBe(0);
  });

  it("under the actor model an engine register write waits for the vCPU's posted config-space write: the two mailboxes have no order between them", async () => {
    const buffers = {
      device: createMailboxBuffer({ capacity: 16 }),
      engine: createMailboxBuffer({ capacity: 16 }),
      replies: createReplyTableBuffer(1),
      completion: createCompletionBuffer(1),
      barTable: createBars(1),
    };
    const bar0 = 0x4000_0000;
    new BarTable(buffers.barTable).publish(0, bar0);
    const vcpu = startWorker('test/support/bus-port-order-vcpu', {
      ...buffers,
      config: { address: ecamBase(0) + 0x42, size: 2, value: 0x81 }, // MSI Message Control: enable
      register: { address: bar0 + 0x28, value: 1 },
    });
    const device = new Mailbox(buffers.device, 'device0');
    const engine = new Mailbox(buffers.engine, 'device0-engine');
    const rec = newRecord();
    while (!device.tryDequeue(rec)) await new Promise((r) => setTimeout(r, 1));
    expect([rec.kind, rec.args[0]]).toEqual([DeviceKind.MmioWrite, DeviceWindow.PciConfig]);
    // The config write is not carried out yet: the register write must not reach the engine.
    await new Promise((r) => setTimeout(r, 100));
    expect(engine.depth()).toBe(0);
    completeWrite(new Int32Array(buffers.completion), 0);
    await nextMessage(vcpu);
    expect(nextRecord(engine)).toEqual([EngineIn.MmioWrite, DeviceWindow.Gfx, 0x28, 0, 4, 1, 0, 0]);
    await exited(vcpu);
  });
});
