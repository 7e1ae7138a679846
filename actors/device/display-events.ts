// Hands the engine's display events to the compositor actor. The device actor never blocks
// (DESIGN.md rule 3): a record the compositor's mailbox cannot take now waits in an ordered
// backlog, retried from the idle hook, so events are never lost and never reordered.
import type { Mailbox } from '../../shared/mailbox/mailbox.js';
import { CompositorKind } from '../compositor/messages.js';

export class DisplayEvents {
  private readonly backlog: { kind: number; args: number[] }[] = [];
  forwarded = 0;
  backlogged = 0;

  constructor(
    private readonly compositor: Mailbox,
    private readonly device: number,
  ) {}

  modeChange(display: number, width: number, height: number, generation: number): void {
    this.post(CompositorKind.ModeChange, [display, width, height, generation]);
  }

  newFrame(display: number, frameSeq: number): void {
    this.post(CompositorKind.NewFrame, [display, frameSeq]);
  }

  encodeDone(display: number, generation: number, status: number, frameSeq: number, surface: number): void {
    this.post(CompositorKind.EncodeDone, [display, generation, status, frameSeq, surface]);
  }

  cursorGlyph(display: number, sequence: number): void {
    this.post(CompositorKind.CursorGlyph, [display, sequence]);
  }

  cursorShow(display: number, visible: boolean): void {
    this.post(CompositorKind.CursorShow, [display, visible ? 1 : 0]);
  }

  cursorMove(display: number, x: number, y: number): void {
    this.post(CompositorKind.CursorMove, [display, x, y]);
  }

  /** Retries the backlog; true while some of it is still waiting. */
  flush(): boolean {
    const b = this.backlog;
    while (b.length > 0 && this.compositor.tryEnqueue(b[0]!.kind, b[0]!.args)) {
      b.shift();
      this.forwarded++;
    }
    return b.length > 0;
  }

  private post(kind: CompositorKind, args: number[]): void {
    const record = [this.device, ...args];
    if (this.backlog.length === 0 && this.compositor.tryEnqueue(kind, record)) {
      this.forwarded++;
      return;
    }
    this.backlogged++;
    this.backlog.push({ kind, args: record });
  }
}
