// What the supervisor hands an actor's worker (structured-clonable workerData), and the control
// methods every actor has. comlink carries the control plane only: never per message.
import type { MessagePort } from 'node:worker_threads';

import type { GuestMemoryDescriptor } from '../../shared/guest-memory/index.js';

export interface ActorBoot {
  name: string;
  /** The worker's entry module, as SpawnSpec.module gives it (see host.ts isActorEntry). */
  module: string;
  mailbox: SharedArrayBuffer;
  replies: SharedArrayBuffer;
  /** Guest RAM (one SAB for the whole VM), when the VM has any. */
  memory: GuestMemoryDescriptor | null;
  /** Reply slots this actor may use as a requester: [first, first + count). */
  replySlots: { first: number; count: number };
  peers: Record<string, SharedArrayBuffer>;
  trace: { set: SharedArrayBuffer; ring: number } | null;
  spinBudget: number;
  /** The VM's spin gate (shared/doorbell/spin-gate.ts), installed on the actor's thread; null: none. */
  spinGate: SharedArrayBuffer | null;
  parkTimeoutMs: number;
  /** Park with Atomics.waitAsync so the event loop keeps running (an actor that serves sockets). */
  asyncPark: boolean;
  /** The `record-lock` threading model: every handler takes this lock (shared/lock/big-lock.ts). */
  bigLock: SharedArrayBuffer | null;
  /**
   * The `qemu` threading model: the BQL (shared/lock/bql.ts), the VM's write-completion words
   * (a BH wakes a waiting vCPU there), and this actor's part: 'records' runs every record as a
   * bottom half under the BQL; 'own' leaves it to the actor (vCPU: around MMIO; device: its BHs).
   */
  bql: { buffer: SharedArrayBuffer; role: 'records' | 'own' } | null;
  config: unknown;
  control: MessagePort;
}

export interface BaseControl {
  /** Resolves once the actor's setup has finished. */
  ready(): Promise<{ threadId: number }>;
  /** Finishes the records already queued, runs the actor's onStop, and lets its worker exit. */
  shutdown(): Promise<void>;
}
