// A second vCPU thread hitting the input actor at the same time as the driving guest: it selects
// ID_NAME, ID_SERIAL and ID_DEVIDS on its own virtio devices over and over, reads every answer
// byte by byte, and counts answers that differ from the first it read.
import { parentPort, workerData } from 'node:worker_threads';

import { connectVcpu, type ExternalVcpuConfig } from '../../actors/vcpu/external.js';
import { RAM_BASE, virtioMmioBase } from '../../machine/memory-map.js';
import { VirtioInputCfg } from '../../abi/generated/virtio.js';
import { VirtioInputTestDriver } from './virtio-input-driver.js';

interface Data {
  config: ExternalVcpuConfig;
  devices: number[];
  iterations: number;
}

const { config, devices, iterations } = workerData as Data;
const cpu = connectVcpu(config);
const drivers = devices.map((k) => new VirtioInputTestDriver(cpu, cpu.memory, virtioMmioBase(k), RAM_BASE));
const selects = [VirtioInputCfg.IdName, VirtioInputCfg.IdSerial, VirtioInputCfg.IdDevids];
const first = drivers.map((d) => selects.map((s) => d.config(s, 0).join()));
let mismatches = 0;
for (let i = 0; i < iterations; i++) {
  const k = i % drivers.length;
  const s = Math.floor(i / drivers.length) % selects.length;
  if (drivers[k]!.config(selects[s]!, 0).join() !== first[k]![s]) mismatches++;
}
cpu.bus.drainWrites();
parentPort!.postMessage({ mismatches, names: first.map((f) => String.fromCharCode(...f[0]!.split(',').map(Number))) });
