// Posted MMIO writes, the vCPU side: the window of outstanding writes, and giving up the wait
// for room when the VM stops (a device that hangs never completes them).
import { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { PostedWrites, PostedWritesTimeoutError, completeWrite, createCompletionBuffer, wakeWriteWaiters } from '../../../shared/mmio/completion.js';
import { compiledModuleUrl } from '../../../shared/package-root.js';
import { WaitAbandonedError } from '../../../shared/wait-abandoned.js';

describe('posted writes', () => {
  it('lets `window` writes be outstanding and waits for room past that', () => {
    const words = new Int32Array(createCompletionBuffer(2));
    const writes = new PostedWrites(words, 1, 2);
    writes.beforeWrite();
    writes.beforeWrite();
    expect(writes.outstanding()).toBe(2);
    // Typed (it was a plain Error), with what it waited for.
    expect(() => writes.waitUntilOutstandingAtMost(1, 20)).toThrow(
      expect.objectContaining({ name: 'PostedWritesTimeoutError', outstanding: 2, timeoutMs: 20 }),
    );
    expect(() => writes.waitUntilOutstandingAtMost(1, 20)).toThrow(PostedWritesTimeoutError);
    completeWrite(words, 1);
    writes.beforeWrite(); // room again
    expect(writes.outstanding()).toBe(2);
    completeWrite(words, 0); // another vCPU's completion does not count here
    expect(writes.outstanding()).toBe(2);
  });

  it('gives up waiting for room when its give-up check says so, and only then', () => {
    const words = new Int32Array(createCompletionBuffer(1));
    let asked = 0;
    const writes = new PostedWrites(words, 0, 1, () => ++asked >= 2);
    writes.beforeWrite();
    expect(() => writes.beforeWrite()).toThrow(WaitAbandonedError);
    expect(asked).toBe(2);
    expect(writes.outstanding()).toBe(1); // the abandoned write was never counted
  });

  // vm.stop() calls it: an external vCPU blocked on a full window then gives up at once, not
  // at the end of its 100 ms wait slice.
  it('wakeWriteWaiters wakes a vCPU parked on its posted writes', async () => {
    const buffer = createCompletionBuffer(2);
    // vCPU 1 parks as PostedWrites does: announces it waits, then sleeps on its Completed word.
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       import(workerData.parker).then(({ futexParker }) => {
         const w = new Int32Array(workerData.buffer);
         Atomics.store(w, 16 + 1, 1);
         parentPort.postMessage(futexParker.wait(w, 16, 0, 20_000));
       });`,
      { eval: true, workerData: { buffer, parker: compiledModuleUrl('shared/doorbell/parker').href } },
    );
    const outcome = new Promise((resolve) => worker.once('message', resolve));
    let woken = 0;
    for (const deadline = performance.now() + 10_000; woken === 0 && performance.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 10));
      woken = wakeWriteWaiters(buffer); // 0 until it is asleep in the futex
    }
    expect(woken).toBe(1);
    expect(await outcome).toBe('ok'); // woken, not timed out
    await worker.terminate();
  });

  it('a completion word out of range is ignored (a hostile vCPU number)', () => {
    const words = new Int32Array(createCompletionBuffer(1));
    completeWrite(words, 5);
    completeWrite(words, -1);
    expect([...words].every((w) => w === 0)).toBe(true);
  });
});
