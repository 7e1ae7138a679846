// An embedder-style vCPU (connectVcpu) that reaches virtio-pci input device 0's MSI-X table and
// PBA through the VM's bus and the input actor with QWORD accesses: it places BAR0, writes an
// entry's Message Address and its Data + Vector Control as QWORDs, reads them back as QWORDs and
// as DWORDs, tries an unaligned QWORD, and reads the PBA as a QWORD. It reports what it read.
import { parentPort, workerData } from 'node:worker_threads';

import { connectVcpu, type ExternalVcpuConfig } from '../../actors/vcpu/external.js';
import { virtioPciBarBase, virtioPciEcamBase } from '../../machine/memory-map.js';
import { VirtioPciRegion as Region } from '../../abi/generated/virtio.js';

const { config } = workerData as { config: ExternalVcpuConfig };
const cpu = connectVcpu(config);
const ecam = virtioPciEcamBase(0);
const bar = virtioPciBarBase(0);
cpu.bus.write(ecam + 0x10, 4, bar); // BAR0
cpu.bus.write(ecam + 0x04, 2, 0x6); // memory space, bus mastering
const entry1 = bar + Region.MsixTable + 16;
const halves = new Uint32Array(2);
const qword = (address: number): number[] => {
  cpu.bus.readHalves(address, 8, halves);
  return [...halves];
};
cpu.bus.writeHalves(entry1, 8, 0xfee0_1000, 0x0000_0001);
cpu.bus.writeHalves(entry1 + 8, 8, 0x61, 0xffff_fffe); // data, and Vector Control with only reserved bits: unmasked
// Unaligned: Vector Control and the next entry's address low as one QWORD, refused whole.
cpu.bus.writeHalves(entry1 + 12, 8, 1, 0xffff_fff0);
const report = {
  address: qword(entry1),
  dataControl: qword(entry1 + 8),
  dwords: [0, 4, 8, 12, 16].map((o) => cpu.bus.read(entry1 + o, 4)),
  unaligned: qword(entry1 + 4),
  pba: qword(bar + Region.MsixPba),
};
cpu.bus.drainWrites();
parentPort!.postMessage(report);
