// A guest on its own thread (like a vCPU) that drives an engine directly through its inbound
// mailbox with the built-in guest driver, running one named script from engine-scripts.ts.
import { parentPort, workerData } from 'node:worker_threads';

import { PageAllocator } from '../../guest/ts/page-allocator.js';
import { PvgDriver } from '../../guest/ts/driver.js';
import { attachGuestMemory, type GuestMemoryDescriptor } from '../../shared/guest-memory/index.js';
import { DirectEnginePort } from './direct-port.js';
import { SCRIPTS } from './engine-scripts.js';

interface GuestData {
  memory: GuestMemoryDescriptor;
  inbound: SharedArrayBuffer;
  vcpuReplies: SharedArrayBuffer;
  completion: SharedArrayBuffer;
  script: string;
  gfxBase: number;
  iosfcBase: number;
  ramBase: number;
  ramSize: number;
  param?: unknown;
}

const data = workerData as GuestData;
const memory = attachGuestMemory(data.memory.sab, data.memory.regions);
const port = new DirectEnginePort(data.inbound, data.vcpuReplies, data.completion, data.gfxBase, data.iosfcBase);
const driver = new PvgDriver(port, memory, data.gfxBase, new PageAllocator(data.ramBase, data.ramBase + data.ramSize), data.iosfcBase);
const script = SCRIPTS[data.script];
try {
  if (!script) throw new Error(`no engine script named ${data.script}`);
  const result = script(driver, port, data.param);
  parentPort!.postMessage({ ok: true, result });
} catch (err) {
  parentPort!.postMessage({ ok: false, error: (err as Error).stack ?? String(err) });
}
