// A vCPU thread for the bus-port test: reads one device register through a VcpuBusPort (which
// blocks until the test thread, playing the device, answers) both as halves and as a number.
import { parentPort, workerData } from 'node:worker_threads';

import { VcpuBusPort } from '../../actors/vcpu/bus-port.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { ReplyTable } from '../../shared/reply/reply-table.js';

interface Job {
  mailbox: SharedArrayBuffer;
  replies: SharedArrayBuffer;
  completion: SharedArrayBuffer;
  barTable: SharedArrayBuffer;
  address: number;
}

const job = workerData as Job;
const bus = new VcpuBusPort(
  0,
  [{ index: 0, variant: 'apple-gfx-mmio', mailbox: new Mailbox(job.mailbox, 'device0'), engine: null }],
  new ReplyTable(job.replies),
  0,
  job.completion,
  job.barTable,
  4,
);
const halves = new Uint32Array(2);
bus.readHalves(job.address, 8, halves);
const asNumber = bus.read(job.address, 8);
parentPort!.postMessage({ halves: [...halves], asNumber });
