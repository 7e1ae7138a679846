// The main-thread side of the actor runtime: creates mailboxes and the reply table, spawns each
// actor on its own worker, and supervises them. An actor that throws or exits unasked fails the
// whole VM: every mailbox closes, every pending reply slot gets an error (releasing every thread
// that waits, JS or native), every other worker is terminated, and the embedder gets a typed
// error. Nothing waits forever.
import { EventEmitter } from 'node:events';
import { MessageChannel, Worker } from 'node:worker_threads';

import * as Comlink from 'comlink';

import type { GuestMemory } from '../../shared/guest-memory/index.js';
import { CloseReason } from '../../shared/mailbox/errors.js';
import { Mailbox, createMailboxBuffer, type MailboxOptions } from '../../shared/mailbox/mailbox.js';
import { compiledModuleUrl } from '../../shared/package-root.js';
import { ReplyErrorCode } from '../../shared/reply/errors.js';
import { ReplyTable, createReplyTableBuffer } from '../../shared/reply/reply-table.js';
import { createTraceSetBuffer } from '../../shared/trace/ring.js';
import type { TrackLabel } from '../../shared/trace/chrome.js';
import type { ActorBoot, BaseControl } from './boot.js';
import { ringingEndpoint } from './control-endpoint.js';
import { ActorCrashedError, ActorExitedError, VmFailure, VmStoppedError } from './errors.js';
import { createSpinGateBuffer } from '../../shared/doorbell/spin-gate.js';

export interface SupervisorOptions {
  /** Guest RAM, handed to every actor. */
  memory?: GuestMemory;
  /** Reply slots in the VM's table (each requesting thread owns some). */
  replySlots?: number;
  replyPayloadBytes?: number;
  /** Trace rings: one per actor and per native thread that traces. */
  traceRings?: number;
  traceEventsPerRing?: number;
  /** The `record-lock` threading model: every actor's handlers take this one lock. */
  bigLock?: SharedArrayBuffer;
  /** The `qemu` threading model: the BQL and the VM's write-completion words (shared/lock/bql.ts). */
  bql?: { buffer: SharedArrayBuffer };
  /** How many of the VM's threads may spin at once (shared/doorbell/spin-gate.ts); none: no cap. */
  spinLimit?: number;
}

export interface SpawnSpec {
  name: string;
  /** Module path from the package root, without extension, e.g. "actors/device/worker". */
  module: string;
  mailbox: Mailbox;
  peers?: Record<string, Mailbox>;
  /** Reply slots this actor requests on. */
  replySlots?: number;
  config?: unknown;
  /** Spin checks before parking (0: park at once). */
  spinBudget?: number;
  /** A parked actor wakes at least this often to serve its event loop. */
  parkTimeoutMs?: number;
  /**
   * The actor serves sockets, so it must never block its thread: it parks asynchronously. Its
   * mailbox must be in 'atomics' park mode (only JS threads may produce into it) or 'event-loop'
   * (native threads may too).
   */
  asyncPark?: boolean;
  /**
   * Under the `record-lock` model, whether this actor's handlers take the big lock (default true). vCPU
   * actors do not: their handlers run guest code, which in QEMU too runs without the BQL; the
   * device emulation their MMIO reaches takes it in the device actor.
   */
  takesBigLock?: boolean;
  /**
   * Under the `qemu` model, this actor's part (default 'records': every record a bottom half
   * under the BQL); 'own': the actor takes the BQL where upstream does (vCPU, device).
   */
  bqlRole?: 'records' | 'own';
}

export type Control<C> = Comlink.Remote<C & BaseControl>;

export interface ActorHandle<C = object> {
  readonly name: string;
  readonly worker: Worker;
  readonly mailbox: Mailbox;
  readonly replySlots: { first: number; count: number };
  /** The control plane; calls reject with VmStoppedError once the VM failed or this actor is being stopped. */
  readonly control: Control<C>;
  readonly threadId: number;
  readonly traceRing: number;
}

interface Entry {
  handle: ActorHandle<object>;
  exited: Promise<number>;
  hasExited: boolean;
  stopping: boolean;
}

export class Supervisor extends EventEmitter {
  readonly replies: ReplyTable;
  readonly traceSet: SharedArrayBuffer;
  readonly memory: GuestMemory | null;
  private readonly mailboxes: Mailbox[] = [];
  /** Reply tables besides the VM's (an engine's), failed with it when an actor dies. */
  private readonly adoptedTables: ReplyTable[] = [];
  private readonly releasers: (() => void)[] = [];
  private readonly actors = new Map<string, Entry>();
  private readonly labels: TrackLabel[] = [];
  private nextReplySlot = 0;
  private nextTraceRing = 0;
  private failure: VmFailure | null = null;
  private shuttingDown = false;
  /** Why the VM stopped (null while it runs); control calls made after it reject at once. */
  private stopReason: VmFailure | 'shutdown' | null = null;
  /** Control calls in flight, each with its actor: the VM stopping, or that actor leaving, rejects them. */
  private readonly inFlight = new Map<(reason: VmFailure | 'shutdown') => void, string>();

  private readonly bigLock: SharedArrayBuffer | null;
  private readonly bql: { buffer: SharedArrayBuffer } | null;
  /** The VM's spin gate (null: no cap), given to every actor and, through the device actors, the engines. */
  readonly spinGate: SharedArrayBuffer | null;

  constructor(options: SupervisorOptions = {}) {
    super();
    this.memory = options.memory ?? null;
    this.bigLock = options.bigLock ?? null;
    this.bql = options.bql ?? null;
    this.spinGate = options.spinLimit === undefined ? null : createSpinGateBuffer(options.spinLimit);
    this.replies = new ReplyTable(createReplyTableBuffer(options.replySlots ?? 64, options.replyPayloadBytes ?? 4096));
    this.traceSet = createTraceSetBuffer(options.traceRings ?? 32, options.traceEventsPerRing ?? 16384);
  }

  get failed(): VmFailure | null {
    return this.failure;
  }

  createMailbox(name: string, options: MailboxOptions): Mailbox {
    const mailbox = new Mailbox(createMailboxBuffer(options), name);
    this.mailboxes.push(mailbox);
    return mailbox;
  }

  /**
   * Registers something to release when the VM fails or shuts down: threads asleep in futexes
   * the supervisor does not know about (a halted vCPU), which worker.terminate() cannot end.
   */
  onRelease(release: () => void): void {
    this.releasers.push(release);
  }

  private releaseAll(): void {
    for (const release of this.releasers) {
      try {
        release();
      } catch {
        // releasing is best effort; the failure itself is what the embedder hears about
      }
    }
  }

  /** Creates a reply table whose waiters (native engine threads) the supervisor releases on failure. */
  createReplyTable(slots: number, payloadBytes: number): ReplyTable {
    const table = new ReplyTable(createReplyTableBuffer(slots, payloadBytes));
    this.adoptedTables.push(table);
    return table;
  }

  /** Reserves reply slots for a requester that is not an actor (a native thread pool, a test). */
  reserveReplySlots(count: number): { first: number; count: number } {
    if (!Number.isInteger(count) || count < 0 || this.nextReplySlot + count > this.replies.slots) {
      throw new RangeError(`cannot reserve ${count} reply slots: ${this.replies.slots - this.nextReplySlot} left`);
    }
    const first = this.nextReplySlot;
    this.nextReplySlot += count;
    return { first, count };
  }

  /** Reserves a trace ring for a thread and names its track. */
  reserveTraceRing(label: string): number {
    const ring = this.nextTraceRing++;
    if (ring >= new Int32Array(this.traceSet, 0, 2)[1]!) throw new RangeError('no trace ring left; raise traceRings');
    this.labels.push({ ring, name: label });
    return ring;
  }

  get trackLabels(): readonly TrackLabel[] {
    return this.labels;
  }

  async spawn<C extends object = object>(spec: SpawnSpec): Promise<ActorHandle<C>> {
    if (this.failure || this.shuttingDown) throw new VmStoppedError(spec.name, this.failure ?? 'shutdown');
    if (this.actors.has(spec.name)) throw new Error(`an actor named ${spec.name} already exists`);
    if (spec.asyncPark && spec.mailbox.parkMode === 'futex')
      throw new Error(`actor ${spec.name}: asyncPark needs a mailbox created with park: 'atomics' or 'event-loop'`);
    const replySlots = this.reserveReplySlots(spec.replySlots ?? 0);
    const traceRing = this.reserveTraceRing(spec.name);
    const { port1, port2 } = new MessageChannel();
    const boot: ActorBoot = {
      name: spec.name,
      module: spec.module,
      mailbox: spec.mailbox.buffer,
      replies: this.replies.buffer,
      memory: this.memory?.describe() ?? null,
      replySlots,
      peers: Object.fromEntries(Object.entries(spec.peers ?? {}).map(([k, m]) => [k, m.buffer])),
      trace: { set: this.traceSet, ring: traceRing },
      spinBudget: spec.spinBudget ?? 2000,
      spinGate: this.spinGate,
      parkTimeoutMs: spec.parkTimeoutMs ?? 50,
      asyncPark: spec.asyncPark ?? false,
      bigLock: spec.takesBigLock === false ? null : this.bigLock,
      bql: this.bql ? { ...this.bql, role: spec.bqlRole ?? 'records' } : null,
      config: spec.config ?? null,
      control: port2,
    };
    const worker = new Worker(compiledModuleUrl(spec.module), {
      workerData: boot,
      transferList: [port2],
      name: `pvg-${spec.name}`,
    });
    const remote = Comlink.wrap<C & BaseControl>(ringingEndpoint(port1, spec.mailbox));
    const handle: ActorHandle<C> = {
      name: spec.name,
      worker,
      mailbox: spec.mailbox,
      replySlots,
      control: this.guard(spec.name, remote),
      threadId: worker.threadId,
      traceRing,
    };
    const entry: Entry = {
      handle: handle,
      stopping: false,
      hasExited: false,
      exited: new Promise((resolve) => worker.once('exit', resolve)),
    };
    this.actors.set(spec.name, entry);
    worker.on('error', (err) => this.fail(new ActorCrashedError(spec.name, err)));
    worker.on('exit', (code) => {
      entry.hasExited = true;
      port1.close();
      if (!entry.stopping && !this.shuttingDown) this.fail(new ActorExitedError(spec.name, code));
      // Its port is closed: a call still waiting on it would never be answered.
      else this.rejectInFlight(this.failure ?? 'shutdown', spec.name);
    });
    await handle.control.ready();
    return handle;
  }

  /** The actor spawned under `name`, if any (whether or not its worker still runs). */
  actor(name: string): ActorHandle | undefined {
    return this.actors.get(name)?.handle;
  }

  /** Actors whose worker has not exited yet. */
  liveActors(): string[] {
    return [...this.actors.entries()].filter(([, e]) => !e.hasExited).map(([n]) => n);
  }

  /** Resolves with the failure when the VM fails (never resolves on a clean shutdown). */
  whenFailed(): Promise<VmFailure> {
    return new Promise((resolve) => {
      if (this.failure) resolve(this.failure);
      else this.once('failure', resolve);
    });
  }

  /**
   * Stops some actors first (those that wait on others, e.g. vCPUs before devices), each
   * finishing its queued records; one that hangs past timeoutMs is terminated.
   */
  async stopActors(names: readonly string[], timeoutMs = 5000): Promise<void> {
    await Promise.all(
      names
        .map((n) => this.actors.get(n))
        .filter((e): e is Entry => e !== undefined)
        .map((e) => this.stopEntry(e, timeoutMs)),
    );
  }

  private async stopEntry(entry: Entry, timeoutMs: number): Promise<void> {
    if (entry.stopping) {
      await entry.exited;
      return;
    }
    entry.stopping = true;
    const asked = entry.handle.control.shutdown().catch(() => undefined);
    // A ref'd timer: while a worker is leaving, its own handle may no longer keep this process's
    // event loop alive, and the 'exit' event must still be waited for.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const done = await Promise.race([entry.exited.then(() => true), timedOut]);
    clearTimeout(timer);
    if (!done) {
      // Release whoever waits to post into the hung actor's mailbox first: an engine thread
      // blocked there is joined by the worker's teardown, which would otherwise never end.
      entry.handle.mailbox.close(CloseReason.Shutdown);
      await entry.handle.worker.terminate();
    }
    await Promise.race([asked, new Promise((resolve) => setTimeout(resolve, 10))]);
  }

  /** Stops every actor: each finishes its queued records; one that hangs is terminated. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.releaseAll();
    await Promise.all([...this.actors.values()].map((entry) => this.stopEntry(entry, timeoutMs)));
    for (const mailbox of this.mailboxes) mailbox.close(CloseReason.Shutdown);
    for (const table of [this.replies, ...this.adoptedTables]) table.failAllPending(ReplyErrorCode.Shutdown);
    this.signalStopped('shutdown');
  }

  /** Fails the VM: closes every mailbox, fails every pending reply, terminates every worker. */
  fail(failure: VmFailure): void {
    if (this.failure || this.shuttingDown) return;
    this.failure = failure;
    this.releaseAll();
    for (const mailbox of this.mailboxes) mailbox.close(CloseReason.ActorFailed);
    for (const table of [this.replies, ...this.adoptedTables]) table.failAllPending(ReplyErrorCode.ActorDied);
    for (const entry of this.actors.values()) {
      entry.stopping = true;
      void entry.handle.worker.terminate();
    }
    this.signalStopped(failure);
    this.emit('failure', failure);
  }

  /** Waits until every worker has exited. */
  async joined(): Promise<void> {
    await Promise.all([...this.actors.values()].map((e) => e.exited));
  }

  private signalStopped(reason: VmFailure | 'shutdown'): void {
    this.stopReason ??= reason;
    this.rejectInFlight(reason);
  }

  /** Rejects the control calls in flight (only `actor`'s when given). */
  private rejectInFlight(reason: VmFailure | 'shutdown', actor?: string): void {
    for (const [reject, on] of this.inFlight) {
      if (actor !== undefined && on !== actor) continue;
      this.inFlight.delete(reject);
      reject(reason);
    }
  }

  /** Why a control call to `actor` cannot be answered now (null: it can). */
  private unavailable(actor: string): VmFailure | 'shutdown' | null {
    if (this.stopReason) return this.stopReason;
    // Being stopped: it may already have released what its handlers use (an engine).
    return this.actors.get(actor)?.stopping ? (this.failure ?? 'shutdown') : null;
  }

  /** Wraps a comlink remote so each call rejects once the VM is stopped, instead of hanging. */
  private guard<C extends object>(name: string, remote: Comlink.Remote<C & BaseControl>): Control<C> {
    return new Proxy(remote, {
      get: (target, prop) => {
        const member = Reflect.get(target, prop) as unknown;
        if (typeof member !== 'function' || prop === 'then') return member;
        return (...args: unknown[]) => {
          const send = () => (member as (...a: unknown[]) => Promise<unknown>)(...args);
          if (prop === 'shutdown') return send();
          // Not sent at all: its answer could only be an error nobody waits for.
          const now = this.unavailable(name);
          if (now) return Promise.reject(new VmStoppedError(name, now));
          const call = send();
          // Not Promise.race with one long-lived "stopped" promise: each call would leave a
          // reaction on it, holding the call's result, until the VM stops (a leak per call).
          return new Promise((resolve, reject) => {
            const stop = (reason: VmFailure | 'shutdown') => reject(new VmStoppedError(name, reason));
            this.inFlight.set(stop, name);
            // An actor's own error while it is being stopped ("engine stopped") is the stop's doing.
            const failed = (err: unknown) => {
              const why = this.unavailable(name);
              // Otherwise the actor's own error passes through as it came.
              // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
              reject(why ? new VmStoppedError(name, why, { cause: err }) : err);
            };
            call.then(resolve, failed).finally(() => this.inFlight.delete(stop));
          });
        };
      },
    });
  }
}
