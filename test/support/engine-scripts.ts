// Guest scripts for the engine tests: each drives the device through the built-in driver and
// returns what the test checks. They run on a guest thread (engine-guest.ts).
import type { PvgDriver } from '../../guest/ts/driver.js';
import { Feature, IosfcReg, IrqCause, Op, RING_HEADER_BYTES, RING_HEADER_IRQ, Reg, commandHeader } from '../../guest/ts/protocol.js';
import { EngineWindow } from '../../actors/device/engine-records.js';
import type { DirectEnginePort } from './direct-port.js';

export type EngineScript = (driver: PvgDriver, port: DirectEnginePort, param: unknown) => unknown;

const CTX = 1;
const CTX_BYTES = 1 << 20;

/** A context with one buffer of `bytes` mapped at va 0; returns the buffer's guest address. */
function contextWithBuffer(d: PvgDriver, ctx: number, bytes: number): number {
  const gpa = d.pages.allocate(bytes);
  d.ctxCreate(ctx, CTX_BYTES);
  d.map(ctx, 0, [{ gpa, length: Math.ceil(bytes / 4096) * 4096 }]);
  return gpa;
}

/** A w×h ARGB gradient with varying alpha, written at gpa. */
function gradient(d: PvgDriver, gpa: number, w: number, h: number): void {
  const v = new DataView(d.memory.sab);
  const t = d.memory.translate(gpa, w * h * 4, 'write');
  if (!t.ok) throw new Error(t.error.message);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const a = Math.round((x / Math.max(1, w - 1)) * 255);
      const argb = ((a << 24) | (((x * 7) & 0xff) << 16) | (((y * 5) & 0xff) << 8) | ((x + y) & 0xff)) >>> 0;
      v.setUint32(t.offset + (y * w + x) * 4, argb, true);
    }
  }
}

function setUp(d: PvgDriver): ReturnType<PvgDriver['probe']> {
  const info = d.probe();
  d.startRing(64 * 1024);
  return info;
}

export interface BadCase {
  name: string;
  /** A command: opcode and the words after the header (the header's length is computed)... */
  op?: Op;
  args?: number[];
  /** …or a raw command, header included. */
  raw?: number[];
  /** …or a register write: gfx offset and value. */
  reg?: [number, number];
}

/** Submits one command on its own, waits until the device consumed it, and reads the error. */
function tryCase(d: PvgDriver, c: BadCase): number {
  d.ackErrors();
  if (c.reg) {
    d.setReg(c.reg[0], c.reg[1]);
  } else {
    const words = c.raw ?? [commandHeader(c.op!, (c.args?.length ?? 0) + 1), ...(c.args ?? [])];
    d.submitRaw(words);
    d.flush();
    d.waitIdle();
  }
  const code = d.errors().code;
  d.ackErrors();
  return code;
}

export const SCRIPTS: Record<string, EngineScript> = {
  /**
   * `bench preempt`'s engine part (param: width, height, busy): a 1 MiB ring, a frame-sized
   * translucent image mapped in context 1, mode 0; busy: the ring filled with full-frame
   * source-over BLITs and rung, returning once the engine is at work on them.
   */
  busyRing(d, _port, param) {
    const { width, height, busy } = param as { width: number; height: number; busy: boolean };
    const ringBytes = 1024 * 1024;
    d.startRing(ringBytes);
    const bytes = Math.ceil((width * height * 4) / 4096) * 4096;
    const gpa = d.pages.allocate(bytes);
    const view = d.memory.view(gpa, bytes, 'write');
    const px = new Uint32Array(view.buffer, view.byteOffset, bytes / 4);
    for (let i = 0; i < px.length; i++) px[i] = (((0x40 + (i & 0x7f)) << 24) | ((i * 2654435761) >>> 8)) >>> 0;
    d.ctxCreate(CTX, bytes);
    d.map(CTX, 0, [{ gpa, length: bytes }], true);
    d.setMode(0, 0);
    d.fence(1, false);
    d.waitFence(1, 120_000);
    const setupError = d.errors();
    if (setupError.code !== 0) throw new Error(`busyRing: the set-up failed: ${setupError.name}`);
    const start = d.reg(Reg.RingHead);
    if (!busy) return { queued: 0, start };
    const queued = Math.floor((ringBytes - RING_HEADER_BYTES - 4) / 44);
    for (let i = 0; i < queued; i++) d.blit(0, CTX, 0, width * 4, 0, 0, width, height, true);
    const before = d.reg(Reg.RingHead);
    d.flush();
    const deadline = performance.now() + 60_000;
    while (d.reg(Reg.RingHead) === before) if (performance.now() > deadline) throw new Error('the ring did not start');
    return { queued, start };
  },

  /**
   * Runs of task commands over eight contexts (param: rounds, serial), for the engine's task
   * lanes: each round maps a part of one image into every context, makes two errors in two
   * contexts (a refused MAP after two host callbacks, and an unknown context; which comes first in
   * the ring alternates), blits from every context, unmaps them all and fences; every fifth round
   * destroys and recreates a context. serial: a NOP after every task command, so that each run is
   * one command long and the engine runs them one at a time, as it did before task lanes.
   * Returns the first error code of each round.
   */
  lanes(d, _port, param) {
    const { rounds, serial } = param as { rounds: number; serial: boolean };
    const contexts = 8;
    const va = 0x10000;
    setUp(d);
    const src = d.pages.allocate(4 * 4096);
    gradient(d, src, 64, 64);
    const barrier = () => {
      if (serial) d.submitRaw([commandHeader(Op.Nop, 1)]);
    };
    for (let c = 1; c <= contexts; c++) {
      d.ctxCreate(c, CTX_BYTES);
      barrier();
    }
    d.setMode(0, 0);
    const codes: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (let c = 1; c <= contexts; c++) {
        d.map(c, va, [{ gpa: src + ((c + r) % 3) * 4096, length: 2 * 4096 }]);
        barrier();
      }
      const overlapping = () => {
        d.map(1, va, [{ gpa: src, length: 4096 }]); // the host accepts; the engine refuses and unmaps: BadMapping
        barrier();
      };
      const unknown = () => {
        d.unmap(4095, 0, 4096); // no such context: BadContext
        barrier();
      };
      if (r % 2 === 0) {
        overlapping();
        unknown();
      } else {
        unknown();
        overlapping();
      }
      for (let c = 1; c <= contexts; c++) d.blit(0, c, va, 64 * 4, (c - 1) * 36 + (r % 3) * 2, (r % 5) * 30, 32, 32, false);
      for (let c = 1; c <= contexts; c++) {
        d.unmap(c, va, 2 * 4096);
        barrier();
      }
      if (r % 5 === 4) {
        const c = 1 + (r % contexts);
        d.ctxDestroy(c);
        barrier();
        d.ctxCreate(c, CTX_BYTES);
        barrier();
      }
      d.present(0, []);
      d.fence(r + 1, false);
      d.waitFence(r + 1);
      codes.push(d.errors().code);
      d.ackErrors();
    }
    return { codes, errors: d.errors() };
  },

  /** Runs each bad case (param: BadCase[]) and reports the error code each one set. */
  bad(d, _port, param) {
    setUp(d);
    const buf = contextWithBuffer(d, CTX, 16 * 1024);
    gradient(d, buf, 64, 64);
    const roPage = d.pages.allocate(4096);
    d.ctxCreate(2, CTX_BYTES);
    d.map(2, 0, [{ gpa: roPage, length: 4096 }], true);
    d.waitIdle();
    const codes: Record<string, number> = {};
    for (const c of param as BadCase[]) codes[c.name] = tryCase(d, c);
    // Afterwards the device still works: a good frame draws and fences without error.
    d.setMode(0, 0);
    d.fill(0, 0, 0, 320, 200, 0xff336699);
    d.present(0, []);
    d.fence(77, false);
    d.waitFence(77);
    return { codes, after: d.errors() };
  },

  /** Everything once: the contract test's workload. */
  contract(d) {
    const info = setUp(d);
    d.setReg(Reg.IrqMask, 1);
    const src = contextWithBuffer(d, CTX, 64 * 64 * 4);
    gradient(d, src, 64, 64);
    for (let c = 2; c <= 4; c++) d.ctxCreate(c, CTX_BYTES);
    d.setMode(0, 0);
    d.fill(0, 0, 0, 320, 200, 0xff204080);
    d.blit(0, CTX, 0, 64 * 4, 10, 10, 64, 64, false);
    d.blit(0, CTX, 0, 64 * 4, 100, 10, 64, 64, true);
    d.copy(0, 0, 0, 200, 100, 64, 64);
    d.present(0, []);
    d.cursorDefine(0, CTX, 0, 16, 16, 32, 64 * 4, 2, 3);
    d.cursorShow(0, true);
    d.cursorMove(0, 40, 50);
    d.readMem(CTX, 0x3000, src, 256);
    // The IOSurface window's callbacks come from the MMIO dispatcher thread.
    const surface = d.pages.allocate(4096);
    d.mapSurface(0, surface, 16, 16, 64, true);
    d.unmapSurface(0);
    d.fence(1, true);
    d.waitFence(1);
    d.unmap(CTX, 0, 64 * 64 * 4);
    for (let c = 1; c <= 4; c++) d.ctxDestroy(c);
    d.fence(2, false);
    d.waitFence(2);
    return { info, errors: d.errors() };
  },

  /** Raw register reads (param: [window, offset, size][]), for bad-access tests. */
  registers(_d, port, param) {
    return { reads: (param as [number, number, number][]).map(([w, o, s]) => port.rawRead(w, o, s)) };
  },

  /** 8-byte accesses as upstream QEMU's region accepts them: split into two 4-byte register accesses. */
  wideAccesses(_d, port) {
    const idAndVersion = port.rawReadHalves(EngineWindow.Gfx, 0x0, 8);
    port.rawWrite(EngineWindow.Gfx, 0x40, 8, 0x12345000, 0x1);
    const ringGpa = [port.rawRead(EngineWindow.Gfx, 0x40, 4), port.rawRead(EngineWindow.Gfx, 0x44, 4)];
    const ringGpa8 = port.rawReadHalves(EngineWindow.Gfx, 0x40, 8);
    const unaligned = port.rawReadHalves(EngineWindow.Gfx, 0x44, 8);
    port.rawWrite(EngineWindow.Gfx, 0x44, 8, 0xdead, 0xbeef);
    const afterUnalignedWrite = port.rawRead(EngineWindow.Gfx, 0x44, 4);
    return { idAndVersion, ringGpa, ringGpa8, unaligned, afterUnalignedWrite };
  },

  /** Bad IOSurface-window requests, each followed by a read of the window's ERROR_CODE. */
  iosfcBad(d) {
    d.probe();
    const good = d.pages.allocate(64 * 64 * 4);
    const codes: Record<string, number> = {};
    const check = (name: string, run: () => void) => {
      d.setIosfcReg(IosfcReg.ErrorAck, 1);
      run();
      codes[name] = d.iosfcReg(IosfcReg.ErrorCode);
    };
    check('surface number 32', () => d.setIosfcReg(IosfcReg.Surface, 32));
    check('width 0', () => d.mapSurface(1, good, 0, 64, 256));
    check('stride below 4 x width', () => d.mapSurface(1, good, 64, 64, 100));
    check('width over 4096', () => d.mapSurface(1, good, 5000, 1, 20000));
    check('outside RAM', () => d.mapSurface(1, 0x1000, 64, 64, 256));
    check('unmap of an unmapped surface', () => d.unmapSurface(2));
    check('unknown command', () => {
      d.setIosfcReg(IosfcReg.Surface, 1);
      d.setIosfcReg(IosfcReg.Command, 3);
    });
    check('a good map', () => d.mapSurface(1, good, 64, 64, 256));
    check('map it again', () => d.mapSurface(1, good, 64, 64, 256));
    d.setIosfcReg(IosfcReg.Surface, 1);
    d.setIosfcReg(IosfcReg.Width, 8); // ignored while mapped
    const widthWhileMapped = d.iosfcReg(IosfcReg.Width);
    const mapped = d.iosfcReg(IosfcReg.Mapped);
    check('unmap it', () => d.unmapSurface(1));
    return { codes, widthWhileMapped, mapped, mappedAfter: d.iosfcReg(IosfcReg.Mapped) };
  },

  /** Rings a good doorbell, at once overwrites it with a bad one, then waits for the fence. */
  badDoorbell(d) {
    setUp(d);
    d.setMode(0, 0);
    const codes: number[] = [];
    for (let round = 1; round <= 50; round++) {
      d.fill(0, 0, 0, 16, 16, 0xff000000 + round);
      d.present(0, []);
      d.fence(round, false);
      d.flush();
      d.setReg(Reg.Doorbell, 0x7fff_fff0); // not a tail: refused, the good one stands
      d.waitFence(round, 5000);
      codes.push(d.errors().code);
      d.ackErrors();
    }
    return { codes, fence: d.reg(Reg.FenceCompleted) };
  },

  /** Leaves display 0 mid-frame: a mode, a present, then a draw that is not presented yet. */
  midframe(d) {
    setUp(d);
    d.setMode(0, 0);
    d.present(0, []);
    d.fill(0, 0, 0, 10, 10, 0xffffffff);
    d.waitIdle();
    return d.errors();
  },

  /** One of the golden scenes (param: its name), drawn and presented on display 0. */
  scene(d, _port, param) {
    setUp(d);
    const src = contextWithBuffer(d, CTX, 64 * 64 * 4);
    gradient(d, src, 64, 64);
    d.setMode(0, 0);
    d.fill(0, 0, 0, 320, 200, 0xff101820);
    switch (param) {
      case 'fill':
        d.fill(0, 10, 10, 100, 50, 0xffff0000);
        d.fill(0, 60, 40, 100, 50, 0xff00ff00);
        d.fill(0, 300, 180, 20, 20, 0x800000ff);
        break;
      case 'copy':
        d.fill(0, 10, 10, 60, 40, 0xffffcc00);
        d.fill(0, 20, 20, 20, 10, 0xff0000ff);
        d.copy(0, 10, 10, 40, 25, 60, 40); // overlapping, down-right
        d.copy(0, 40, 25, 0, 120, 60, 40);
        break;
      case 'blit':
        d.blit(0, CTX, 0, 64 * 4, 20, 20, 64, 64, false);
        d.blit(0, CTX, 32 * 4, 64 * 4, 200, 100, 32, 64, false);
        break;
      case 'blit-alpha':
        d.fill(0, 0, 0, 160, 200, 0xffffffff);
        d.blit(0, CTX, 0, 64 * 4, 120, 60, 64, 64, true);
        break;
      case 'surface': {
        const gpa = d.pages.allocate(64 * 64 * 4);
        gradient(d, gpa, 64, 64);
        d.mapSurface(3, gpa, 64, 64, 64 * 4, true);
        d.blitSurface(0, 3, 16, 16, 30, 30, 48, 48, false);
        d.blitSurface(0, 3, 0, 0, 150, 90, 64, 64, true);
        break;
      }
      default:
        throw new Error(`unknown scene ${String(param)}`);
    }
    d.present(0, []);
    d.fence(1, false);
    d.waitFence(1);
    return d.errors();
  },

  /**
   * The ring header's IRQ word (docs/protocol.md §2, "Interrupt causes"): what the engine ORs into
   * it for a fence with an interrupt, for an error while the ring runs and while it does not, and
   * what the driver's takeIrqCauses() then returns and leaves behind, in the word and in IRQ_STATUS.
   */
  irqInRing(d) {
    const features = setUp(d).features;
    const t = d.memory.translate(d.saveState().ringGpa + RING_HEADER_IRQ, 4, 'write');
    if (!t.ok) throw new Error(t.error.message);
    const words = new Int32Array(d.memory.sab);
    const word = () => Atomics.load(words, t.offset / 4) >>> 0;
    d.setReg(Reg.IrqMask, IrqCause.Fence | IrqCause.Error);
    const atStart = word();
    d.fence(1, true);
    d.waitFence(1);
    // The engine writes the fence before it latches the cause: wait for the cause (or give up).
    const deadline = performance.now() + 10_000;
    while ((word() & IrqCause.Fence) === 0 && performance.now() < deadline);
    const afterFence = word();
    const statusAfterFence = d.reg(Reg.IrqStatus);
    const fenceTaken = d.takeIrqCauses();
    const afterTake = word();
    // An unknown opcode: an error while the ring runs. A bit the guest left in the word stays.
    Atomics.store(words, t.offset / 4, 0x8000_0000 | 0);
    d.submitRaw([commandHeader(0x7e7e as Op, 1)]);
    d.fence(2, false);
    d.waitFence(2);
    const afterError = word();
    const errorTaken = d.takeIrqCauses();
    const statusAfterErrorTaken = d.reg(Reg.IrqStatus);
    const errorName = d.errors().name;
    d.ackErrors();
    // The ring stopped: an error (a DOORBELL with no ring) reaches IRQ_STATUS only.
    d.stopRing();
    d.setReg(Reg.Doorbell, 0);
    const statusStopped = d.reg(Reg.IrqStatus);
    const afterStoppedError = word();
    const stoppedTaken = d.takeIrqCauses();
    return {
      advertised: (features & Feature.IrqInRing) !== 0,
      atStart,
      afterFence,
      statusAfterFence,
      fenceTaken,
      afterTake,
      afterError,
      errorTaken,
      statusAfterErrorTaken,
      errorName,
      statusStopped,
      afterStoppedError,
      stoppedTaken,
    };
  },
};
