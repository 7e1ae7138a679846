// The display compositor actor: one per VM, serving every display of every device. It keeps each
// display's latest frame in a frame store (a SAB), pacing encodes from the engines (never waiting
// for one), and feeds the sinks: a VNC server per display on its own worker thread (encoding costs
// milliseconds; here it would hold back every display) reading the frame store, and snapshots
// through frame(). The null sink is a display with no server. It parks asynchronously so its event
// loop (sink messages, control calls) keeps running.
import type { MessagePort } from 'node:worker_threads';

import type { ActorBehaviour, ActorContext } from '../runtime/host.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { MailboxClosedError } from '../../shared/mailbox/errors.js';
import type { MailboxRecord } from '../../shared/mailbox/record.js';
import { runBottomHalf } from '../../shared/lock/bottom-half.js';
import { TRACE_EVENTS } from '../../shared/trace/events.js';
import {
  CompositorCursorGlyph,
  CompositorCursorMove,
  CompositorCursorShow,
  CompositorEncodeDone,
  CompositorModeChange,
  CompositorNewFrame,
  CompositorTarget,
} from '../../abi/generated/compositor-records.js';
import { EngineIn, InEncode } from '../device/engine-records.js';
import { DisplayFrames } from './display-frames.js';
import { decodeCompositorDisplay, encodeCompositorDisplay } from './display-snapshot.js';
import { CompositorKind, type CompositorConfig, type CompositorControl, type CompositorEvent, type CompositorStats, type VncOptions } from './messages.js';
import { VncSink } from '../../outputs/vnc-sink/vnc-sink.js';

export class CompositorActor implements ActorBehaviour<CompositorControl> {
  readonly control: CompositorControl;
  private readonly config: CompositorConfig;
  private readonly displays: DisplayFrames[];
  private readonly byDevice = new Map<number, DisplayFrames[]>();
  /** One record's words, reused: an encode request is written into it and copied into the mailbox. */
  private readonly encodeWords = new Int32Array(InEncode.words);
  private vnc: VncSink[] = [];
  /** Set by onStop: a startVnc still starting servers then closes them (they would hold the worker). */
  private stopping = false;
  private subscribers: MessagePort[] = [];
  /**
   * Events cost a message each: posted only while the VM says someone listens (a word it sets
   * synchronously when a listener is added, so no event after that is missed).
   */
  private readonly eventsWanted: Int32Array;
  private unknownRecords = 0;
  private readonly refreshTimer: NodeJS.Timeout | null;

  constructor(private readonly ctx: ActorContext) {
    const config = ctx.config as CompositorConfig;
    this.config = config;
    this.eventsWanted = new Int32Array(config.eventsWanted);
    const engines = new Map<SharedArrayBuffer, Mailbox>();
    this.displays = config.displays.map((d) => {
      let engine = engines.get(d.engineInbound);
      if (!engine) engines.set(d.engineInbound, (engine = new Mailbox(d.engineInbound, `device${d.device}-engine`)));
      const inbound = engine;
      return new DisplayFrames(
        d,
        (generation, width, height, surface) => this.requestEncode(inbound, d.display, generation, width, height, surface),
        config.refreshMs > 0,
      );
    });
    // Frames wanted per display, as one counter with a line per display (its index here).
    this.displays.forEach((d, k) => (d.onPendingChange = (n) => ctx.trace?.counter(TRACE_EVENTS.frames_pending, n, k)));
    for (const d of this.displays) {
      const list = this.byDevice.get(d.config.device) ?? [];
      list[d.config.display] = d;
      this.byDevice.set(d.config.device, list);
    }
    // The qemu model: QEMU's console refresh timer (GUI_REFRESH_INTERVAL_DEFAULT) calls the
    // display's gfx_update under the BQL, which shows the frame the readback BH copied
    // (apple_gfx_fb_update_display → dpy_gfx_update_full).
    this.refreshTimer = config.refreshMs > 0 && ctx.bql ? setInterval(() => this.refresh(), config.refreshMs) : null;
    this.control = {
      stats: () => this.stats(),
      frame: (device: number, display: number) => this.find(device, display)?.frame() ?? null,
      startVnc: (options: VncOptions) => this.startVnc(options),
      stopVnc: () => this.stopVnc(),
      activity: () => {
        const busy: string[] = [];
        const m = ctx.mailbox.stats();
        if (m.depth !== 0) busy.push('compositor mailbox');
        if (this.displays.some((d) => d.unsentEncode)) busy.push('encode request not sent');
        return { idle: busy.length === 0, busy, counters: [m.enqueued, m.dequeued] };
      },
      reset: () => this.powerOn(),
      saveDisplays: () => this.displays.map((d) => encodeCompositorDisplay(d.saveState())),
      loadDisplays: (states: Uint8Array[]) => {
        if (states.length !== this.displays.length) throw new Error(`${states.length} display states for ${this.displays.length} displays`);
        this.displays.forEach((d, i) => d.loadState(decodeCompositorDisplay(states[i]!)));
      },
      subscribe: (port: MessagePort) => {
        this.subscribers.push(port);
      },
    };
  }

  onRecord(record: MailboxRecord): void {
    const a = record.args;
    const d = this.find(CompositorTarget.device(a), CompositorTarget.display(a));
    if (!d) {
      this.unknownRecords++;
      return;
    }
    switch (record.kind) {
      case CompositorKind.ModeChange: {
        const [width, height, generation] = [CompositorModeChange.width(a), CompositorModeChange.height(a), CompositorModeChange.generation(a)];
        d.onModeChange(width, height, generation);
        if (this.wanted()) this.tell({ type: 'modeChange', device: d.config.device, display: d.config.display, width, height, generation });
        return;
      }
      case CompositorKind.NewFrame:
        d.onNewFrame(CompositorNewFrame.frameSeq(a), CompositorNewFrame.stamp(a));
        return;
      case CompositorKind.EncodeDone: {
        const frameSeq = CompositorEncodeDone.frameSeq(a);
        this.ctx.trace?.instant(TRACE_EVENTS.compositor_encode_done, CompositorTarget.device(a), CompositorTarget.display(a), frameSeq);
        const shown = d.onEncodeDone(CompositorEncodeDone.generation(a), CompositorEncodeDone.status(a), frameSeq, CompositorEncodeDone.surface(a));
        if (shown && this.config.refreshMs === 0 && this.wanted()) this.tellFrame(d, frameSeq);
        return;
      }
      case CompositorKind.CursorGlyph:
        d.onCursorGlyph(CompositorCursorGlyph.sequence(a));
        return;
      case CompositorKind.CursorShow:
        d.onCursorShow(CompositorCursorShow.visible(a));
        return;
      case CompositorKind.CursorMove:
        d.onCursorMove(CompositorCursorMove.x(a), CompositorCursorMove.y(a));
        return;
      default:
        this.unknownRecords++;
    }
  }

  onIdle(): boolean {
    let left = false;
    for (const d of this.displays) left = d.flush() || left;
    return left;
  }

  async onStop(): Promise<void> {
    this.stopping = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    await this.stopVnc();
    for (const p of this.subscribers) p.close();
    this.subscribers = [];
  }

  private requestEncode(inbound: Mailbox, display: number, generation: number, width: number, height: number, surface: number): boolean {
    try {
      InEncode.encode(this.encodeWords, { display, surface, generation, x: 0, y: 0, width, height });
      return inbound.tryEnqueue(EngineIn.Encode, this.encodeWords);
    } catch (e) {
      if (e instanceof MailboxClosedError) return true; // the device is gone: nothing will answer, nothing to wait for
      throw e;
    }
  }

  private find(device: number, display: number): DisplayFrames | null {
    return this.byDevice.get(device)?.[display] ?? null;
  }

  private wanted(): boolean {
    return this.subscribers.length > 0 && Atomics.load(this.eventsWanted, 0) !== 0;
  }

  private tell(event: CompositorEvent): void {
    for (const p of this.subscribers) p.postMessage(event);
  }

  private tellFrame(d: DisplayFrames, frameSeq: number): void {
    this.tell({ type: 'frame', device: d.config.device, display: d.config.display, width: d.width(), height: d.height(), frameSeq });
  }

  /** One tick of the qemu model's refresh timer: every display shows its last read-back frame, under the BQL. */
  private refresh(): void {
    const shown = runBottomHalf(this.ctx.bql!, this.ctx.bqlTag, this.ctx.trace, () => this.displays.filter((d) => d.refresh()));
    this.ctx.trace?.instant(TRACE_EVENTS.refresh, shown.length);
    if (this.wanted()) for (const d of shown) this.tellFrame(d, d.stats().lastFrameSeq);
  }

  private powerOn(): void {
    for (const d of this.displays) {
      d.powerOn();
      if (d.width() !== 0 && this.wanted())
        this.tell({ type: 'modeChange', device: d.config.device, display: d.config.display, width: d.width(), height: d.height(), generation: 0 });
    }
  }

  private stats(): CompositorStats {
    return {
      displays: this.displays.map((d, i) => ({ ...d.stats(), vnc: this.vnc[i] ? { port: this.vnc[i].port, stats: this.vnc[i].stats() } : null })),
      mailbox: this.ctx.mailbox.stats(),
      unknownRecords: this.unknownRecords,
    };
  }

  private async startVnc(options: VncOptions): Promise<number[]> {
    if (this.vnc.length > 0) throw new Error(`VNC is already serving on ports ${this.vnc.map((s) => s.port).join(', ')}`);
    const started: VncSink[] = [];
    try {
      for (const [k, d] of this.displays.entries()) {
        const knownMode = d.modeSerial;
        const server = await VncSink.start(d, {
          port: options.port === 0 ? 0 : options.port + k,
          host: options.host ?? '127.0.0.1',
          ...(options.password !== undefined ? { password: options.password } : {}),
          name: `pvg-vmm device${d.config.device} display${d.config.display}`,
          input: d.config.input ?? null,
          viewOnly: options.viewOnly ?? false,
        });
        started.push(server);
        d.addStartedSink(server, knownMode); // at once, told what changed while it started
        if (this.stopping) throw new Error('the compositor stopped while VNC was starting');
      }
    } catch (e) {
      started.forEach((s, i) => this.displays[i]!.removeSink(s));
      await Promise.all(started.map((s) => s.close()));
      throw e;
    }
    this.vnc = started;
    return this.vnc.map((s) => s.port);
  }

  private async stopVnc(): Promise<void> {
    const servers = this.vnc;
    this.vnc = [];
    servers.forEach((s, i) => this.displays[i]!.removeSink(s));
    await Promise.all(servers.map((s) => s.close()));
  }
}
