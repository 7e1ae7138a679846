// A vCPU thread for the bus-port ordering test: under the actor model an apple-gfx-pci device's
// config space goes through its device actor and BAR0 straight to its engine. It writes config
// space (posted), then a BAR0 register, then tells the test thread, which plays both the device
// actor (completing the config write when it chooses) and the engine (watching its mailbox).
import { parentPort, workerData } from 'node:worker_threads';

import { VcpuBusPort } from '../../actors/vcpu/bus-port.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { ReplyTable } from '../../shared/reply/reply-table.js';

interface Job {
  device: SharedArrayBuffer;
  engine: SharedArrayBuffer;
  replies: SharedArrayBuffer;
  completion: SharedArrayBuffer;
  barTable: SharedArrayBuffer;
  config: { address: number; size: number; value: number };
  register: { address: number; value: number };
}

const job = workerData as Job;
const bus = new VcpuBusPort(
  0,
  [{ index: 0, variant: 'apple-gfx-pci', mailbox: new Mailbox(job.device, 'device0'), engine: new Mailbox(job.engine, 'device0-engine') }],
  new ReplyTable(job.replies),
  0,
  job.completion,
  job.barTable,
  4,
);
bus.write(job.config.address, job.config.size, job.config.value);
bus.write(job.register.address, 4, job.register.value);
parentPort!.postMessage('written');
