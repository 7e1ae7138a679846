// An embedder-style vCPU loop (connectVcpu) that keeps a device busy with one ring of valid,
// expensive work and times what that does to everyone else: `bench preempt` and
// test/vmm/preempt.test.ts drive two of these, a guest and a reader, against one VM.
//
// The guest fills the largest ring (1 MiB by default) with valid full-frame source-over BLITs
// (about 23 800 of them at 1920x1080: tens of seconds of engine work), rings the doorbell once, and
// then writes RESET or RING_CONTROL=0 while the ring is busy; the reader reads the ID register
// meanwhile, idle, while the ring is busy, or right behind the guest's RESET (docs/hardening.md,
// finding 14).
//
// Commands come from the parent through `port` (one at a time; each answered on parentPort with
// { op, ...result } or { op, error }). The thread blocks in MMIO reads, so it waits for the next
// command on a word of `control` instead of its event loop.
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

import { connectVcpu, type ExternalVcpuConfig } from '../../actors/vcpu/external.js';
import { PvgDriver, type MmioPort } from '../../guest/ts/driver.js';
import { PageAllocator } from '../../guest/ts/page-allocator.js';
import { PVG_ID, RESET_MAGIC, RING_HEADER_BYTES, Reg } from '../../guest/ts/protocol.js';
import { mmioGfxBase } from '../../machine/memory-map.js';

export interface BusyRingData {
  config: ExternalVcpuConfig;
  /** Commands from the parent; `commands` word 0 counts the commands posted on it. */
  port: MessagePort;
  commands: SharedArrayBuffer;
  /** Shared by a guest and its reader; word 0: RESETs (or ring stops) the guest has posted, for `readBehind`. */
  signal: SharedArrayBuffer;
  device: number;
  /** Guest RAM this vCPU may use: the ring at ramBase, the source image 2 MiB above it. */
  ramBase: number;
  width: number;
  height: number;
  ringBytes: number;
}

export type BusyRingCommand =
  /** Ring (ringBytes), context 1 with the image at va 0, SET_MODE 0, then waits for a fence. */
  | { op: 'setup' }
  /** Fills the free ring with full-frame source-over BLITs, no doorbell. */
  | { op: 'fill' }
  /** The doorbell; answers once RING_HEAD has moved (the executor is at work). */
  | { op: 'ring' }
  /** Writes RESET (or RING_CONTROL=0), bumps signal word 0, then reads STATUS (which waits for the write). */
  | { op: 'reset' | 'stopRing' }
  /** `n` ID reads, each timed. */
  | { op: 'reads'; n: number }
  /** Waits for signal word 0 to pass `after`, then one timed ID read (it queues behind the RESET). */
  | { op: 'readBehind'; after: number }
  | { op: 'probe' }
  | { op: 'quit' };

export interface FillResult {
  op: 'fill';
  /** Commands queued, and the ring offsets (bytes) of the first one and of the tail after the last. */
  queued: number;
  start: number;
  tail: number;
  commandBytes: number;
}
export interface ControlResult {
  op: 'reset' | 'stopRing';
  /** Write posted → STATUS read answered (the write is carried out first). */
  ms: number;
  status: number;
  /** RING_HEAD afterwards: where the ring stopped. */
  head: number;
}
export interface ReadsResult {
  op: 'reads';
  /** Each read's round trip, in µs. */
  us: number[];
  mismatches: number;
}
export interface ReadBehindResult {
  op: 'readBehind';
  us: number;
  id: number;
}
export interface ProbeResult {
  op: 'probe';
  head: number;
  status: number;
  errorCount: number;
}

const data = workerData as BusyRingData;
const cpu = connectVcpu(data.config);
const port: MmioPort = { read32: (a) => cpu.mmioRead(a, 4), write32: (a, v) => cpu.mmioWrite(a, 4, v) };
const gfx = mmioGfxBase(data.device);
const commands = new Int32Array(data.commands);
const signal = new Int32Array(data.signal);
const IMAGE_OFFSET = 2 * 1024 * 1024;
const imageGpa = data.ramBase + IMAGE_OFFSET;
const imageBytes = data.width * data.height * 4;
const BLIT_WORDS = 11;

// A translucent gradient: source-over does the whole blend for every pixel.
{
  const view = cpu.memory.view(imageGpa, imageBytes, 'write');
  const px = new Uint32Array(view.buffer, view.byteOffset, imageBytes / 4);
  for (let i = 0; i < px.length; i++) px[i] = ((0x40 + (i & 0x7f)) << 24) | ((i * 2654435761) >>> 8);
}

let driver: PvgDriver | null = null;
let fence = 0;

function reg(offset: Reg): number {
  return cpu.mmioRead(gfx + offset, 4) >>> 0;
}

function run(cmd: BusyRingCommand): object {
  switch (cmd.op) {
    case 'setup': {
      // A fresh driver each time (after a reset the ring starts over), the ring at the same place.
      driver = new PvgDriver(port, cpu.memory, gfx, new PageAllocator(data.ramBase, data.ramBase + IMAGE_OFFSET));
      driver.startRing(data.ringBytes);
      driver.ctxCreate(1, Math.ceil(imageBytes / 4096) * 4096);
      driver.map(1, 0, [{ gpa: imageGpa, length: Math.ceil(imageBytes / 4096) * 4096 }], true);
      driver.setMode(0, 0);
      driver.fence(++fence, false);
      driver.waitFence(fence, 60_000);
      // A set-up the device refused would make every blit a cheap error instead of work.
      const e = driver.errors();
      if (e.code !== 0) throw new Error(`the set-up failed: ${e.name}`);
      return { op: 'setup' };
    }
    case 'fill': {
      const d = driver!;
      d.waitIdle(60_000);
      const start = reg(Reg.RingHead);
      const payload = data.ringBytes - RING_HEADER_BYTES;
      const queued = Math.floor((payload - 4) / (BLIT_WORDS * 4));
      for (let i = 0; i < queued; i++) d.blit(0, 1, 0, data.width * 4, 0, 0, data.width, data.height, true);
      return { op: 'fill', queued, start, tail: (start + queued * BLIT_WORDS * 4) % payload, commandBytes: BLIT_WORDS * 4 } satisfies FillResult;
    }
    case 'ring': {
      const before = reg(Reg.RingHead);
      driver!.flush();
      const deadline = performance.now() + 60_000;
      while (reg(Reg.RingHead) === before) {
        if (performance.now() > deadline) throw new Error('the ring did not start');
      }
      return { op: 'ring' };
    }
    case 'reset':
    case 'stopRing': {
      const t0 = performance.now();
      if (cmd.op === 'reset') cpu.mmioWrite(gfx + Reg.Reset, 4, RESET_MAGIC);
      else cpu.mmioWrite(gfx + Reg.RingControl, 4, 0);
      Atomics.add(signal, 0, 1);
      Atomics.notify(signal, 0);
      const status = reg(Reg.Status); // waits until the write above has been carried out
      const ms = performance.now() - t0;
      return { op: cmd.op, ms, status, head: reg(Reg.RingHead) } satisfies ControlResult;
    }
    case 'reads': {
      const us: number[] = [];
      let mismatches = 0;
      for (let i = 0; i < cmd.n; i++) {
        const t0 = performance.now();
        const id = reg(Reg.Id);
        us.push((performance.now() - t0) * 1000);
        if (id !== PVG_ID) mismatches++;
      }
      return { op: 'reads', us, mismatches } satisfies ReadsResult;
    }
    case 'readBehind': {
      for (let seen; (seen = Atomics.load(signal, 0)) <= cmd.after;) Atomics.wait(signal, 0, seen, 100);
      const t0 = performance.now();
      const id = reg(Reg.Id);
      return { op: 'readBehind', us: (performance.now() - t0) * 1000, id } satisfies ReadBehindResult;
    }
    case 'probe':
      return { op: 'probe', head: reg(Reg.RingHead), status: reg(Reg.Status), errorCount: reg(Reg.ErrorCount) } satisfies ProbeResult;
    case 'quit':
      return { op: 'quit' };
  }
}

for (let taken = 0; ;) {
  while (Atomics.load(commands, 0) === taken) Atomics.wait(commands, 0, taken, 100);
  taken++;
  // The parent posts the command before it bumps the word; it is on the port by now.
  let message = receiveMessageOnPort(data.port);
  while (!message) {
    Atomics.wait(commands, 0, Atomics.load(commands, 0), 1);
    message = receiveMessageOnPort(data.port);
  }
  const cmd = message.message as BusyRingCommand;
  try {
    parentPort!.postMessage(run(cmd));
  } catch (e) {
    parentPort!.postMessage({ op: cmd.op, error: (e as Error).stack ?? String(e) });
  }
  if (cmd.op === 'quit') break;
}
cpu.bus.drainWrites();
