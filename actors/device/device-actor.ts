// The apple-gfx device actor: owns one device — its native engine, tasks, mappings, displays,
// PCI config space (PCI variant) — and never blocks (docs/design.md rule 3). MMIO from vCPUs
// is handed to the engine's inbound mailbox without waiting (the engine completes it straight
// to the vCPU); engine callbacks are answered here; display events go on to the compositor
// actor (under the actor model the engine posts them there itself, all but the cursor glyph);
// interrupts are routed here through the shared interrupt table (under the actor model the engine
// raises them itself, reading the MSI capability this actor publishes: irq-route.ts).
import type { ActorBehaviour, ActorContext } from '../runtime/host.js';
import { CURSOR_MAX_SIZE, CursorSlot } from '../../shared/display/cursor-slot.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import type { MailboxRecord } from '../../shared/mailbox/record.js';
import { BarTable } from '../../shared/mmio/bar-table.js';
import { completeWrite } from '../../shared/mmio/completion.js';
import type { NativeEngine } from '../../shared/native/types.js';
import type { GuestMemory } from '../../shared/guest-memory/index.js';
import { ReplyTable } from '../../shared/reply/reply-table.js';
import { monotonicMicros } from '../../shared/trace/clock.js';
import { FLOW_INSET_US, callbackFlowId, mmioFlowId } from '../../shared/trace/flow-ids.js';
import { TRACE_EVENTS } from '../../shared/trace/events.js';
import { TracePhase } from '../../shared/trace/layout.js';
import { CALLBACK_TRACE_ARGS, CALLBACK_TRACE_EVENTS, EngineCallbacks } from './callbacks.js';
import {
  EngineIn,
  EngineOut,
  InMmioRead,
  InMmioWrite,
  OutCallback,
  OutCursorGlyph,
  OutCursorMove,
  OutCursorShow,
  OutEncodeDone,
  OutIosfcInterrupt,
  OutModeChange,
  OutNewFrame,
  OutRaiseInterrupt,
} from './engine-records.js';
import { DisplayEvents } from './display-events.js';
import { InterruptRouter } from './interrupts.js';
import { InterruptTable } from '../../shared/irq/interrupt-table.js';
import { IrqRoute, createIrqRouteBuffer } from '../../shared/irq/irq-route.js';
import { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';
import { DeviceMmioRead, DeviceMmioWrite } from '../../abi/generated/device-records.js';
import { DeviceKind, DeviceWindow, type DeviceConfig, type DeviceControl, type DeviceStats } from './messages.js';
import { PciConfigSpace } from '../../shared/pci/config-space.js';
import { QemuLocks } from './qemu-locks.js';
import { TaskSpace } from './task-space.js';
import { DeviceLifecycle } from './lifecycle.js';

import { startEngine } from './engine-start.js';
import { loadDeviceState, saveDeviceState, type DeviceStateParts } from './device-state.js';
/** An MMIO record for the engine that its mailbox could not take yet. */
interface Held {
  kind: number;
  args: number[];
}

/** The device actor's behaviour (runActor serves it from worker.ts; a test may wrap it: test/support/faulty-device/). */
export class DeviceActor implements ActorBehaviour<DeviceControl> {
  readonly control: DeviceControl;
  private readonly config: DeviceConfig;
  private readonly memory: GuestMemory;
  private readonly engineReplies: ReplyTable;
  private readonly inbound: Mailbox;
  private readonly writeCompletion: Int32Array;
  private readonly bars: BarTable;
  private readonly tasks: TaskSpace;
  private readonly callbacks: EngineCallbacks;
  private readonly pci: PciConfigSpace | null;
  private readonly irq: InterruptRouter;
  /** What the engine reads to raise its own interrupts (the actor model), and its counts of them. */
  private readonly route = new IrqRoute(createIrqRouteBuffer());
  private readonly cursorSlots: CursorSlot[];
  private readonly cursorGlyphs: number[];
  private readonly display: DisplayEvents;
  private readonly modes: ({ width: number; height: number } | null)[];
  private readonly counters = { mmioReads: 0, mmioWrites: 0, configReads: 0, configWrites: 0 };
  /** MMIO records the engine's mailbox could not take yet, in order. */
  private readonly backlog: Held[] = [];
  /** The qemu threading model: each callback under the lock upstream takes for it (qemu-locks.ts); null otherwise. */
  private readonly qemu: QemuLocks | null;
  private readonly engine: NativeEngine;
  private readonly lifecycle: DeviceLifecycle;

  constructor(private readonly ctx: ActorContext) {
    const config = ctx.config as DeviceConfig;
    if (!ctx.memory) throw new Error('the device actor needs guest memory');
    this.config = config;
    this.memory = ctx.memory;
    this.engineReplies = new ReplyTable(config.engineReplies);
    this.inbound = new Mailbox(config.engineInbound, `${ctx.name}-engine`);
    this.writeCompletion = new Int32Array(config.writeCompletion);
    this.bars = new BarTable(config.barTable);
    this.tasks = new TaskSpace(this.memory, config.limits, config.mapSemantics);
    this.callbacks = new EngineCallbacks(this.tasks, this.memory, this.engineReplies);
    this.pci = config.variant === 'apple-gfx-pci' ? new PciConfigSpace() : null;
    const irqTable = new InterruptTable(
      config.irqTable,
      config.irqTargets.map((b) => new VcpuIrqState(b)),
      ctx.trace,
    );
    this.irq = new InterruptRouter(new Mailbox(config.irqMailbox, 'irq'), irqTable, this.pci);
    this.cursorSlots = config.displays.map((d) => new CursorSlot(d.cursor));
    this.cursorGlyphs = config.displays.map(() => 0);
    this.display = new DisplayEvents(new Mailbox(config.compositorMailbox, 'compositor'), config.index);
    this.modes = config.displays.map(() => null);
    this.qemu = ctx.bql ? new QemuLocks(ctx.bql, ctx.bqlTag, ctx.trace) : null;
    this.engine = startEngine(ctx, config, {
      memory: this.memory,
      inbound: this.inbound,
      engineReplies: this.engineReplies,
      writeCompletion: this.writeCompletion,
      interrupts: config.interruptsDirect ? this.route : null,
    });
    this.lifecycle = new DeviceLifecycle(this.engine, this.inbound, () => ({
      mailboxEmpty: ctx.mailbox.depth() === 0,
      backlog: this.backlog.length,
      irqPending: this.irq.pending,
      displayWaiting: this.display.waiting,
    }));
    const pci = this.pci;
    if (pci) {
      // BAR0 decodes only while memory space is enabled; the vCPUs' buses follow the table.
      pci.onChange = (change) => {
        if (change.kind === 'msi-mask') this.irq.unmasked();
        else this.bars.publish(config.index, pci.bar0Address());
      };
    }
    this.control = {
      activity: () => this.lifecycle.activity(),
      reset: () => this.startReset(),
      stats: () => this.stats(),
      saveState: () => saveDeviceState(this.stateParts()),
      loadState: (state) => {
        const refused = loadDeviceState(this.stateParts(), state);
        this.publishRoute();
        return refused;
      },
    };
  }

  /** After the guest (or a reset, or a snapshot) changed config space: the engine reads the MSI capability from the route. */
  private publishRoute(): void {
    if (this.pci) this.route.publishMsi(this.pci.msi());
  }

  private stateParts(): DeviceStateParts {
    return { engine: this.engine, tasks: this.tasks, pci: this.pci, memory: this.memory };
  }

  onRecord(record: MailboxRecord): void {
    if (record.kind === DeviceKind.MmioRead || record.kind === DeviceKind.MmioWrite) {
      this.mmio(record);
      return;
    }
    if (this.qemu) this.qemu.run(record.kind, () => this.engineEvent(record));
    else this.engineEvent(record);
  }

  onIdle(): boolean {
    // A power-on in progress: keep coming back until the engine finished it (its callbacks
    // arrive as records meanwhile), then reset what this actor holds.
    if (this.lifecycle.resetting && this.lifecycle.engineDone()) this.finishReset();
    const { backlog, inbound } = this;
    while (backlog.length > 0 && inbound.tryEnqueue(backlog[0]!.kind, backlog[0]!.args)) backlog.shift();
    let irqLeft = this.irq.pending;
    let displayLeft = this.display.waiting > 0;
    // Retrying an interrupt or a display event is the rest of its bottom half: under the BQL too.
    const retry = () => {
      irqLeft = this.irq.flush();
      displayLeft = this.display.flush();
    };
    if (irqLeft || displayLeft) {
      if (this.qemu) this.qemu.bottomHalf(retry);
      else retry();
    }
    return backlog.length > 0 || irqLeft || displayLeft || this.lifecycle.resetting;
  }

  onStop(): void {
    this.engine.stop();
  }

  private startReset(): Promise<void> {
    // Power-on goes through the inbound mailbox in order, after every MMIO record before it.
    const started = this.lifecycle.startReset();
    if (this.backlog.length > 0 || !this.inbound.tryPost(EngineIn.PowerOn)) this.backlog.push({ kind: EngineIn.PowerOn, args: [] });
    return started;
  }

  private finishReset(): void {
    this.tasks.clear();
    this.pci?.reset();
    this.publishRoute();
    this.irq.reset();
    this.modes.fill(null);
    this.lifecycle.finishReset();
  }

  /** A vCPU's MMIO record: PCI config space is answered here, the gfx and iosfc windows go to the engine. */
  private mmio(record: MailboxRecord): void {
    // A vCPU's MMIO record (abi/schema/device-records.ts) has the engine's fields, so it goes on
    // to the engine unchanged (InMmioRead/InMmioWrite.tryRepost).
    const { ctx, counters } = this;
    const a = record.args;
    const window = DeviceMmioRead.window(a);
    const isRead = record.kind === DeviceKind.MmioRead;
    if (isRead) counters.mmioReads++;
    else counters.mmioWrites++;
    if (ctx.trace) {
      // A sliver of a span, so the read's flow arrow has a slice to pass through here.
      const at = monotonicMicros();
      // (offset, value) as TRACE_ARGS names them; a read's value is not known here (NaN: left out).
      ctx.trace.write(
        isRead ? TRACE_EVENTS.apple_gfx_read : TRACE_EVENTS.apple_gfx_write,
        TracePhase.Complete,
        at,
        0.1,
        DeviceMmioRead.offsetLo(a),
        isRead ? NaN : DeviceMmioWrite.valueLo(a),
      );
      if (isRead) ctx.trace.flowStep(TRACE_EVENTS.request, mmioFlowId(DeviceMmioRead.vcpu(a), DeviceMmioRead.id(a)), at + 0.05);
    }
    if (window === DeviceWindow.PciConfig) {
      const offset = DeviceMmioRead.offsetLo(a);
      const size = DeviceMmioRead.size(a);
      if (isRead) {
        counters.configReads++;
        const value = this.pci ? this.pci.read(offset, size) : 0xffffffff;
        ctx.replies.reply(DeviceMmioRead.slot(a), DeviceMmioRead.id(a), value, 0);
      } else {
        counters.configWrites++;
        this.pci?.write(offset, size, DeviceMmioWrite.valueLo(a));
        this.publishRoute();
        completeWrite(this.writeCompletion, DeviceMmioWrite.vcpu(a));
      }
      return;
    }
    // The gfx and iosfc windows belong to the engine: the record's layout is the engine's.
    const forward = isRead ? InMmioRead : InMmioWrite;
    if (this.backlog.length === 0 && forward.tryRepost(this.inbound, a)) return;
    this.backlog.push({ kind: forward.kind, args: Array.from(a.subarray(0, forward.words)) });
  }

  // A callback's handling as a span on this actor's track, with the middle of the flow arrow the
  // engine thread draws from its wait to here and back (ids as EngineTracer::callbackFlowId).
  private traceCallback(kind: number, a: Int32Array, start: number): void {
    const { ctx, config } = this;
    if (!ctx.trace || config.engineTraceRing === undefined) return;
    // The callback's first argument, as the engine thread's span has it; the status is the engine's to tell.
    const event = CALLBACK_TRACE_EVENTS[kind];
    if (event === undefined) ctx.trace.span(TRACE_EVENTS.mailbox_handle, start, kind);
    else ctx.trace.span(event, start, CALLBACK_TRACE_ARGS[kind]!(a), NaN);
    ctx.trace.flowStep(TRACE_EVENTS.request, callbackFlowId(config.engineTraceRing, OutCallback.slot(a), OutCallback.id(a)), start + FLOW_INSET_US);
  }

  /** A record from the engine: a callback to answer, an interrupt to raise, or a display event for the compositor. */
  private engineEvent(record: MailboxRecord): void {
    const { ctx, config, display, modes } = this;
    const a = record.args;
    const start = ctx.trace ? monotonicMicros() : 0;
    if (this.callbacks.handle(record.kind, a)) return this.traceCallback(record.kind, a, start);
    switch (record.kind) {
      case EngineOut.RaiseInterrupt:
        ctx.trace?.instant(TRACE_EVENTS.apple_gfx_raise_irq, OutRaiseInterrupt.vector(a));
        this.irq.raise(config.gfxLine, OutRaiseInterrupt.vector(a));
        return;
      case EngineOut.IosfcInterrupt:
        ctx.trace?.instant(TRACE_EVENTS.apple_iosfc_raise_irq, OutIosfcInterrupt.vector(a));
        this.irq.raise(config.iosfcLine);
        return;
      case EngineOut.ModeChange: {
        const port = OutModeChange.display(a);
        const [width, height] = [OutModeChange.width(a), OutModeChange.height(a)];
        ctx.trace?.instant(TRACE_EVENTS.apple_gfx_mode_change, port, width, height);
        if (port < modes.length) modes[port] = { width, height };
        // Under the actor model the engine told the compositor itself; this copy is for stats().
        if (!config.displayEventsDirect) display.modeChange(port, width, height, OutModeChange.generation(a));
        return;
      }
      case EngineOut.NewFrame: {
        const port = OutNewFrame.display(a);
        ctx.trace?.instant(TRACE_EVENTS.apple_gfx_new_frame, port, OutNewFrame.frameSeq(a));
        // Stamped by the engine as it posted it: the latency includes this hop and any wait for the BQL.
        display.newFrame(port, OutNewFrame.frameSeq(a), OutNewFrame.stamp(a));
        return;
      }
      case EngineOut.EncodeDone:
        display.encodeDone(OutEncodeDone.display(a), OutEncodeDone.generation(a), OutEncodeDone.status(a), OutEncodeDone.frameSeq(a), OutEncodeDone.surface(a));
        return;
      case EngineOut.CursorGlyph:
        this.cursorGlyph(a);
        this.traceCallback(record.kind, a, start);
        return;
      case EngineOut.CursorShow: {
        const port = OutCursorShow.display(a);
        const show = OutCursorShow.show(a);
        display.cursorShow(port, show);
        ctx.trace?.instant(TRACE_EVENTS.apple_gfx_cursor_show, port, show ? 1 : 0);
        return;
      }
      case EngineOut.CursorMove: {
        const port = OutCursorMove.display(a);
        const [x, y] = [OutCursorMove.x(a), OutCursorMove.y(a)];
        display.cursorMove(port, x, y);
        ctx.trace?.instant(TRACE_EVENTS.apple_gfx_cursor_move, port, x, y);
        return;
      }
      default:
        throw new Error(`device actor: unknown record kind 0x${record.kind.toString(16)}`);
    }
  }

  /**
   * Copies a new cursor glyph out of its reply slot into the display's cursor slot for the
   * compositor (the display queue waits for this answer, so the copy is the only work done here).
   */
  private cursorGlyph(a: Int32Array): void {
    const target = OutCursorGlyph.display(a);
    const slot = this.cursorSlots[target];
    const [w, h] = [OutCursorGlyph.width(a), OutCursorGlyph.height(a)];
    const replySlot = OutCursorGlyph.slot(a);
    const payload = this.engineReplies.payload(replySlot < this.engineReplies.slots ? replySlot : 0);
    const id = OutCursorGlyph.id(a);
    if (slot && OutCursorGlyph.payloadBytes(a) <= payload.length && w <= CURSOR_MAX_SIZE && h <= CURSOR_MAX_SIZE) {
      this.cursorGlyphs[target]!++;
      // Answered once the compositor's mailbox took the record: the engine's next display event
      // (posted directly under the actor model) then cannot overtake it.
      const sequence = slot.write(w, h, OutCursorGlyph.hotX(a), OutCursorGlyph.hotY(a), payload);
      this.display.cursorGlyph(target, sequence, () => this.engineReplies.reply(replySlot, id));
      return;
    }
    this.engineReplies.reply(replySlot, id);
  }

  /** This actor's routing and the engine's own (the actor model), together. */
  private interruptStats(): DeviceStats['interrupts'] {
    const { irq } = this;
    const direct = this.route.counts();
    return {
      raised: irq.raised + direct.raised,
      delivered: irq.delivered + direct.delivered,
      droppedWhileDisabled: irq.droppedWhileDisabled + direct.droppedWhileDisabled,
      heldWhileMasked: irq.heldWhileMasked,
      direct: direct.raised,
      deferred: direct.deferred,
    };
  }

  private stats(): DeviceStats {
    const { config, display, callbacks } = this;
    return {
      variant: config.variant,
      ...this.counters,
      callbacks: { ...callbacks.counts },
      refusals: { ...callbacks.refusals },
      interrupts: this.interruptStats(),
      tasks: this.tasks.stats(),
      displays: config.displays.map((d, i) => ({ serial: d.serial, mode: this.modes[i] ?? null, cursorGlyphs: this.cursorGlyphs[i]! })),
      displayEvents: {
        forwarded: display.forwarded,
        backlogged: display.backlogged,
        coalesced: display.coalesced,
        coalescedFrames: display.coalescedFrames,
        waiting: display.waiting,
      },
      engine: this.engine.stats(),
      mailbox: this.ctx.mailbox.stats(),
      qemu: this.qemu?.stats() ?? null,
    };
  }
}
