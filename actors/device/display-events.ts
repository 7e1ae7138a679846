// Hands the engine's display events to the compositor actor. The device actor never blocks
// (docs/design.md rule 3): a record the compositor's mailbox cannot take now waits in an ordered
// backlog, retried from the idle hook, so events are never reordered.
//
// The backlog is bounded: while records wait, a newer event of a kind that only states "what is
// now" (a mode, a new frame to encode, the cursor's glyph, visibility or position) supersedes the
// older one of the same kind and display still waiting, which is dropped (counted in
// `coalesced`). Encode answers are never dropped: the compositor has at most one encode in
// flight per display, so they are bounded by its own requests. A stalled compositor thus costs
// at most a handful of records per display, whatever the guest does meanwhile.
//
// Under the actor model the engine posts every display event but the cursor glyph into the
// compositor's mailbox itself; the glyph still comes here (its pixels are copied out of a reply
// slot), and the engine is answered only once the glyph's record is in the compositor's mailbox,
// so the glyph never arrives after a later event the engine posts directly.
import type { Mailbox } from '../../shared/mailbox/mailbox.js';
import {
  CompositorCursorGlyph,
  CompositorCursorMove,
  CompositorCursorShow,
  CompositorEncodeDone,
  CompositorKind,
  CompositorModeChange,
  CompositorNewFrame,
  CompositorTarget,
} from '../../abi/generated/compositor-records.js';

interface Waiting {
  kind: CompositorKind;
  /** What the compositor's mailbox gets (abi/schema/compositor-records.ts). */
  args: Int32Array;
  /** Called once the record is in the compositor's mailbox (or superseded). */
  sent: (() => void) | null;
}

export class DisplayEvents {
  private readonly backlog: Waiting[] = [];
  forwarded = 0;
  backlogged = 0;
  coalesced = 0;
  /** Of those, new-frame events: the compositor saw that many fewer presents than the engine made. */
  coalescedFrames = 0;

  /** One record's words per kind, reused: the mailbox copies them; only a backlogged record is copied out. */
  private readonly scratch = {
    modeChange: new Int32Array(CompositorModeChange.words),
    newFrame: new Int32Array(CompositorNewFrame.words),
    encodeDone: new Int32Array(CompositorEncodeDone.words),
    cursorGlyph: new Int32Array(CompositorCursorGlyph.words),
    cursorShow: new Int32Array(CompositorCursorShow.words),
    cursorMove: new Int32Array(CompositorCursorMove.words),
  };

  constructor(
    private readonly compositor: Mailbox,
    private readonly device: number,
  ) {}

  modeChange(display: number, width: number, height: number, generation: number): void {
    const a = this.scratch.modeChange;
    CompositorModeChange.encode(a, { device: this.device, display, width, height, generation });
    this.post(CompositorKind.ModeChange, a);
  }

  /** `stamp`: when the engine posted it (frame-latency.ts). */
  newFrame(display: number, frameSeq: number, stamp: number): void {
    const a = this.scratch.newFrame;
    CompositorNewFrame.encode(a, { device: this.device, display, frameSeq, stamp });
    this.post(CompositorKind.NewFrame, a);
  }

  encodeDone(display: number, generation: number, status: number, frameSeq: number, surface: number): void {
    const a = this.scratch.encodeDone;
    CompositorEncodeDone.encode(a, { device: this.device, display, generation, status, frameSeq, surface });
    this.post(CompositorKind.EncodeDone, a);
  }

  /** `sent`: called once the record is in the compositor's mailbox. */
  cursorGlyph(display: number, sequence: number, sent: () => void): void {
    const a = this.scratch.cursorGlyph;
    CompositorCursorGlyph.encode(a, { device: this.device, display, sequence });
    this.post(CompositorKind.CursorGlyph, a, sent);
  }

  cursorShow(display: number, visible: boolean): void {
    const a = this.scratch.cursorShow;
    CompositorCursorShow.encode(a, { device: this.device, display, visible });
    this.post(CompositorKind.CursorShow, a);
  }

  cursorMove(display: number, x: number, y: number): void {
    const a = this.scratch.cursorMove;
    CompositorCursorMove.encode(a, { device: this.device, display, x, y });
    this.post(CompositorKind.CursorMove, a);
  }

  /** Records waiting for room in the compositor's mailbox. */
  get waiting(): number {
    return this.backlog.length;
  }

  /** Retries the backlog; true while some of it is still waiting. */
  flush(): boolean {
    const b = this.backlog;
    while (b.length > 0 && this.compositor.tryEnqueue(b[0]!.kind, b[0]!.args)) {
      b.shift()!.sent?.();
      this.forwarded++;
    }
    return b.length > 0;
  }

  private post(kind: CompositorKind, record: Int32Array, sent: (() => void) | null = null): void {
    if (this.backlog.length === 0 && this.compositor.tryEnqueue(kind, record)) {
      this.forwarded++;
      sent?.();
      return;
    }
    this.backlogged++;
    if (kind !== CompositorKind.EncodeDone) this.dropSuperseded(kind, CompositorTarget.display(record));
    this.backlog.push({ kind, args: record.slice(), sent });
  }

  /** Drops the waiting event this one supersedes (at most one: each push drops its predecessor). */
  private dropSuperseded(kind: CompositorKind, display: number): void {
    const at = this.backlog.findIndex((w) => w.kind === kind && CompositorTarget.display(w.args) === display);
    if (at < 0) return;
    this.backlog.splice(at, 1)[0]!.sent?.();
    this.coalesced++;
    if (kind === CompositorKind.NewFrame) this.coalescedFrames++;
  }
}
