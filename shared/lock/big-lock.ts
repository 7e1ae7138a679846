// The big lock of the `record-lock` threading model: one mutex in a SAB that every actor handler
// takes for one record (a stand-in, not QEMU's discipline: that is shared/lock/bql.ts). Also the
// qemu model's per-device task mutex. A futex mutex (Drepper's
// three-state design: 0 free, 1 held, 2 held with waiters), so an uncontended take is one CAS
// and a release without waiters no syscall. Counters live in the same SAB, so the VM sees every
// thread's acquisitions and waits.
import { futexParker } from '../doorbell/parker.js';

const enum Word {
  State = 0,
}
const enum Counter {
  Acquisitions = 1,
  Contended = 2,
  WaitNs = 3,
}
const FREE = 0;
const HELD = 1;
const CONTENDED = 2;

export function createBigLockBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(4 * 8);
}

export interface BigLockStats {
  acquisitions: number;
  /** Takes that found the lock held and had to wait. */
  contended: number;
  /** Time spent waiting for it, all threads together. */
  waitMs: number;
}

export class BigLock {
  private readonly state: Int32Array;
  private readonly counters: BigInt64Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    const sab = buffer;
    this.state = new Int32Array(sab, 0, 2);
    this.counters = new BigInt64Array(sab);
  }

  /** Takes the lock; returns how long it waited (ms; 0 when it was free). */
  lock(): number {
    Atomics.add(this.counters, Counter.Acquisitions, 1n);
    let c = Atomics.compareExchange(this.state, Word.State, FREE, HELD);
    if (c === FREE) return 0;
    const start = performance.now();
    if (c !== CONTENDED) c = Atomics.exchange(this.state, Word.State, CONTENDED);
    while (c !== FREE) {
      futexParker.wait(this.state, Word.State, CONTENDED, -1);
      c = Atomics.exchange(this.state, Word.State, CONTENDED);
    }
    const waited = performance.now() - start;
    Atomics.add(this.counters, Counter.Contended, 1n);
    Atomics.add(this.counters, Counter.WaitNs, BigInt(Math.round(waited * 1e6)));
    return waited;
  }

  unlock(): void {
    if (Atomics.sub(this.state, Word.State, 1) !== HELD) {
      Atomics.store(this.state, Word.State, FREE);
      futexParker.wake(this.state, Word.State, 1);
    }
  }

  stats(): BigLockStats {
    return {
      acquisitions: Number(Atomics.load(this.counters, Counter.Acquisitions)),
      contended: Number(Atomics.load(this.counters, Counter.Contended)),
      waitMs: Number(Atomics.load(this.counters, Counter.WaitNs)) / 1e6,
    };
  }
}
