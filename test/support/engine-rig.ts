// A soft engine wired the way the device actor wires it, with a permissive stand-in host on the
// main thread: it answers every callback (recording the engine thread that made it) and keeps
// the display events. The guest runs in a worker (test/support/engine-guest.ts).
import { createGuestMemory, type GuestMemory } from '../../shared/guest-memory/index.js';
import { Mailbox, createMailboxBuffer } from '../../shared/mailbox/mailbox.js';
import { newRecord } from '../../shared/mailbox/record.js';
import { createCompletionBuffer } from '../../shared/mmio/completion.js';
import { native } from '../../shared/native/addon.js';
import type { NativeEngine } from '../../shared/native/types.js';
import { ReplyErrorCode } from '../../shared/reply/errors.js';
import { ReplyTable, createReplyTableBuffer } from '../../shared/reply/reply-table.js';
import { SURFACE_HEADER_BYTES, SurfaceWord, createSurfacePool } from '../../shared/display/surface-layout.js';
import { EngineOut, InEncode, OutCallback, OutCursorGlyph, OutEncodeDone, OutReadMemory } from '../../actors/device/engine-records.js';

export const RAM_BASE = 0x4000_0000;
export const RAM_SIZE = 16 * 1024 * 1024;
export const GFX_BASE = 0x3020_0000;
export const IOSFC_BASE = 0x3021_0000;

export interface RigOptions {
  modes?: { width: number; height: number; refresh: number }[];
  displays?: number;
  poolThreads?: number;
  /**
   * How the stand-in host waits for callbacks: 'event-loop' (default) polls between event-loop
   * turns; 'parking' serves like an actor's pump — spin, then park in the addon futex where the
   * engine thread's enqueue wakes it — in 20 ms bursts between event-loop turns.
   */
  host?: 'event-loop' | 'parking';
  /** A trace-ring set for the engine's threads (rings 0 … poolThreads + 1). */
  traceSet?: SharedArrayBuffer;
  /** Refuse these callbacks (to test the engine's handling of a refusing host). */
  refuse?: Set<EngineOut>;
  /** Guest RAM bytes (default RAM_SIZE). */
  ramSize?: number;
}

export interface CallbackSeen {
  kind: number;
  thread: number;
  /** The record's words (a copy), for its kind's generated decoders (OutModeChange.generation(words)). */
  words: Int32Array;
}

export class EngineRig {
  readonly memory: GuestMemory;
  readonly ramSize: number;
  readonly inbound = new Mailbox(createMailboxBuffer({ capacity: 1024 }), 'engine-in');
  readonly device = new Mailbox(createMailboxBuffer({ capacity: 1024 }), 'device');
  readonly engineReplies = new ReplyTable(createReplyTableBuffer(16, 256 * 1024 + 64 * 16));
  readonly vcpuReplies = new ReplyTable(createReplyTableBuffer(8, 0));
  readonly completion = createCompletionBuffer(1);
  readonly surfaces: SharedArrayBuffer[];
  readonly engine: NativeEngine;
  readonly seen: CallbackSeen[] = [];
  readonly cursorGlyphs: { display: number; width: number; height: number; hotX: number; hotY: number; argb: Uint32Array }[] = [];
  readonly encodes: { display: number; surface: number; generation: number; status: number; frameSeq: number; damage: number }[] = [];
  interrupts = 0;
  private nextTask = 1;
  private running = true;
  private pumping: Promise<void>;

  constructor(readonly options: RigOptions = {}) {
    this.ramSize = options.ramSize ?? RAM_SIZE;
    this.memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM_BASE, size: this.ramSize }] });
    const modes = options.modes ?? [
      { width: 320, height: 200, refresh: 60 },
      { width: 160, height: 100, refresh: 60 },
    ];
    const maxW = Math.max(...modes.map((m) => m.width));
    const maxH = Math.max(...modes.map((m) => m.height));
    const displays = options.displays ?? 1;
    this.surfaces = Array.from({ length: displays }, () => createSurfacePool(maxW, maxH, 2));
    const d = this.memory.describe();
    this.engine = new native.Engine({
      memory: new Int32Array(d.sab),
      regions: d.regions.map((r) => ({ base: r.base, size: r.size, offset: r.offset, readOnly: r.readOnly })),
      inbound: this.inbound.words,
      device: this.device.words,
      replies: this.engineReplies.words,
      firstSlot: 0,
      slotCount: 16,
      vcpuReplies: this.vcpuReplies.words,
      writeCompletion: new Int32Array(this.completion),
      vcpus: 1,
      displays: this.surfaces.map((sab, i) => ({ port: i, serial: 1000 + i, modes, surfaces: new Int32Array(sab), surfaceCount: 2 })),
      iosfc: true,
      poolThreads: options.poolThreads ?? 3,
      maxContextBytes: Math.max(64 * 1024 * 1024, this.ramSize),
      ...(options.traceSet ? { trace: { set: new Int32Array(options.traceSet), firstRing: 0 } } : {}),
    });
    this.pumping = this.pump();
  }

  /** Serves callback records until stop(): the stand-in for the device actor's event handling. */
  private async pump(): Promise<void> {
    const rec = newRecord();
    const parking = this.options.host === 'parking';
    while (this.running) {
      let n = 0;
      const burstEnd = performance.now() + (parking ? 20 : 0);
      do {
        while (this.device.tryDequeue(rec)) {
          this.handle(rec.kind, rec.args);
          n++;
        }
        if (parking) this.device.waitForWork(2000, 5);
      } while (performance.now() < burstEnd);
      await new Promise((r) => (n > 0 || parking ? setImmediate(r) : setTimeout(r, 0)));
    }
  }

  private handle(kind: number, a: Int32Array): void {
    try {
      this.answer(kind, a);
    } catch {
      // A request this stand-in cannot satisfy (e.g. a read outside guest RAM) is refused.
      this.engineReplies.fail(OutCallback.slot(a), OutCallback.id(a), ReplyErrorCode.Refused);
    }
  }

  private answer(kind: number, a: Int32Array): void {
    this.seen.push({ kind, thread: OutCallback.thread(a), words: a.slice() });
    const slot = OutCallback.slot(a);
    const id = OutCallback.id(a);
    if (this.options.refuse?.has(kind)) {
      this.engineReplies.fail(slot, id, ReplyErrorCode.Refused);
      return;
    }
    switch (kind) {
      case EngineOut.CreateTask: {
        const task = this.nextTask++;
        this.engineReplies.reply(slot, id, task, 0, task, 0);
        break;
      }
      case EngineOut.DestroyTask:
      case EngineOut.MapMemory:
      case EngineOut.UnmapMemory:
      case EngineOut.IosfcMap:
      case EngineOut.IosfcUnmap:
        this.engineReplies.reply(slot, id, 0);
        break;
      case EngineOut.ReadMemory: {
        const bytes = this.memory.view(OutReadMemory.gpa(a), OutReadMemory.length(a), 'read');
        this.engineReplies.payload(slot).set(bytes);
        this.engineReplies.reply(slot, id, 0);
        break;
      }
      case EngineOut.CursorGlyph: {
        const g = OutCursorGlyph;
        const bytes = this.engineReplies.payload(slot).slice(0, g.payloadBytes(a));
        this.cursorGlyphs.push({
          display: g.display(a),
          width: g.width(a),
          height: g.height(a),
          hotX: g.hotX(a),
          hotY: g.hotY(a),
          argb: new Uint32Array(bytes.buffer),
        });
        this.engineReplies.reply(slot, id, 0);
        break;
      }
      case EngineOut.RaiseInterrupt:
        this.interrupts++;
        break;
      case EngineOut.EncodeDone:
        const e = OutEncodeDone;
        this.encodes.push({
          display: e.display(a),
          surface: e.surface(a),
          generation: e.generation(a),
          status: e.status(a),
          frameSeq: e.frameSeq(a),
          damage: e.damageCount(a),
        });
        break;
      default:
        break;
    }
  }

  kinds(kind: EngineOut): CallbackSeen[] {
    return this.seen.filter((s) => s.kind === kind);
  }

  /** Asks for an encode of the whole frame into `surface` and waits for its completion. */
  async encode(display: number, surface: number, generation: number, width: number, height: number) {
    const before = this.encodes.length;
    InEncode.post(this.inbound, display, surface, generation, 0, 0, width, height);
    return this.waitFor(() => this.encodes.find((e, i) => i >= before && e.surface === surface));
  }

  /** The pixels of a surface as the engine wrote them (only damaged rectangles are fresh). */
  surfacePixels(display: number, surface: number): { width: number; height: number; pixels: Uint32Array; generation: number } {
    const sab = this.surfaces[display]!;
    const bytes = sab.byteLength / 2;
    const header = new Uint32Array(sab, bytes * surface, SURFACE_HEADER_BYTES / 4);
    const width = header[SurfaceWord.Width]!;
    const height = header[SurfaceWord.Height]!;
    return { width, height, generation: header[SurfaceWord.Generation]!, pixels: new Uint32Array(sab, bytes * surface + SURFACE_HEADER_BYTES, width * height) };
  }

  async waitFor<T>(probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v) return v;
      if (performance.now() > deadline) throw new Error('timed out waiting in the engine rig');
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.pumping;
    this.engine.stop();
  }

  /** What the guest worker needs to reach the engine. */
  guestData() {
    return {
      memory: this.memory.describe(),
      inbound: this.inbound.buffer,
      vcpuReplies: this.vcpuReplies.buffer,
      completion: this.completion,
    };
  }
}
