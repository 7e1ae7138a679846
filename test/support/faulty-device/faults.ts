// Test-only fault injection for the device actor (test/vmm/faults.test.ts): a wrapper around the
// production actor's behaviour (actors/device/device-actor.ts DeviceActor), started from this
// folder's worker entry only by VMs a test builds with test/support/test-vm.ts. The production
// actor neither imports this nor checks anything for it.
//
// - unanswered: the device actor takes an engine callback and never answers it, as if its
//   handler were lost. The engine thread that waits for it is released only by the engine's
//   watchdog (VmOptions.callbackTimeoutMs), which turns it into a device error the guest sees,
//   or by the VM stopping (the engine fails every pending callback on stop).
// - stall: the device actor's thread busy-waits once, like a handler that hangs: its mailbox
//   fills behind it and its producers meet back-pressure.
import type { ActorBehaviour } from '../../../actors/runtime/host.js';
import { EngineOut } from '../../../actors/device/engine-records.js';
import { DeviceKind } from '../../../actors/device/messages.js';

export type CallbackName = 'createTask' | 'destroyTask' | 'mapMemory' | 'unmapMemory' | 'readMemory' | 'cursorGlyph' | 'iosfcMapMemory' | 'iosfcUnmapMemory';

const CALLBACK_KINDS: Record<CallbackName, number> = {
  createTask: EngineOut.CreateTask,
  destroyTask: EngineOut.DestroyTask,
  mapMemory: EngineOut.MapMemory,
  unmapMemory: EngineOut.UnmapMemory,
  readMemory: EngineOut.ReadMemory,
  cursorGlyph: EngineOut.CursorGlyph,
  iosfcMapMemory: EngineOut.IosfcMap,
  iosfcUnmapMemory: EngineOut.IosfcUnmap,
};

export interface DeviceTestFaults {
  /** Leave callbacks of these kinds unanswered: skip the first `after` of them, then drop `count` (default: every later one). */
  unanswered?: { kinds: CallbackName[]; after?: number; count?: number };
  /** Busy-wait `ms` once, right after handling the `afterMmio`-th MMIO record (1: the first). */
  stall?: { afterMmio: number; ms: number };
}

/** What a test hands createTestVm (test-vm.ts): faults per device index, and a compositor that hangs once (stalled-compositor/). */
export interface TestFaults {
  devices?: Record<number, DeviceTestFaults>;
  compositor?: { stall: { afterRecords: number; ms: number } };
}

export class DeviceFaultInjector {
  /** Callbacks left unanswered so far. */
  dropped = 0;
  stalled = false;
  private readonly kinds: Set<number>;
  private seen = 0;
  private mmio = 0;

  constructor(private readonly faults: DeviceTestFaults) {
    this.kinds = new Set(
      (faults.unanswered?.kinds ?? []).map((k) => {
        const kind = CALLBACK_KINDS[k];
        if (kind === undefined) throw new Error(`testFaults: unknown callback kind ${JSON.stringify(k)}`);
        return kind;
      }),
    );
  }

  /** True when this engine record is a callback to leave unanswered. */
  dropCallback(kind: number): boolean {
    const u = this.faults.unanswered;
    if (!u || !this.kinds.has(kind)) return false;
    const n = this.seen++;
    if (n < (u.after ?? 0) || this.dropped >= (u.count ?? Infinity)) return false;
    this.dropped++;
    return true;
  }

  /** Called after each MMIO record: stalls the thread once when its turn comes. */
  afterMmio(): void {
    const s = this.faults.stall;
    if (!s || this.stalled || ++this.mmio < s.afterMmio) return;
    this.stalled = true;
    const until = performance.now() + s.ms;
    while (performance.now() < until);
  }
}

/**
 * The actor with its faults: an engine callback to leave unanswered is never handed to it, and
 * the stall comes right after the actor handled an MMIO record.
 */
export function withFaults<C extends object>(actor: ActorBehaviour<C>, faults: DeviceTestFaults): ActorBehaviour<C> {
  const injector = new DeviceFaultInjector(faults);
  return {
    ...actor,
    onRecord(record) {
      if (record.kind === DeviceKind.MmioRead || record.kind === DeviceKind.MmioWrite) {
        actor.onRecord(record);
        injector.afterMmio();
      } else if (!injector.dropCallback(record.kind)) actor.onRecord(record);
    },
  };
}
