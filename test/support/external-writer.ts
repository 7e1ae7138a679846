// An embedder's vCPU loop that only writes (IRQ_ACK of 0, which changes nothing) until a write
// throws, then reports what it threw and when (epoch ms, comparable across threads).
import { parentPort, workerData } from 'node:worker_threads';

import { connectVcpu, type ExternalVcpuConfig } from '../../actors/vcpu/external.js';
import { Reg } from '../../actors/vcpu/guest/protocol.js';
import { mmioGfxBase } from '../../actors/vcpu/layout.js';

export interface WriterReport {
  type: 'threw';
  name: string;
  message: string;
  atEpochMs: number;
}

const cpu = connectVcpu(workerData as ExternalVcpuConfig);
const ack = mmioGfxBase(0) + Reg.IrqAck;
try {
  for (;;) cpu.mmioWrite(ack, 4, 0);
} catch (e) {
  const err = e as Error;
  parentPort!.postMessage({
    type: 'threw',
    name: err.name,
    message: err.message,
    atEpochMs: performance.timeOrigin + performance.now(),
  } satisfies WriterReport);
}
