// An embedder's vCPU loop that only writes until a write throws, then reports what it threw and
// when (epoch ms, comparable across threads). It writes 0 to device 0's PCI interrupt line in
// config space (which changes nothing the guest reads back) when the device is apple-gfx-pci —
// config space goes through the device actor in every threading model — and otherwise to
// IRQ_ACK (0: no bit acknowledged).
import { parentPort, workerData } from 'node:worker_threads';

import { connectVcpu, type ExternalVcpuConfig } from '../../actors/vcpu/external.js';
import { Reg } from '../../guest/ts/protocol.js';
import { PCI_INTERRUPT_LINE } from '../../abi/generated/machine.js';
import { ecamBase, mmioGfxBase } from '../../machine/memory-map.js';

export interface WriterReport {
  type: 'threw';
  name: string;
  message: string;
  atEpochMs: number;
}

const config = workerData as ExternalVcpuConfig;
const cpu = connectVcpu(config);
const pci = config.devices[0]!.variant === 'apple-gfx-pci';
const target = pci ? ecamBase(0) + PCI_INTERRUPT_LINE : mmioGfxBase(0) + Reg.IrqAck;
try {
  for (;;) cpu.mmioWrite(target, pci ? 1 : 4, 0);
} catch (e) {
  const err = e as Error;
  parentPort!.postMessage({
    type: 'threw',
    name: err.name,
    message: err.message,
    atEpochMs: performance.timeOrigin + performance.now(),
  } satisfies WriterReport);
}
