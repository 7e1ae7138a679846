// A guest on an embedder-style vCPU thread (connectVcpu) driving a display's virtio-input
// keyboard and tablet (virtio devices 0 and 1) with the test driver: negotiate, read the names,
// set up both event queues, say 'ready', then halt for interrupts, acknowledge, EOI and take the
// events until it has `expect` of them or the deadline passes, pausing at random between rounds
// (so injection and consumption interleave differently every run).
import { parentPort, workerData } from 'node:worker_threads';

import { connectVcpu, type ExternalVcpuConfig } from '../../actors/vcpu/external.js';
import { RAM_BASE, mmioGfxBase, mmioIosfcBase, virtioMmioBase, virtioVector } from '../../machine/memory-map.js';
import { PvgDriver } from '../../guest/ts/driver.js';
import { PageAllocator } from '../../guest/ts/page-allocator.js';
import { VirtioInputCfg } from '../../abi/generated/virtio.js';
import { Rng } from '../../guest/ts/rng.js';
import { VirtioInputTestDriver, type InputEvent } from './virtio-input-driver.js';

interface Data {
  config: ExternalVcpuConfig;
  /** Events to wait for, over both devices. */
  expect: number;
  queueSize: number;
  seed: number;
  deadlineMs: number;
  /** First give apple-gfx device 0's display 0 its first mode and a frame, as a VNC client needs one to point at. */
  showMode?: boolean;
}

const { config, expect, queueSize, seed, deadlineMs, showMode } = workerData as Data;
const cpu = connectVcpu(config);
if (showMode) {
  const gfx = new PvgDriver(cpu.bus, cpu.memory, mmioGfxBase(0), new PageAllocator(RAM_BASE + 0x80_0000, RAM_BASE + 0x100_0000), mmioIosfcBase(0));
  gfx.probe();
  gfx.reset();
  gfx.startRing(64 * 1024);
  gfx.setMode(0, 0);
  gfx.present(0, []);
  gfx.waitIdle();
}
const rng = new Rng(seed);
const drivers = [0, 1].map((k) => new VirtioInputTestDriver(cpu, cpu.memory, virtioMmioBase(k), RAM_BASE + 0x10_0000 * (k + 1)));
const names: string[] = [];
for (const d of drivers) {
  if (!d.negotiate()) throw new Error('FEATURES_OK refused');
  names.push(String.fromCharCode(...d.config(VirtioInputCfg.IdName, 0)));
  if (!d.setupEventQueue(queueSize)) throw new Error('the event queue was refused');
  d.driverOk();
}
parentPort!.postMessage({ type: 'ready', names });

const events: { device: number; event: InputEvent }[] = [];
let interrupts = 0;
let spurious = 0;
const end = performance.now() + deadlineMs;
while (events.length < expect && performance.now() < end) {
  cpu.irq.waitForInterrupt(50);
  for (let vector = cpu.irq.takeHighest(); vector >= 0; vector = cpu.irq.takeHighest()) {
    interrupts++;
    const k = vector - virtioVector(0);
    const d = drivers[k];
    if (!d) throw new Error(`unexpected vector ${vector}`);
    if (d.acknowledge() === 0) spurious++;
    // Observe the acknowledge's effect (its level change is posted) before the EOI.
    d.read(0x060);
    cpu.endOfInterrupt(vector);
  }
  // Random pauses: sometimes the device has to keep events until buffers come back.
  if (rng.below(4) === 0) {
    const until = performance.now() + rng.below(3);
    while (performance.now() < until);
  }
  drivers.forEach((d, device) => {
    for (const event of d.takeEvents()) events.push({ device, event });
  });
}
cpu.bus.drainWrites();
parentPort!.postMessage({ type: 'done', events, interrupts, spurious });
