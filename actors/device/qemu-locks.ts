// Under the `qemu` threading model, each engine callback takes the lock upstream apple-gfx takes
// for it (QEMU 10: hw/display/apple-gfx.m, apple-gfx-mmio.m, apple-gfx-pci.m;
// docs/threading-models.md has the table with the upstream function of each):
//   - a bottom half under the BQL (aio_bh_schedule_oneshot on qemu_get_aio_context()):
//     raiseInterrupt (raise_irq_bh, apple_gfx_pci_raise_interrupt), readMemory
//     (apple_gfx_do_read_memory: "Performing DMA requires BQL"), the new-frame handler
//     (new_frame_handler_bh), the frame's readback (apple_gfx_render_frame_completed_bh), the
//     cursor handlers (set_cursor_glyph, update_cursor_bh); and the mode change, which upstream
//     takes the BQL for directly (BQL_LOCK_GUARD) on the display's own dispatch queue — here one
//     thread serves every callback, so it must not block on a vCPU that waits for it: it asks
//     for the lock as a BH does;
//   - the task mutex (s->task_mutex): createTask, destroyTask, mapMemory, unmapMemory;
//   - nothing (RCU only): the IOSurface mapper's map and unmap.
import { BigLock, createBigLockBuffer, type BigLockStats } from '../../shared/lock/big-lock.js';
import { runBottomHalf } from '../../shared/lock/bottom-half.js';
import type { Bql } from '../../shared/lock/bql.js';
import { monotonicMicros } from '../../shared/trace/clock.js';
import { TRACE_EVENTS } from '../../shared/trace/events.js';
import type { TraceRingWriter } from '../../shared/trace/ring.js';
import { EngineOut } from './engine-records.js';

export type UpstreamLock = 'bh' | 'task-mutex' | 'none';

export function upstreamLock(kind: number): UpstreamLock {
  switch (kind) {
    case EngineOut.CreateTask:
    case EngineOut.DestroyTask:
    case EngineOut.MapMemory:
    case EngineOut.UnmapMemory:
      return 'task-mutex';
    case EngineOut.IosfcMap:
    case EngineOut.IosfcUnmap:
      return 'none';
    default:
      return 'bh';
  }
}

export class QemuLocks {
  /** The device's task mutex. Only this actor's thread takes it (it answers every callback), so it is never contended here; upstream, PVG's threads can contend. */
  private readonly taskMutex = new BigLock(createBigLockBuffer());
  bottomHalves = 0;
  lentBottomHalves = 0;

  constructor(
    private readonly bql: Bql,
    private readonly tag: number,
    private readonly trace: TraceRingWriter | null,
  ) {}

  /** Runs an engine callback's handling under the lock upstream takes for it. */
  run(kind: number, handle: () => void): void {
    const lock = upstreamLock(kind);
    if (lock === 'bh') return this.bottomHalf(handle);
    if (lock === 'none') return handle();
    const start = this.trace ? monotonicMicros() : 0;
    if (this.taskMutex.lock() > 0) this.trace?.span(TRACE_EVENTS.task_mutex_wait, start);
    try {
      handle();
    } finally {
      this.taskMutex.unlock();
    }
  }

  /** Runs `work` as a bottom half: under the BQL, taken or lent by a vCPU in AIO_WAIT_WHILE. */
  bottomHalf(work: () => void): void {
    this.bottomHalves++;
    runBottomHalf(this.bql, this.tag, this.trace, work, (entry) => {
      if (entry === 'lent') this.lentBottomHalves++;
    });
  }

  stats(): { bottomHalves: number; lentBottomHalves: number; taskMutex: BigLockStats } {
    return { bottomHalves: this.bottomHalves, lentBottomHalves: this.lentBottomHalves, taskMutex: this.taskMutex.stats() };
  }
}
