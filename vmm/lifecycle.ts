// vm.pause(), vm.resume() and vm.reset() (docs/lifecycle.md). Pause is QEMU's vm_stop in our
// terms: every vCPU stops at a step boundary (pause_all_vcpus), then the VM waits until nothing
// is in flight anywhere (bdrv_drain_all's part): no MMIO, callback, encode, interrupt or display
// event, every mailbox drained. Reset is qemu_system_reset's hold phase on a paused machine: each
// device's engine powers on (upstream: apple_gfx_{mmio,pci}_reset → [PGDevice reset]), then the
// interrupt controller, the compositor's displays and the vCPUs go back to their power-on state.
// Waits are bounded: a part that does not get there in time fails the VM with a typed error.
import type { Remote } from 'comlink';

import type { CompositorShards } from './compositor-shards.js';
import type { DeviceControl } from '../actors/device/messages.js';
import type { IrqControl } from '../actors/irq/messages.js';
import type { InputControl } from '../actors/input/messages.js';
import type { VcpuControl } from '../actors/vcpu/messages.js';
import type { VmFailure } from '../actors/runtime/errors.js';
import type { GuestMemory } from '../shared/guest-memory/index.js';
import type { VcpuIrqState } from '../shared/irq/vcpu-irq.js';
import { LifecycleTimeoutError } from './lifecycle-errors.js';

type Ctl<C> = Remote<C>;

/** What the lifecycle drives: the VM's actors as vm.ts made them. */
export interface LifecycleParts {
  vcpus: { irq: VcpuIrqState; control: Ctl<VcpuControl> }[];
  devices: Ctl<DeviceControl>[];
  /** The compositor shards, as one. */
  compositor: Pick<CompositorShards, 'reset' | 'activity'>;
  irq: Ctl<IrqControl>;
  /** The virtio-input devices' actor, when the VM has any. */
  input?: Ctl<InputControl> | null;
  memory: GuestMemory;
  /** Fails the VM (the supervisor): a lifecycle step that timed out leaves it in no known state. */
  fail(failure: VmFailure): void;
}

export interface PauseOptions {
  /** How long the vCPUs and devices get to stop (default 10 000 ms); past it the VM fails. */
  timeoutMs?: number;
}

export interface ResetOptions extends PauseOptions {
  /** Zero guest RAM too (default false: RAM is kept, as on a warm reset). The ROM stays. */
  clearRam?: boolean;
}

/** How a pause went: from the request to every part quiescent. */
export interface PauseReport {
  /** Request → every vCPU at a step boundary, µs. */
  vcpusUs: number;
  /** Request → every device, the compositor and the interrupt controller quiescent, µs. */
  quiescentUs: number;
  /** Looks at the parts' activity it took (two idle looks in a row with nothing done between). */
  rounds: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export class VmLifecycle {
  private paused = false;
  /** One operation at a time, in call order (pause, resume and reset from many callers). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly parts: LifecycleParts) {}

  get isPaused(): boolean {
    return this.paused;
  }

  pause(options: PauseOptions = {}): Promise<PauseReport | null> {
    return this.serial(async () => (this.paused ? null : this.pauseNow(options.timeoutMs ?? DEFAULT_TIMEOUT_MS)));
  }

  /** Ends a pause; `otherwise` runs instead (in call order with the rest) when not paused. */
  resume(otherwise: () => Promise<void> = () => Promise.resolve()): Promise<void> {
    return this.serial(async () => (this.paused ? this.resumeNow() : otherwise()));
  }

  reset(options: ResetOptions = {}): Promise<void> {
    return this.serial(async () => {
      const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const wasPaused = this.paused;
      if (!wasPaused) await this.pauseNow(timeoutMs);
      await this.resetNow(timeoutMs, options.clearRam ?? false);
      if (!wasPaused) await this.resumeNow();
    });
  }

  /** Runs op in call order with pause, resume and reset: none of them runs meanwhile (a snapshot's save). */
  exclusive<T>(op: () => Promise<T>): Promise<T> {
    return this.serial(op);
  }

  /**
   * Only from inside exclusive(): runs op with the machine paused, pausing it first (and resuming
   * it after) when it was running. A snapshot's save of a machine a guest has run on.
   */
  async holdPaused<T>(op: () => Promise<T>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    const wasPaused = this.paused;
    if (!wasPaused) await this.pauseNow(timeoutMs);
    try {
      return await op();
    } finally {
      if (!wasPaused) await this.resumeNow();
    }
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async pauseNow(timeoutMs: number): Promise<PauseReport> {
    const start = performance.now();
    const deadline = start + timeoutMs;
    // The word first: it ends a slice, a halt and KVM_RUN at once; the control call is answered
    // only between slices, so its answer means the vCPU is at a step boundary.
    for (const v of this.parts.vcpus) v.irq.requestPause();
    this.paused = true;
    const stopped = this.parts.vcpus.map(() => false);
    await this.bounded(
      Promise.all(this.parts.vcpus.map((v, i) => v.control.pause().then(() => (stopped[i] = true)))),
      deadline,
      () => stopped.flatMap((done, i) => (done ? [] : [`vcpu${i} not at a step boundary`])),
      'pause',
    );
    const vcpusUs = (performance.now() - start) * 1000;
    // Injected input waits in the devices from here on: nothing writes guest RAM while paused.
    await this.parts.input?.hold(true);
    const rounds = await this.quiescent(deadline, 'pause');
    return { vcpusUs, quiescentUs: (performance.now() - start) * 1000, rounds };
  }

  private async resumeNow(): Promise<void> {
    // Each vCPU clears its own pause word in the call, so it runs again only once it is told.
    await Promise.all(this.parts.vcpus.map((v) => v.control.resume()));
    await this.parts.input?.hold(false);
    this.paused = false;
  }

  private async resetNow(timeoutMs: number, clearRam: boolean): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const { devices, compositor, irq, vcpus, memory } = this.parts;
    // Devices first: their power-on answers the encodes the engines held and destroys every
    // task through callbacks this actor answers; those answers drain before the compositor's turn.
    await this.bounded(Promise.all(devices.map((d) => d.reset())), deadline, () => ['device power-on'], 'reset');
    await this.quiescent(deadline, 'reset');
    await compositor.reset();
    // Every virtio-input device as after a driver's reset (its level goes low before the controller's reset).
    await this.parts.input?.reset();
    await irq.reset();
    for (const v of vcpus) v.irq.clearPending();
    if (clearRam) {
      for (const r of memory.describe().regions) if (!r.readOnly) memory.bytes.fill(0, r.offset, r.offset + r.size);
    }
    await Promise.all(vcpus.map((v) => v.control.reset()));
  }

  /**
   * Waits until every device, the compositor and the interrupt controller report idle twice in a
   * row with the same counters: idle looks taken one actor after another can miss a record in
   * transit between two of them, but that record moves a counter. Returns the looks taken.
   */
  private async quiescent(deadline: number, during: 'pause' | 'reset'): Promise<number> {
    let previous: string | null = null;
    let busy: string[] = [];
    for (let rounds = 1; ; rounds++) {
      const looks = await this.bounded(
        Promise.all([
          ...this.parts.devices.map((d, i) => d.activity().then((a) => ({ ...a, busy: a.busy.map((b) => `device${i} ${b}`) }))),
          this.parts.compositor.activity(),
          this.parts.irq.activity(),
          ...(this.parts.input ? [this.parts.input.activity().then((a) => ({ ...a, busy: a.busy.map((b) => `input ${b}`) }))] : []),
        ]),
        deadline,
        () => busy,
        during,
      );
      busy = looks.flatMap((l) => l.busy);
      if (busy.length === 0) {
        const counters = JSON.stringify(looks.map((l) => l.counters));
        if (counters === previous) return rounds;
        previous = counters;
      } else {
        previous = null;
      }
      if (performance.now() > deadline) throw this.timedOut(during, busy);
      await new Promise((r) => setTimeout(r, rounds < 4 ? 0 : 1));
    }
  }

  private async bounded<T>(work: Promise<T>, deadline: number, busy: () => string[], during: 'pause' | 'reset'): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.timedOut(during, busy())), Math.max(0, deadline - performance.now()));
    });
    try {
      return await Promise.race([work, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Fails the VM with the error it returns (for the caller to throw). */
  private timedOut(during: 'pause' | 'reset', busy: string[]): LifecycleTimeoutError {
    const error = new LifecycleTimeoutError(during, busy);
    this.parts.fail(error);
    return error;
  }
}
