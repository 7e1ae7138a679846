// Posted MMIO writes, the vCPU side: the window of outstanding writes, and giving up the wait
// for room when the VM stops (a device that hangs never completes them).
import { describe, expect, it } from 'vitest';

import { PostedWrites, completeWrite, createCompletionBuffer } from '../../../shared/mmio/completion.js';
import { WaitAbandonedError } from '../../../shared/wait-abandoned.js';

describe('posted writes', () => {
  it('lets `window` writes be outstanding and waits for room past that', () => {
    const words = new Int32Array(createCompletionBuffer(2));
    const writes = new PostedWrites(words, 1, 2);
    writes.beforeWrite();
    writes.beforeWrite();
    expect(writes.outstanding()).toBe(2);
    expect(() => writes.waitUntilOutstandingAtMost(1, 20)).toThrow(/not completed after 20 ms \(2 outstanding\)/);
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

  it('a completion word out of range is ignored (a hostile vCPU number)', () => {
    const words = new Int32Array(createCompletionBuffer(1));
    completeWrite(words, 5);
    completeWrite(words, -1);
    expect([...words].every((w) => w === 0)).toBe(true);
  });
});
