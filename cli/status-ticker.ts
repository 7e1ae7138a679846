// Keeps `pvg-vmm run`'s status line current: polls the VM's stats every interval (the next poll
// is scheduled only once the last one answered, so slow answers never pile up) and rewrites one
// terminal line in place. Whoever prints another line on the same terminal clears it first.
import type { VmStats } from '../vmm/vm.js';
import { formatStatusLine } from './status-line.js';

/** Where the line goes: process.stderr, or a fake in tests. */
export interface StatusOutput {
  write(text: string): unknown;
  /** Terminal width; absent when not a terminal (then the line is not cut). */
  readonly columns?: number | undefined;
}

export interface StatusTickerOptions {
  intervalMs?: number;
  /** Rates and latency are taken over about this much time. */
  windowMs?: number;
}

/** Return to column 0 and erase to the end of the line. */
const CLEAR = '\r\x1b[K';

export class StatusTicker {
  readonly #poll: () => Promise<VmStats>;
  readonly #out: StatusOutput;
  readonly #intervalMs: number;
  readonly #windowMs: number;
  /** Snapshots, oldest first; the first is the newest that is at least windowMs old. */
  readonly #history: { at: number; stats: VmStats }[] = [];
  #started = 0;
  #timer: NodeJS.Timeout | null = null;
  #inFlight: Promise<void> | null = null;
  #stopped = false;
  #shown = false;
  #drawnOnce = false;

  constructor(poll: () => Promise<VmStats>, out: StatusOutput, options: StatusTickerOptions = {}) {
    this.#poll = poll;
    this.#out = out;
    this.#intervalMs = options.intervalMs ?? 250;
    this.#windowMs = options.windowMs ?? 1000;
  }

  /** Polls now, then every interval. */
  start(): this {
    this.#started = performance.now();
    this.#inFlight = this.#tick();
    return this;
  }

  /** Erases the line (if shown) so another line can be printed; the next poll draws it again. */
  clear(): void {
    if (!this.#shown) return;
    this.#out.write(CLEAR);
    this.#shown = false;
  }

  /** Stops polling, waits for a poll under way and erases the line. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#inFlight;
    this.clear();
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#inFlight = this.#tick();
    }, ms);
    // The ticker never keeps the process alive by itself.
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    let stats: VmStats;
    try {
      stats = await this.#poll();
    } catch {
      // The VM stopped or failed under the poll: whoever runs it reports that; stop quietly.
      this.#stopped = true;
      this.clear();
      return;
    }
    // A run shorter than one poll still shows its first answer (and logs it, when forced on a pipe).
    if (this.#stopped && this.#drawnOnce) return;
    const now = performance.now();
    const h = this.#history;
    h.push({ at: now, stats });
    while (h.length > 2 && now - h[1]!.at >= this.#windowMs) h.shift();
    // The first line counts from zero since the ticker started.
    const from = h.length > 1 ? h[0]! : { at: this.#started, stats: null };
    // Writing the last column leaves some terminals waiting to wrap: stop one short.
    const width = this.#out.columns ? Math.max(1, this.#out.columns - 1) : Infinity;
    this.#out.write(`${CLEAR}${formatStatusLine(from.stats, stats, now - from.at, width)}`);
    this.#shown = this.#drawnOnce = true;
    if (!this.#stopped) this.#schedule(this.#intervalMs);
  }
}
