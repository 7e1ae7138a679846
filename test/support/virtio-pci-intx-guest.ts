// A guest on an embedder-style vCPU thread (connectVcpu) that drives a display's virtio-pci
// keyboard and tablet (virtio devices 0 and 1) with the built-in guest's drivers, but leaves
// MSI-X off and takes INTx, as Linux's virtio_pci falls back to when MSI-X cannot be had: each
// interrupt on a device's INTA# vector is acknowledged by reading its ISR (which lowers the
// level) and EOIed; events are taken until `expect` of them came or the deadline passed. With
// `msixAfter`, once that many events came it switches the keyboard to MSI-X (Enable, entry 1 to
// a vector of its own, unmasked) and counts the keyboard's INTx interrupts from then on.
import { parentPort, workerData } from 'node:worker_threads';

import { connectVcpu, type ExternalVcpuConfig } from '../../actors/vcpu/external.js';
import { RAM_BASE, virtioPciBarBase, virtioPciEcamBase, virtioPciIntxVector, virtioPciVectors } from '../../machine/memory-map.js';
import { MSI_ADDRESS_BASE } from '../../abi/generated/machine.js';
import { VIRTIO_ID_INPUT, VirtioPciCommon as Common, VirtioPciRegion as Region } from '../../abi/generated/virtio.js';
import { PageAllocator } from '../../guest/ts/page-allocator.js';
import { GuestVirtioPci } from '../../guest/ts/virtio-pci-guest.js';
import { VirtioInputGuestDriver, type RawInputEvent } from '../../guest/ts/virtio-input.js';

interface Data {
  config: ExternalVcpuConfig;
  expect: number;
  deadlineMs: number;
  msixAfter?: number;
}

const { config, expect, deadlineMs, msixAfter } = workerData as Data;
const cpu = connectVcpu(config);
const port = { read: (a: number, s: number) => cpu.bus.read(a, s), write: (a: number, s: number, v: number) => cpu.bus.write(a, s, v) };
const pages = new PageAllocator(RAM_BASE + 0x10_0000, RAM_BASE + 0x20_0000);
const place = (k: number) => ({
  ecam: virtioPciEcamBase(k),
  bar: virtioPciBarBase(k),
  msiAddress: MSI_ADDRESS_BASE | (cpu.vcpu << 12),
  vectors: virtioPciVectors(k),
  interrupts: 'intx' as const,
  intxVector: virtioPciIntxVector(k),
});
const drivers = [0, 1].map((k) => new VirtioInputGuestDriver(new GuestVirtioPci(port, place(k), VIRTIO_ID_INPUT), cpu.memory, pages));
parentPort!.postMessage({ type: 'ready', names: drivers.map((d) => d.name) });

const events: { device: number; event: RawInputEvent }[] = [];
const byVector = new Map<number, number>();
let spurious = 0;
let switched = false;
let intxAfterSwitch = 0;
const msixVector = 0x7e;
const end = performance.now() + deadlineMs;
const batch: RawInputEvent[] = [];
while (events.length < expect && performance.now() < end) {
  cpu.irq.waitForInterrupt(50);
  for (let vector = cpu.irq.takeHighest(); vector >= 0; vector = cpu.irq.takeHighest()) {
    byVector.set(vector, (byVector.get(vector) ?? 0) + 1);
    if (switched && vector === virtioPciIntxVector(0)) intxAfterSwitch++;
    const k = drivers.findIndex((d) => d.vectors.includes(vector));
    if (k >= 0 && drivers[k]!.acknowledge(vector) === 0) spurious++;
    cpu.endOfInterrupt(vector);
  }
  drivers.forEach((d, device) => {
    batch.length = 0;
    d.take(batch);
    for (const event of batch) events.push({ device, event: { ...event } });
  });
  if (msixAfter !== undefined && !switched && events.length >= msixAfter) {
    switched = true;
    // The keyboard to MSI-X: its queue on entry 1 (a vector of its own), entry 1 unmasked, Enable.
    const bar = virtioPciBarBase(0);
    cpu.bus.write(bar + Common.QueueSelect, 2, 0);
    cpu.bus.write(bar + Common.QueueMsixVector, 2, 1);
    const entry = bar + Region.MsixTable + 16;
    cpu.bus.write(entry, 4, MSI_ADDRESS_BASE | (cpu.vcpu << 12));
    cpu.bus.write(entry + 4, 4, 0);
    cpu.bus.write(entry + 8, 4, msixVector);
    cpu.bus.write(entry + 12, 4, 0);
    cpu.bus.write(virtioPciEcamBase(0) + 0x42, 2, 0x8000);
    cpu.bus.drainWrites();
    parentPort!.postMessage({ type: 'switched' });
  }
}
cpu.bus.drainWrites();
parentPort!.postMessage({ type: 'done', events, byVector: Object.fromEntries(byVector), spurious, intxAfterSwitch });
