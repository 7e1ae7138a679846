// The apple-gfx device actor: owns one device — its native engine, tasks, mappings, displays,
// PCI config space (PCI variant) — and never blocks (docs/design.md rule 3). MMIO from vCPUs
// is handed to the engine's inbound mailbox without waiting (the engine completes it straight
// to the vCPU); engine callbacks are answered here; display events go on to the compositor
// actor; interrupts go to the interrupt controller.
import { isActorEntry, runActor, type ActorBehaviour, type ActorContext } from '../runtime/host.js';
import { CURSOR_MAX_SIZE, CursorSlot } from '../../shared/display/cursor-slot.js';
import { SURFACES_PER_DISPLAY } from '../../shared/display/surface-layout.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import type { MailboxRecord } from '../../shared/mailbox/record.js';
import { BarTable } from '../../shared/mmio/bar-table.js';
import { completeWrite } from '../../shared/mmio/completion.js';
import { native } from '../../shared/native/addon.js';
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
import { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';
import { DeviceMmioRead, DeviceMmioWrite } from '../../abi/generated/device-records.js';
import { DeviceKind, DeviceWindow, type DeviceConfig, type DeviceControl, type DeviceStats } from './messages.js';
import { PciConfigSpace } from './pci-config.js';
import { frameStamp } from '../compositor/frame-latency.js';
import { QemuLocks } from './qemu-locks.js';
import { TaskSpace } from './task-space.js';
import { DeviceLifecycle } from './lifecycle.js';

/** The device actor's behaviour; a test's entry may wrap it (test/support/faulty-device/). */
export function createDeviceActor(ctx: ActorContext): ActorBehaviour<DeviceControl> {
  const config = ctx.config as DeviceConfig;
  const memory = ctx.memory;
  if (!memory) throw new Error('the device actor needs guest memory');
  const engineReplies = new ReplyTable(config.engineReplies);
  const inbound = new Mailbox(config.engineInbound, `${ctx.name}-engine`);
  const writeCompletion = new Int32Array(config.writeCompletion);
  const bars = new BarTable(config.barTable);
  const tasks = new TaskSpace(memory, config.limits, config.mapSemantics);
  const callbacks = new EngineCallbacks(tasks, memory, engineReplies);
  const pci = config.variant === 'apple-gfx-pci' ? new PciConfigSpace() : null;
  const irqTable = new InterruptTable(
    config.irqTable,
    config.irqTargets.map((b) => new VcpuIrqState(b)),
    ctx.trace,
  );
  const irq = new InterruptRouter(new Mailbox(config.irqMailbox, 'irq'), irqTable, pci);
  const cursorSlots = config.displays.map((d) => new CursorSlot(d.cursor));
  const cursorGlyphs = config.displays.map(() => 0);
  const display = new DisplayEvents(new Mailbox(config.compositorMailbox, 'compositor'), config.index);
  const modes: ({ width: number; height: number } | null)[] = config.displays.map(() => null);
  const counters = { mmioReads: 0, mmioWrites: 0, configReads: 0, configWrites: 0 };
  /** MMIO records the engine's mailbox could not take yet, in order. */
  const backlog: { kind: number; args: number[] }[] = [];
  /** The qemu threading model: each callback under the lock upstream takes for it (qemu-locks.ts); null otherwise. */
  const qemu = ctx.bql ? new QemuLocks(ctx.bql, ctx.bqlTag, ctx.trace) : null;

  const regions = memory.describe().regions;
  const engine = new native.Engine({
    memory: new Int32Array(memory.sab),
    regions: regions.map((r) => ({ base: r.base, size: r.size, offset: r.offset, readOnly: r.readOnly })),
    inbound: inbound.words,
    device: ctx.mailbox.words,
    replies: engineReplies.words,
    firstSlot: 0,
    slotCount: engineReplies.slots,
    vcpuReplies: ctx.replies.words,
    writeCompletion,
    vcpus: config.vcpus,
    displays: config.displays.map((d, i) => ({
      port: i,
      serial: d.serial,
      modes: d.modes,
      pacing: d.pacing,
      readback: d.readback,
      surfaces: new Int32Array(d.surfaces),
      surfaceCount: SURFACES_PER_DISPLAY,
    })),
    iosfc: config.variant === 'apple-gfx-mmio',
    poolThreads: config.poolThreads,
    backend: config.backend,
    dispatcherSpin: config.dispatcherSpin,
    mapSemantics: config.mapSemantics,
    spinGate: ctx.spinGate ? new Int32Array(ctx.spinGate) : undefined,
    maxContextBytes: config.limits.maxTaskBytes ?? 1 << 30,
    ...(config.callbackTimeoutMs !== undefined ? { callbackTimeoutMs: config.callbackTimeoutMs } : {}),
    ...(config.engineTraceRing !== undefined && ctx.traceSet ? { trace: { set: new Int32Array(ctx.traceSet), firstRing: config.engineTraceRing } } : {}),
  });

  const lifecycle = new DeviceLifecycle(engine, inbound, () => ({
    mailboxEmpty: ctx.mailbox.depth() === 0,
    backlog: backlog.length,
    irqPending: irq.pending,
    displayWaiting: display.waiting,
  }));

  if (pci) {
    // BAR0 decodes only while memory space is enabled; the vCPUs' buses follow the table.
    pci.onChange = (change) => {
      if (change.kind === 'msi-mask') irq.unmasked();
      else bars.publish(config.index, pci.bar0Address());
    };
  }

  const mmio = (record: MailboxRecord) => {
    // A vCPU's MMIO record (abi/schema/device-records.ts) has the engine's fields, so it goes on
    // to the engine unchanged (InMmioRead/InMmioWrite.tryRepost).
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
        const value = pci ? pci.read(offset, size) : 0xffffffff;
        ctx.replies.reply(DeviceMmioRead.slot(a), DeviceMmioRead.id(a), value, 0);
      } else {
        counters.configWrites++;
        pci?.write(offset, size, DeviceMmioWrite.valueLo(a));
        completeWrite(writeCompletion, DeviceMmioWrite.vcpu(a));
      }
      return;
    }
    // The gfx and iosfc windows belong to the engine: the record's layout is the engine's.
    const forward = isRead ? InMmioRead : InMmioWrite;
    if (backlog.length === 0 && forward.tryRepost(inbound, a)) return;
    backlog.push({ kind: forward.kind, args: Array.from(a.subarray(0, forward.words)) });
  };

  // A callback's handling as a span on this actor's track, with the middle of the flow arrow the
  // engine thread draws from its wait to here and back (ids as EngineTracer::callbackFlowId).
  const traceCallback = (kind: number, a: Int32Array, start: number) => {
    if (!ctx.trace || config.engineTraceRing === undefined) return;
    // The callback's first argument, as the engine thread's span has it; the status is the engine's to tell.
    const event = CALLBACK_TRACE_EVENTS[kind];
    if (event === undefined) ctx.trace.span(TRACE_EVENTS.mailbox_handle, start, kind);
    else ctx.trace.span(event, start, CALLBACK_TRACE_ARGS[kind]!(a), NaN);
    ctx.trace.flowStep(TRACE_EVENTS.request, callbackFlowId(config.engineTraceRing, OutCallback.slot(a), OutCallback.id(a)), start + FLOW_INSET_US);
  };

  const engineEvent = (record: MailboxRecord, stamp: number) => {
    const a = record.args;
    const start = ctx.trace ? monotonicMicros() : 0;
    if (callbacks.handle(record.kind, a)) return traceCallback(record.kind, a, start);
    switch (record.kind) {
      case EngineOut.RaiseInterrupt:
        ctx.trace?.instant(TRACE_EVENTS.apple_gfx_raise_irq, OutRaiseInterrupt.vector(a));
        irq.raise(config.gfxLine, OutRaiseInterrupt.vector(a));
        return;
      case EngineOut.IosfcInterrupt:
        ctx.trace?.instant(TRACE_EVENTS.apple_iosfc_raise_irq, OutIosfcInterrupt.vector(a));
        irq.raise(config.iosfcLine);
        return;
      case EngineOut.ModeChange: {
        const port = OutModeChange.display(a);
        const [width, height] = [OutModeChange.width(a), OutModeChange.height(a)];
        ctx.trace?.instant(TRACE_EVENTS.apple_gfx_mode_change, port, width, height);
        if (port < modes.length) modes[port] = { width, height };
        display.modeChange(port, width, height, OutModeChange.generation(a));
        return;
      }
      case EngineOut.NewFrame: {
        const port = OutNewFrame.display(a);
        ctx.trace?.instant(TRACE_EVENTS.apple_gfx_new_frame, port, OutNewFrame.frameSeq(a));
        display.newFrame(port, OutNewFrame.frameSeq(a), stamp);
        return;
      }
      case EngineOut.EncodeDone:
        display.encodeDone(OutEncodeDone.display(a), OutEncodeDone.generation(a), OutEncodeDone.status(a), OutEncodeDone.frameSeq(a), OutEncodeDone.surface(a));
        return;
      case EngineOut.CursorGlyph: {
        // Copy the glyph out of the reply slot into the display's cursor slot for the compositor
        // (the display queue waits for this answer, so the copy is the only work done here).
        const target = OutCursorGlyph.display(a);
        const slot = cursorSlots[target];
        const [w, h] = [OutCursorGlyph.width(a), OutCursorGlyph.height(a)];
        const replySlot = OutCursorGlyph.slot(a);
        const payload = engineReplies.payload(replySlot < engineReplies.slots ? replySlot : 0);
        if (slot && w * h * 4 <= payload.length && w <= CURSOR_MAX_SIZE && h <= CURSOR_MAX_SIZE) {
          cursorGlyphs[target]!++;
          display.cursorGlyph(target, slot.write(w, h, OutCursorGlyph.hotX(a), OutCursorGlyph.hotY(a), payload));
        }
        engineReplies.reply(replySlot, OutCursorGlyph.id(a));
        traceCallback(record.kind, a, start);
        return;
      }
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
  };

  return {
    onRecord(record) {
      if (record.kind === DeviceKind.MmioRead || record.kind === DeviceKind.MmioWrite) {
        mmio(record);
      } else {
        // Stamped before any lock: a frame's latency includes its wait for the BQL.
        const stamp = record.kind === EngineOut.NewFrame ? frameStamp() : 0;
        if (qemu) qemu.run(record.kind, () => engineEvent(record, stamp));
        else engineEvent(record, stamp);
      }
    },
    onIdle() {
      // A power-on in progress: keep coming back until the engine finished it (its callbacks
      // arrive as records meanwhile), then reset what this actor holds.
      if (lifecycle.resetting && lifecycle.engineDone()) {
        tasks.clear();
        pci?.reset();
        irq.reset();
        modes.fill(null);
        lifecycle.finishReset();
      }
      while (backlog.length > 0 && inbound.tryEnqueue(backlog[0]!.kind, backlog[0]!.args)) backlog.shift();
      let irqLeft = irq.pending;
      let displayLeft = display.waiting > 0;
      // Retrying an interrupt or a display event is the rest of its bottom half: under the BQL too.
      const retry = () => {
        irqLeft = irq.flush();
        displayLeft = display.flush();
      };
      if (irqLeft || displayLeft) {
        if (qemu) qemu.bottomHalf(retry);
        else retry();
      }
      return backlog.length > 0 || irqLeft || displayLeft || lifecycle.resetting;
    },
    onStop() {
      engine.stop();
    },
    control: {
      activity: () => lifecycle.activity(),
      reset: () => {
        // Power-on goes through the inbound mailbox in order, after every MMIO record before it.
        const started = lifecycle.startReset();
        if (backlog.length > 0 || !inbound.tryPost(EngineIn.PowerOn)) backlog.push({ kind: EngineIn.PowerOn, args: [] });
        return started;
      },
      stats: (): DeviceStats => ({
        variant: config.variant,
        ...counters,
        callbacks: { ...callbacks.counts },
        refusals: { ...callbacks.refusals },
        interrupts: { raised: irq.raised, delivered: irq.delivered, droppedWhileDisabled: irq.droppedWhileDisabled, heldWhileMasked: irq.heldWhileMasked },
        tasks: tasks.stats(),
        displays: config.displays.map((d, i) => ({ serial: d.serial, mode: modes[i] ?? null, cursorGlyphs: cursorGlyphs[i]! })),
        displayEvents: {
          forwarded: display.forwarded,
          backlogged: display.backlogged,
          coalesced: display.coalesced,
          coalescedFrames: display.coalescedFrames,
          waiting: display.waiting,
        },
        engine: engine.stats(),
        mailbox: ctx.mailbox.stats(),
        qemu: qemu?.stats() ?? null,
      }),
    },
  };
}

if (isActorEntry(import.meta.url)) await runActor(createDeviceActor);
