// Stopping a VM while the embedder is still using it (issue 16, item 3): stop() called twice,
// control calls racing stop(), outputs started after it. Every such call either completes or
// rejects with VmStoppedError; nothing resolves early and nothing hangs.
import { describe, expect, it } from 'vitest';

import { vmsStoppedAfterEach } from '../support/vm-pool.js';

const vms = vmsStoppedAfterEach({ ramMiB: 32, devices: [{ displayModes: ['320x200@60'] }] });

describe('vm.stop()', () => {
  // Before: the second call saw the "stopped" flag and resolved at once, with four actors running.
  it('returns the same promise to every caller, settled only once every thread is joined', async () => {
    const vm = await vms.create();
    const first = vm.stop();
    const second = vm.stop();
    expect(second).toBe(first);
    await second;
    expect(vm.supervisor.liveActors()).toEqual([]);
  });
});
