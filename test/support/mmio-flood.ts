// A misbehaving vCPU for the fault tests: posts `count` MMIO writes straight into a device
// actor's mailbox, without the posted-write window a real vCPU keeps (so nothing but the
// mailbox's own back-pressure holds it back), then reports how many it posted, how long it was
// held back and what stopped it. The writes are IRQ_ACK of 0, which changes nothing in the device.
import { parentPort, workerData } from 'node:worker_threads';

import { DeviceMmioWrite } from '../../abi/generated/device-records.js';
import { DeviceWindow } from '../../actors/device/messages.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';

export interface FloodData {
  mailbox: SharedArrayBuffer;
  vcpu: number;
  count: number;
}

export interface FloodReport {
  type: 'done';
  posted: number;
  /** The longest one post waited (back-pressure), ms. */
  longestWaitMs: number;
  /** The error that stopped it (MailboxClosedError when the VM failed or stopped), or null. */
  error: string | null;
}

/** The IRQ_ACK register of the gfx window (guest/ts/protocol.ts Reg.IrqAck). */
export const IRQ_ACK = 0x024;

const data = workerData as FloodData;
const mailbox = new Mailbox(data.mailbox, 'device');
let posted = 0;
let longestWaitMs = 0;
let error: string | null = null;
parentPort!.postMessage({ type: 'started' });
let t = 0;
try {
  for (; posted < data.count; posted++) {
    t = performance.now();
    DeviceMmioWrite.post(mailbox, DeviceWindow.Gfx, IRQ_ACK, 0, 4, 0, 0, data.vcpu);
    longestWaitMs = Math.max(longestWaitMs, performance.now() - t);
  }
} catch (err) {
  error = (err as Error).name;
  longestWaitMs = Math.max(longestWaitMs, performance.now() - t);
}
parentPort!.postMessage({ type: 'done', posted, longestWaitMs, error } satisfies FloodReport);
