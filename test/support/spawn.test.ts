// The test helpers' own contract: a message or exit that happens before a test asks for it is
// not lost (the cursor-slot test hung in CI when its writer finished before it was awaited).
import { describe, expect, it } from 'vitest';

import { createCursorSlot } from '../../shared/display/cursor-slot.js';
import { exited, nextMessage, startWorker } from './spawn.js';

const quickWriter = () => startWorker('test/support/cursor-slot-worker', { role: 'writer', slot: createCursorSlot(), iterations: 1, seed: 1 });

describe('spawn helpers', () => {
  it('a message sent and a worker gone before nextMessage is asked still answers, once', async () => {
    const w = quickWriter();
    expect(await exited(w)).toBe(0);
    expect(await nextMessage(w)).toEqual({ done: true });
    await expect(nextMessage(w)).rejects.toThrow(/exited with 0 before answering/);
  });

  it('a message that does not match stays for a later ask', async () => {
    const w = quickWriter();
    await exited(w);
    await expect(nextMessage(w, (m: { done?: boolean }) => m.done === false)).rejects.toThrow(/before answering/);
    expect(await nextMessage(w)).toEqual({ done: true });
  });
});
