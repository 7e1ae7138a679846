// The device actor's part in vm.pause() and vm.reset() (docs/lifecycle.md): whether anything is
// in flight on this device (its mailbox, its backlogs, the engine's records, ring executor and
// display queue), and the power-on a system reset sends the engine.
import type { Mailbox } from '../../shared/mailbox/mailbox.js';
import type { NativeEngine } from '../../shared/native/types.js';
import type { DeviceActivity } from './messages.js';

/** What the actor itself still holds: read on its own thread, between records. */
export interface DeviceLocalWork {
  mailboxEmpty: boolean;
  /** MMIO (and power-on) records waiting for room in the engine's mailbox. */
  backlog: number;
  irqPending: boolean;
  displayWaiting: number;
}

export class DeviceLifecycle {
  private reset: { resolve: () => void } | null = null;

  constructor(
    private readonly engine: NativeEngine,
    private readonly inbound: Mailbox,
    private readonly local: () => DeviceLocalWork,
  ) {}

  /**
   * Idle: nothing of this device is in flight. `counters` changes whenever anything happened,
   * so the VM can tell two idle looks with work between them from a device that stayed idle.
   */
  activity(): DeviceActivity {
    // The engine's count first: a record it counts was enqueued before the mailbox is read.
    const e = this.engine.activity();
    const enqueued = this.inbound.stats().enqueued;
    const local = this.local();
    const s = this.engine.stats();
    const busy: string[] = [];
    if (!local.mailboxEmpty) busy.push('device mailbox');
    if (local.backlog > 0) busy.push('engine backlog');
    if (local.irqPending) busy.push('interrupt backlog');
    if (local.displayWaiting > 0) busy.push('display-event backlog');
    if (e.recordsHandled !== enqueued) busy.push('engine records');
    if (e.executorBusy) busy.push('ring executor');
    if (e.displayJobs > 0) busy.push('display queue');
    if (this.reset) busy.push('power-on');
    return {
      idle: busy.length === 0,
      busy,
      counters: [enqueued, e.recordsHandled, s.commands, s.presents, s.encodes, s.fences, s.callbacks, s.mmioReads, s.mmioWrites],
    };
  }

  get resetting(): boolean {
    return this.reset !== null;
  }

  /** Starts a power-on; the caller posts the record. Resolves once finishReset() ran. */
  startReset(): Promise<void> {
    if (this.reset) throw new Error('a device reset is already in progress');
    return new Promise<void>((resolve) => (this.reset = { resolve }));
  }

  /** The engine has taken and finished every record (the power-on among them) and is idle. */
  engineDone(): boolean {
    const e = this.engine.activity();
    const local = this.local();
    return local.backlog === 0 && e.recordsHandled === this.inbound.stats().enqueued && !e.executorBusy && e.displayJobs === 0;
  }

  finishReset(): void {
    const r = this.reset;
    this.reset = null;
    r?.resolve();
  }
}
