// The built-in guest driver: speaks docs/protocol.md through MMIO and a command ring in guest
// RAM, as a real driver would. It runs on a vCPU (the TypeScript CPU backend) and knows nothing
// of actors: MMIO goes through whatever port the vCPU gives it.
import type { GuestMemory } from '../../shared/guest-memory/index.js';
import type { PageAllocator } from './page-allocator.js';
import {
  ERROR_NAMES,
  IosfcReg,
  IrqCause,
  MAX_COMMAND_WORDS,
  Op,
  PVG_ID,
  RESET_MAGIC,
  RING_HEADER_BYTES,
  RING_HEADER_FENCE,
  RING_HEADER_IRQ,
  RING_HEADER_TAIL,
  Reg,
  Status,
  commandHeader,
} from './protocol.js';

export interface MmioPort {
  read32(address: number): number;
  /** Posted: returns once the write is queued (the port may wait for room). */
  write32(address: number, value: number): void;
}

export interface DisplayModeInfo {
  width: number;
  height: number;
  refresh: number;
}

export interface DeviceInfo {
  version: number;
  features: number;
  displays: DisplayModeInfo[][];
}

export interface DeviceErrors {
  status: number;
  code: number;
  /** A GuestErrorName, or the raw code of one this driver does not know. */
  name: string;
  count: number;
}

export class DriverError extends Error {
  override readonly name = 'DriverError';
}

const lo = (v: number) => v >>> 0;
const hi = (v: number) => Math.floor(v / 0x1_0000_0000) >>> 0;

/** The driver's own state (a snapshot): where its ring is and how far it got. */
export interface DriverState {
  /** The ring runs (ringGpa, payload, tail and head mean something). */
  readonly ring: boolean;
  readonly ringGpa: number;
  readonly payload: number;
  readonly tail: number;
  readonly head: number;
  readonly dirty: boolean;
}

export class PvgDriver {
  private ringGpa = 0;
  private payload = 0;
  private tail = 0;
  private head = 0;
  private ringView: DataView | null = null;
  private ringOffset = 0;
  /** Guest RAM as 32-bit words, for the atomic accesses to the ring header's fence and IRQ words. */
  private ramWords: Int32Array | null = null;
  /** Doorbell only when something was queued since the last one. */
  private dirty = false;
  /** The argument words of the commands a frame sends by the dozen: no array per command. */
  private readonly scratch = new Float64Array(MAX_COMMAND_WORDS);

  constructor(
    private readonly port: MmioPort,
    readonly memory: GuestMemory,
    readonly gfxBase: number,
    readonly pages: PageAllocator,
    readonly iosfcBase: number | null = null,
  ) {}

  saveState(): DriverState {
    return { ring: this.ringView !== null, ringGpa: this.ringGpa, payload: this.payload, tail: this.tail, head: this.head, dirty: this.dirty };
  }

  /** Takes a saved state (no MMIO: the device was restored with it); a reason string when it cannot be this driver's. */
  loadState(s: DriverState): string | null {
    if (!s.ring) {
      this.ringView = null;
      return null;
    }
    const bytes = s.payload + RING_HEADER_BYTES;
    if (!Number.isSafeInteger(bytes) || bytes < 4096 || bytes > 1 << 20 || (bytes & (bytes - 1)) !== 0) return `ring of ${bytes} bytes`;
    for (const [name, v] of [
      ['tail', s.tail],
      ['head', s.head],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v >= s.payload || v % 4 !== 0) return `ring ${name} ${v} outside the ring`;
    }
    const t = this.memory.translate(s.ringGpa, bytes, 'write');
    if (!t.ok) return `ring memory: ${t.error.message}`;
    this.ringView = new DataView(this.memory.sab);
    this.ringOffset = t.offset;
    this.ringGpa = s.ringGpa;
    this.payload = s.payload;
    this.tail = s.tail;
    this.head = s.head;
    this.dirty = s.dirty;
    return null;
  }

  reg(offset: Reg): number {
    return this.port.read32(this.gfxBase + offset) >>> 0;
  }

  setReg(offset: Reg, value: number): void {
    this.port.write32(this.gfxBase + offset, value >>> 0);
  }

  probe(): DeviceInfo {
    const id = this.reg(Reg.Id);
    if (id !== PVG_ID) throw new DriverError(`no pvg device at 0x${this.gfxBase.toString(16)} (ID 0x${id.toString(16)})`);
    const displays: DisplayModeInfo[][] = [];
    const count = this.reg(Reg.DisplayCount);
    for (let d = 0; d < count; d++) {
      this.setReg(Reg.DisplaySelect, d);
      const modes: DisplayModeInfo[] = [];
      const n = this.reg(Reg.ModeCount);
      for (let m = 0; m < n; m++) {
        this.setReg(Reg.ModeSelect, m);
        modes.push({ width: this.reg(Reg.ModeWidth), height: this.reg(Reg.ModeHeight), refresh: this.reg(Reg.ModeRefresh) });
      }
      displays.push(modes);
    }
    return { version: this.reg(Reg.Version), features: this.reg(Reg.Features), displays };
  }

  /** Allocates and zeroes the ring, then starts it (the device creates and maps the ring task). */
  startRing(bytes = 64 * 1024): void {
    this.ringGpa = this.pages.allocate(bytes);
    this.memory.view(this.ringGpa, bytes, 'write').fill(0);
    const t = this.memory.translate(this.ringGpa, bytes, 'write');
    if (!t.ok) throw new DriverError(`ring memory: ${t.error.message}`);
    this.ringView = new DataView(this.memory.sab);
    this.ringOffset = t.offset;
    this.payload = bytes - RING_HEADER_BYTES;
    this.tail = 0;
    this.head = 0;
    this.setReg(Reg.RingGpaLo, lo(this.ringGpa));
    this.setReg(Reg.RingGpaHi, hi(this.ringGpa));
    this.setReg(Reg.RingSize, bytes);
    this.setReg(Reg.RingControl, 1);
    if ((this.reg(Reg.Status) & Status.Running) === 0) throw new DriverError(`ring did not start: ${this.errors().name}`);
  }

  stopRing(): void {
    this.setReg(Reg.RingControl, 0);
    this.ringView = null;
  }

  reset(): void {
    this.setReg(Reg.Reset, RESET_MAGIC);
    this.ringView = null;
  }

  errors(): DeviceErrors {
    const code = this.reg(Reg.ErrorCode);
    return { status: this.reg(Reg.Status), code, name: ERROR_NAMES[code] ?? `error-${code}`, count: this.reg(Reg.ErrorCount) };
  }

  ackErrors(): void {
    this.setReg(Reg.ErrorAck, 1);
  }

  // ------------------------------------------------------------------ the ring

  /** Queues one command (header included in `words`); waits for ring space if needed. */
  submitRaw(words: ArrayLike<number>): void {
    this.write(null, words);
  }

  private command(op: Op, args: ArrayLike<number>, count = args.length): void {
    if (count + 1 > MAX_COMMAND_WORDS) throw new DriverError('command too long');
    this.write(commandHeader(op, count + 1), args, count);
  }

  /** A command whose `count` argument words are in the scratch array. */
  private scratchCommand(op: Op, count: number): void {
    this.command(op, this.scratch, count);
  }

  /**
   * Writes one command into the ring: `header` (unless null), then `words`. The header is passed
   * apart so a command costs no array of its own words (a frame writes dozens of commands).
   */
  private write(header: number | null, words: ArrayLike<number>, length = words.length): void {
    const view = this.ringView;
    if (!view) throw new DriverError('the ring is not running');
    const count = length + (header === null ? 0 : 1);
    const bytes = count * 4;
    if (bytes === 0 || bytes > this.payload - 4) throw new DriverError(`command of ${count} words does not fit the ring`);
    this.waitForSpace(bytes);
    const base = this.ringOffset + RING_HEADER_BYTES;
    let at = this.tail;
    if (header !== null) {
      view.setUint32(base + at, header >>> 0, true);
      at = (at + 4) % this.payload;
    }
    for (let i = 0; i < length; i++) {
      view.setUint32(base + at, words[i]! >>> 0, true);
      at = (at + 4) % this.payload;
    }
    this.tail = at;
    view.setUint32(this.ringOffset + RING_HEADER_TAIL, this.tail, true);
    this.dirty = true;
  }

  private free(): number {
    return this.payload - 4 - ((this.tail - this.head + this.payload) % this.payload);
  }

  private waitForSpace(bytes: number): void {
    if (this.free() >= bytes) return;
    this.flush();
    for (let spins = 0; this.free() < bytes; spins++) {
      this.head = this.reg(Reg.RingHead);
      if (spins > 1_000_000) throw new DriverError('the device stopped consuming the ring');
    }
  }

  /** Rings the doorbell for everything queued. */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.setReg(Reg.Doorbell, this.tail);
  }

  // ------------------------------------------------------------------ commands

  ctxCreate(ctx: number, bytes: number): void {
    this.command(Op.CtxCreate, [ctx, lo(bytes), hi(bytes)]);
  }
  ctxDestroy(ctx: number): void {
    this.command(Op.CtxDestroy, [ctx]);
  }
  map(ctx: number, va: number, ranges: { gpa: number; length: number }[], readOnly = false): void {
    const args = [ctx, lo(va), hi(va), readOnly ? 1 : 0, ranges.length];
    for (const r of ranges) args.push(lo(r.gpa), hi(r.gpa), lo(r.length), hi(r.length));
    this.command(Op.Map, args);
  }
  unmap(ctx: number, va: number, length: number): void {
    this.command(Op.Unmap, [ctx, lo(va), hi(va), lo(length), hi(length)]);
  }
  readMem(ctx: number, va: number, gpa: number, length: number): void {
    this.command(Op.ReadMem, [ctx, lo(va), hi(va), lo(gpa), hi(gpa), length]);
  }
  setMode(display: number, mode: number): void {
    this.command(Op.SetMode, [display, mode]);
  }
  fill(display: number, x: number, y: number, w: number, h: number, argb: number): void {
    const a = this.scratch;
    a[0] = display;
    a[1] = x;
    a[2] = y;
    a[3] = w;
    a[4] = h;
    a[5] = argb;
    this.scratchCommand(Op.FillRect, 6);
  }
  copy(display: number, sx: number, sy: number, dx: number, dy: number, w: number, h: number): void {
    this.command(Op.CopyRect, [display, sx, sy, dx, dy, w, h]);
  }
  blit(display: number, ctx: number, va: number, stride: number, dx: number, dy: number, w: number, h: number, alpha: boolean): void {
    const a = this.scratch;
    a[0] = display;
    a[1] = ctx;
    a[2] = lo(va);
    a[3] = hi(va);
    a[4] = stride;
    a[5] = dx;
    a[6] = dy;
    a[7] = w;
    a[8] = h;
    a[9] = alpha ? 1 : 0;
    this.scratchCommand(Op.Blit, 10);
  }
  blitSurface(display: number, surface: number, sx: number, sy: number, dx: number, dy: number, w: number, h: number, alpha: boolean): void {
    this.command(Op.BlitSurface, [display, surface, sx, sy, dx, dy, w, h, alpha ? 1 : 0]);
  }
  present(display: number, rects: { x: number; y: number; w: number; h: number }[] = []): void {
    const count = 2 + rects.length * 4;
    if (count + 1 > MAX_COMMAND_WORDS) throw new DriverError('command too long');
    const a = this.scratch;
    a[0] = display;
    a[1] = rects.length;
    for (let i = 0; i < rects.length; i++) {
      const r = rects[i]!;
      a[2 + i * 4] = r.x;
      a[3 + i * 4] = r.y;
      a[4 + i * 4] = r.w;
      a[5 + i * 4] = r.h;
    }
    this.scratchCommand(Op.Present, count);
  }
  cursorDefine(display: number, ctx: number, va: number, w: number, h: number, bpp: number, stride: number, hotX: number, hotY: number): void {
    this.command(Op.CursorDefine, [display, ctx, lo(va), hi(va), w, h, bpp, stride, hotX, hotY]);
  }
  cursorShow(display: number, show: boolean): void {
    this.command(Op.CursorShow, [display, show ? 1 : 0]);
  }
  cursorMove(display: number, x: number, y: number): void {
    const a = this.scratch;
    a[0] = display;
    a[1] = x | 0;
    a[2] = y | 0;
    this.scratchCommand(Op.CursorMove, 3);
  }
  fence(value: number, interrupt: boolean): void {
    const a = this.scratch;
    a[0] = value >>> 0;
    a[1] = interrupt ? 1 : 0;
    this.scratchCommand(Op.Fence, 2);
  }

  /** Flushes, then polls RING_HEAD until the device has consumed everything queued. */
  waitIdle(timeoutMs = 10_000): void {
    this.flush();
    const deadline = performance.now() + timeoutMs;
    while ((this.head = this.reg(Reg.RingHead)) !== this.tail) {
      if (performance.now() > deadline) throw new DriverError(`ring not consumed after ${timeoutMs} ms`);
    }
  }

  /**
   * The last completed fence. Read from the ring header, where the engine writes it before it
   * raises the fence's interrupt, as drivers of real GPUs read a fence the GPU wrote to memory:
   * a FENCE_COMPLETED read is an MMIO exit and a round trip to the device. Without a ring (or one
   * at an offset Atomics cannot read), the register.
   */
  completedFence(): number {
    const at = this.ringOffset + RING_HEADER_FENCE;
    if (this.ringView === null || at % 4 !== 0) return this.reg(Reg.FenceCompleted);
    this.ramWords ??= new Int32Array(this.memory.sab);
    return Atomics.load(this.ramWords, at / 4) >>> 0;
  }

  /**
   * The interrupt causes since the last call, for an interrupt handler. First from the ring
   * header's IRQ word, which the engine sets before it raises the interrupt (an atomic exchange
   * takes it: no MMIO exit, no round trip to the device); from IRQ_STATUS, acknowledged, only when
   * the word held nothing (no ring yet, or a device without FEATURES.irq-in-ring). The register
   * latches the same causes: an error taken from the word is acknowledged there too, so a later
   * read of the register does not report it twice. Fence and ring-idle bits are left set there,
   * where they mean nothing to this driver (the fence is read from memory).
   */
  takeIrqCauses(): number {
    const at = this.ringOffset + RING_HEADER_IRQ;
    if (this.ringView !== null && at % 4 === 0) {
      this.ramWords ??= new Int32Array(this.memory.sab);
      const causes = Atomics.exchange(this.ramWords, at / 4, 0) >>> 0;
      if (causes !== 0) {
        if (causes & IrqCause.Error) this.setReg(Reg.IrqAck, IrqCause.Error);
        return causes;
      }
    }
    const causes = this.reg(Reg.IrqStatus);
    if (causes !== 0) this.setReg(Reg.IrqAck, causes);
    return causes;
  }

  /** Flushes, then polls the completed fence until it reaches `value` (wrapping compare). */
  waitFence(value: number, timeoutMs = 10_000): void {
    this.flush();
    const deadline = performance.now() + timeoutMs;
    while (((this.completedFence() - value) | 0) < 0) {
      if (performance.now() > deadline) throw new DriverError(`fence ${value} not reached after ${timeoutMs} ms`);
    }
  }

  // ------------------------------------------------------------------ IOSurface window

  iosfcReg(offset: IosfcReg): number {
    if (this.iosfcBase === null) throw new DriverError('this device has no IOSurface window');
    return this.port.read32(this.iosfcBase + offset) >>> 0;
  }

  setIosfcReg(offset: IosfcReg, value: number): void {
    if (this.iosfcBase === null) throw new DriverError('this device has no IOSurface window');
    this.port.write32(this.iosfcBase + offset, value >>> 0);
  }

  /** Maps a guest surface (ARGB8888) as IOSurface `index`. */
  mapSurface(index: number, gpa: number, width: number, height: number, stride: number, readOnly = true): void {
    this.setIosfcReg(IosfcReg.Surface, index);
    this.setIosfcReg(IosfcReg.GpaLo, lo(gpa));
    this.setIosfcReg(IosfcReg.GpaHi, hi(gpa));
    this.setIosfcReg(IosfcReg.Width, width);
    this.setIosfcReg(IosfcReg.Height, height);
    this.setIosfcReg(IosfcReg.Stride, stride);
    this.setIosfcReg(IosfcReg.Flags, readOnly ? 1 : 0);
    this.setIosfcReg(IosfcReg.Command, 1);
  }

  unmapSurface(index: number): void {
    this.setIosfcReg(IosfcReg.Surface, index);
    this.setIosfcReg(IosfcReg.Command, 2);
  }
}
