// The display compositor actor: one per VM, serving every display of every device. It keeps each
// display's latest frame in a frame store (a SAB), pacing encodes from the engines (never waiting
// for one), and feeds the sinks: a VNC server per display on its own worker thread (encoding costs
// milliseconds; here it would hold back every display) reading the frame store, and snapshots
// through frame(). The null sink is a display with no server. It parks asynchronously so its event
// loop (sink messages, control calls) keeps running.
import { runActor } from '../runtime/host.js';
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
import type { MessagePort } from 'node:worker_threads';

import { CompositorKind, type CompositorConfig, type CompositorControl, type CompositorEvent, type CompositorStats, type VncOptions } from './messages.js';
import { VncSink } from './vnc-sink/vnc-sink.js';

await runActor<CompositorControl>((ctx) => {
  const config = ctx.config as CompositorConfig;
  const engines = new Map<SharedArrayBuffer, Mailbox>();
  // One record's words, reused: an encode request is written into it and copied into the mailbox.
  const encodeWords = new Int32Array(InEncode.words);
  const displays = config.displays.map((d) => {
    let engine = engines.get(d.engineInbound);
    if (!engine) engines.set(d.engineInbound, (engine = new Mailbox(d.engineInbound, `device${d.device}-engine`)));
    const inbound = engine;
    return new DisplayFrames(
      d,
      (generation, width, height, surface) => {
        try {
          InEncode.encode(encodeWords, { display: d.display, surface, generation, x: 0, y: 0, width, height });
          return inbound.tryEnqueue(EngineIn.Encode, encodeWords);
        } catch (e) {
          if (e instanceof MailboxClosedError) return true; // the device is gone: nothing will answer, nothing to wait for
          throw e;
        }
      },
      config.refreshMs > 0,
    );
  });
  // Frames wanted per display, as one counter with a line per display (its index here).
  displays.forEach((d, k) => (d.onPendingChange = (n) => ctx.trace?.counter(TRACE_EVENTS.frames_pending, n, k)));
  const byDevice = new Map<number, DisplayFrames[]>();
  for (const d of displays) {
    const list = byDevice.get(d.config.device) ?? [];
    list[d.config.display] = d;
    byDevice.set(d.config.device, list);
  }
  let vnc: VncSink[] = [];
  /** Set by onStop: a startVnc still starting servers then closes them (they would hold the worker). */
  let stopping = false;
  let subscribers: MessagePort[] = [];
  // Events cost a message each: posted only while the VM says someone listens (a word it sets
  // synchronously when a listener is added, so no event after that is missed).
  const eventsWanted = new Int32Array(config.eventsWanted);
  const wanted = () => subscribers.length > 0 && Atomics.load(eventsWanted, 0) !== 0;
  const tell = (event: CompositorEvent) => {
    for (const p of subscribers) p.postMessage(event);
  };
  let unknownRecords = 0;

  const find = (device: number, display: number) => byDevice.get(device)?.[display] ?? null;

  const onRecord = (record: MailboxRecord) => {
    const a = record.args;
    const d = find(CompositorTarget.device(a), CompositorTarget.display(a));
    if (!d) {
      unknownRecords++;
      return;
    }
    switch (record.kind) {
      case CompositorKind.ModeChange: {
        const [width, height, generation] = [CompositorModeChange.width(a), CompositorModeChange.height(a), CompositorModeChange.generation(a)];
        d.onModeChange(width, height, generation);
        if (wanted()) tell({ type: 'modeChange', device: d.config.device, display: d.config.display, width, height, generation });
        return;
      }
      case CompositorKind.NewFrame:
        d.onNewFrame(CompositorNewFrame.frameSeq(a), CompositorNewFrame.stamp(a));
        return;
      case CompositorKind.EncodeDone: {
        const frameSeq = CompositorEncodeDone.frameSeq(a);
        ctx.trace?.instant(TRACE_EVENTS.compositor_encode_done, CompositorTarget.device(a), CompositorTarget.display(a), frameSeq);
        const shown = d.onEncodeDone(CompositorEncodeDone.generation(a), CompositorEncodeDone.status(a), frameSeq, CompositorEncodeDone.surface(a));
        if (shown && config.refreshMs === 0 && wanted()) {
          tell({ type: 'frame', device: d.config.device, display: d.config.display, width: d.width(), height: d.height(), frameSeq });
        }
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
        unknownRecords++;
    }
  };

  // The qemu model: QEMU's console refresh timer (GUI_REFRESH_INTERVAL_DEFAULT) calls the
  // display's gfx_update under the BQL, which shows the frame the readback BH copied
  // (apple_gfx_fb_update_display → dpy_gfx_update_full).
  const refreshTimer =
    config.refreshMs > 0 && ctx.bql
      ? setInterval(() => {
          const shown = runBottomHalf(ctx.bql!, ctx.bqlTag, ctx.trace, () => displays.filter((d) => d.refresh()));
          ctx.trace?.instant(TRACE_EVENTS.refresh, shown.length);
          if (wanted())
            for (const d of shown)
              tell({
                type: 'frame',
                device: d.config.device,
                display: d.config.display,
                width: d.width(),
                height: d.height(),
                frameSeq: d.stats().lastFrameSeq,
              });
        }, config.refreshMs)
      : null;

  const stopVnc = async () => {
    const servers = vnc;
    vnc = [];
    servers.forEach((s, i) => displays[i]!.removeSink(s));
    await Promise.all(servers.map((s) => s.close()));
  };

  return {
    onRecord,
    onIdle() {
      let left = false;
      for (const d of displays) left = d.flush() || left;
      return left;
    },
    async onStop() {
      stopping = true;
      if (refreshTimer) clearInterval(refreshTimer);
      await stopVnc();
      for (const p of subscribers) p.close();
      subscribers = [];
    },
    control: {
      stats: (): CompositorStats => ({
        displays: displays.map((d, i) => ({ ...d.stats(), vnc: vnc[i] ? { port: vnc[i].port, stats: vnc[i].stats() } : null })),
        mailbox: ctx.mailbox.stats(),
        unknownRecords,
      }),
      frame: (device: number, display: number) => find(device, display)?.frame() ?? null,
      startVnc: async (options: VncOptions) => {
        if (vnc.length > 0) throw new Error(`VNC is already serving on ports ${vnc.map((s) => s.port).join(', ')}`);
        const started: VncSink[] = [];
        try {
          for (const [k, d] of displays.entries()) {
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
            if (stopping) throw new Error('the compositor stopped while VNC was starting');
          }
        } catch (e) {
          started.forEach((s, i) => displays[i]!.removeSink(s));
          await Promise.all(started.map((s) => s.close()));
          throw e;
        }
        vnc = started;
        return vnc.map((s) => s.port);
      },
      stopVnc,
      activity: () => {
        const busy: string[] = [];
        const m = ctx.mailbox.stats();
        if (m.depth !== 0) busy.push('compositor mailbox');
        if (displays.some((d) => d.unsentEncode)) busy.push('encode request not sent');
        return { idle: busy.length === 0, busy, counters: [m.enqueued, m.dequeued] };
      },
      reset: () => {
        for (const d of displays) {
          d.powerOn();
          if (d.width() !== 0 && wanted())
            tell({ type: 'modeChange', device: d.config.device, display: d.config.display, width: d.width(), height: d.height(), generation: 0 });
        }
      },
      subscribe: (port: MessagePort) => {
        subscribers.push(port);
      },
    },
  };
});
