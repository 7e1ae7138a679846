// Runs inside an actor's worker: builds the actor from its boot data, serves its mailbox
// (spin, then park in a futex that native producers can ring), and serves the comlink control
// plane in between. A handler that throws escalates to an uncaught error, which the supervisor
// turns into a VM failure.
import { isMainThread, threadId, workerData } from 'node:worker_threads';

import * as Comlink from 'comlink';

import { attachGuestMemory, type GuestMemory } from '../../shared/guest-memory/index.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { newRecord, type MailboxRecord } from '../../shared/mailbox/record.js';
import { native } from '../../shared/native/addon.js';
import { compiledModuleUrl } from '../../shared/package-root.js';
import { ReplyTable } from '../../shared/reply/reply-table.js';
import { BigLock } from '../../shared/lock/big-lock.js';
import { Bql } from '../../shared/lock/bql.js';
import { runBottomHalf } from '../../shared/lock/bottom-half.js';
import { monotonicMicros } from '../../shared/trace/clock.js';
import { TRACE_EVENTS } from '../../shared/trace/events.js';
import { TraceRingWriter } from '../../shared/trace/ring.js';
import type { ActorBoot, BaseControl } from './boot.js';
import { portEndpoint } from './control-endpoint.js';
import { installSpinGate } from '../../shared/doorbell/spin-gate.js';

export interface ActorContext {
  readonly name: string;
  readonly mailbox: Mailbox;
  readonly replies: ReplyTable;
  readonly memory: GuestMemory | null;
  readonly replySlots: { first: number; count: number };
  readonly peers: Readonly<Record<string, Mailbox>>;
  readonly trace: TraceRingWriter | null;
  /** The VM's trace-ring set, for native threads this actor starts (an engine). */
  readonly traceSet: SharedArrayBuffer | null;
  /** The VM's spin gate, for native threads this actor starts (an engine); null: none. */
  readonly spinGate: SharedArrayBuffer | null;
  readonly config: unknown;
  /** The `qemu` threading model's BQL (an actor of role 'records' has its records run under it already); null under the other models. */
  readonly bql: Bql | null;
  /** This thread's tag in the BQL's owner and lend words. */
  readonly bqlTag: number;
}

export interface ActorBehaviour<Control extends object = object> {
  /** Handles one mailbox record. The record object is reused: copy what must outlive the call. */
  onRecord(record: MailboxRecord): void;
  /** Extra control-plane methods (configure, stats, …). */
  control?: Control;
  onStop?(): void | Promise<void>;
  /**
   * Called when the mailbox is empty, before the actor parks. Return true while the actor still
   * has work of its own (a backlog it could not hand on yet): it then yields and comes back
   * instead of sleeping.
   */
  onIdle?(): boolean;
}

/**
 * The behaviour as a plain object of bound functions. Actors are classes, whose methods live on
 * the prototype; the runtime's wrappers (the threading models, a test's fault injector) build
 * on a behaviour by spreading it, which copies only own properties.
 */
export function plainBehaviour<C extends object>(b: ActorBehaviour<C>): ActorBehaviour<C> {
  const { onIdle, onStop, control } = b;
  return {
    onRecord: (record) => b.onRecord(record),
    ...(onIdle ? { onIdle: () => onIdle.call(b) } : {}),
    ...(onStop ? { onStop: () => onStop.call(b) } : {}),
    ...(control ? { control } : {}),
  };
}

/** Records handled before the actor yields to its event loop for control messages. */
const BATCH = 256;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Whether the module at `moduleUrl` (its import.meta.url) is the entry this actor's worker was
 * started from. An actor module exports its setup and runs it only when it is the entry, so
 * another entry (a test's wrapper, test/support/faulty-device/) can import and wrap it.
 */
export function isActorEntry(moduleUrl: string): boolean {
  const boot = workerData as ActorBoot | null;
  return !isMainThread && typeof boot?.module === 'string' && compiledModuleUrl(boot.module).href === moduleUrl;
}

export async function runActor<Control extends object>(
  setup: (ctx: ActorContext) => ActorBehaviour<Control> | Promise<ActorBehaviour<Control>>,
): Promise<void> {
  const boot = workerData as ActorBoot;
  // Per-thread CPU accounting (bench scaling, top -H) tells actors apart by this name.
  native.setThreadName(boot.name);
  installSpinGate(boot.spinGate);
  const mailbox = new Mailbox(boot.mailbox, boot.name);
  const peers: Record<string, Mailbox> = {};
  for (const [peer, sab] of Object.entries(boot.peers)) peers[peer] = new Mailbox(sab, peer);
  const trace = boot.trace ? new TraceRingWriter(boot.trace.set, boot.trace.ring, native.currentThreadId()) : null;
  const replies = new ReplyTable(boot.replies);
  const bql = boot.bql ? new Bql(boot.bql.buffer) : null;
  const bqlTag = threadId + 1;
  const ctx: ActorContext = {
    name: boot.name,
    mailbox,
    replies,
    memory: boot.memory ? attachGuestMemory(boot.memory.sab, boot.memory.regions) : null,
    replySlots: boot.replySlots,
    peers,
    trace,
    traceSet: boot.trace?.set ?? null,
    spinGate: boot.spinGate,
    config: boot.config,
    bql,
    bqlTag,
  };

  let stopping = false;
  let stopped: Promise<void> | null = null;
  let behaviour: ActorBehaviour<Control> | null = null;
  const readyPromise = Promise.resolve(setup(ctx)).then((b) => {
    behaviour = plainBehaviour(b);
  });

  const base: BaseControl = {
    ready: async () => {
      await readyPromise;
      return { threadId };
    },
    shutdown: async () => {
      stopping = true;
      mailbox.ring();
      await stopped;
      await behaviour?.onStop?.();
      // Close after comlink has posted this call's reply; then the worker's loop empties and it exits.
      setImmediate(() => boot.control.close());
    },
  };
  await readyPromise.catch(() => undefined);
  Comlink.expose({ ...(behaviour as ActorBehaviour<Control> | null)?.control, ...base }, portEndpoint(boot.control));
  await readyPromise;

  let served: ActorBehaviour<Control> = behaviour!;
  if (boot.bigLock) served = underBigLock(served, new BigLock(boot.bigLock), trace);
  if (bql && boot.bql?.role === 'records') served = asBottomHalves(served, bql, bqlTag, trace);
  stopped = pump(mailbox, served, boot, () => stopping, depthCounter(mailbox, trace)).finally(() => mailbox.releaseEventLoop());
  stopped.catch((err: unknown) => {
    // Escalate: an uncaught error makes the worker emit 'error', which the supervisor handles.
    setImmediate(() => {
      throw err;
    });
  });
}

/**
 * The `record-lock` threading model: the same actor, with every handler run under the VM's one
 * lock, one record at a time. A wait for the lock is traced as a span.
 */
function underBigLock<C extends object>(b: ActorBehaviour<C>, lock: BigLock, trace: TraceRingWriter | null): ActorBehaviour<C> {
  const take = () => {
    const start = trace ? monotonicMicros() : 0;
    if (lock.lock() > 0) trace?.span(TRACE_EVENTS.lock_wait, start);
  };
  const onIdle = b.onIdle;
  return {
    ...b,
    onRecord(record) {
      take();
      try {
        b.onRecord(record);
      } finally {
        lock.unlock();
      }
    },
    ...(onIdle
      ? {
          onIdle() {
            take();
            try {
              return onIdle.call(b);
            } finally {
              lock.unlock();
            }
          },
        }
      : {}),
  };
}

/**
 * The `qemu` threading model for an actor whose every record is, upstream, work done under the
 * BQL in a bottom half or a BQL-holding handler (the interrupt controller, the display's
 * compositor): each record gets the BQL as a BH does (Bql.bhEnter: taken, or lent
 * by a vCPU waiting in AIO_WAIT_WHILE), traced as a `bh` span, with a `lock_wait` span before it
 * when it waited.
 */
function asBottomHalves<C extends object>(b: ActorBehaviour<C>, bql: Bql, tag: number, trace: TraceRingWriter | null): ActorBehaviour<C> {
  // The idle hook only retries posts a record's handling decided under the BQL (our mailboxes
  // can be full; QEMU's calls cannot): it runs without the lock, or every idle pass would take it.
  return { ...b, onRecord: (record) => runBottomHalf(bql, tag, trace, () => b.onRecord(record)) };
}

/** Samples the mailbox's depth into the trace after a batch: at most once a millisecond, and 0 when drained. */
function depthCounter(mailbox: Mailbox, trace: TraceRingWriter | null): () => void {
  if (!trace) return () => undefined;
  let last = -1;
  let at = 0;
  return () => {
    const depth = mailbox.depth();
    if (depth === last) return;
    const now = monotonicMicros();
    if (depth !== 0 && now - at < 1000) return;
    trace.counter(TRACE_EVENTS.mailbox_depth, depth);
    last = depth;
    at = now;
  };
}

async function pump(mailbox: Mailbox, behaviour: ActorBehaviour<object>, boot: ActorBoot, stopping: () => boolean, sampleDepth: () => void): Promise<void> {
  const record = newRecord();
  for (;;) {
    let handled = 0;
    while (handled < BATCH && mailbox.tryDequeue(record)) {
      behaviour.onRecord(record);
      handled++;
    }
    if (handled > 0) sampleDepth();
    if (handled === BATCH) {
      await yieldToEventLoop();
      continue;
    }
    if (handled > 0) continue;
    if (stopping() || mailbox.closed) return;
    if (behaviour.onIdle?.()) {
      await yieldToEventLoop();
      continue;
    }
    if (boot.asyncPark) {
      await mailbox.waitForWorkAsync(boot.spinBudget, boot.parkTimeoutMs);
      continue;
    }
    const outcome = mailbox.waitForWork(boot.spinBudget, boot.parkTimeoutMs);
    if (outcome !== 'ready') await yieldToEventLoop();
  }
}
