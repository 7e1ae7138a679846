// The input devices' interrupt lines, level-triggered as virtio-mmio's is (asserted while
// InterruptStatus is not 0). A level change goes to the interrupt controller without waiting; if
// its mailbox is full the line's latest level is kept and posted from the idle hook (a level has
// no count to lose: only the last one matters).
import { IrqLineLevel } from '../../abi/generated/irq-records.js';
import type { Mailbox } from '../../shared/mailbox/mailbox.js';

export class IrqLevels {
  /** Line → the level not posted yet. */
  private readonly waiting = new Map<number, boolean>();
  backlogged = 0;
  posted = 0;

  constructor(private readonly irq: Mailbox) {}

  set(line: number, high: boolean): void {
    this.waiting.delete(line);
    if (IrqLineLevel.tryPost(this.irq, line, high)) this.posted++;
    else {
      this.backlogged++;
      this.waiting.set(line, high);
    }
  }

  get pending(): boolean {
    return this.waiting.size > 0;
  }

  /** Retries waiting levels; true while some remain. */
  flush(): boolean {
    for (const [line, high] of this.waiting) {
      if (!IrqLineLevel.tryPost(this.irq, line, high)) return true;
      this.waiting.delete(line);
      this.posted++;
    }
    return false;
  }
}
