// The testing addon and its typings (bench/native-testing.ts) name the same functions, as the
// production addon and NativeAddon do (test/shared/native/addon.test.ts): the list is typed
// Record<keyof TestingAddon, true>, so the compiler refuses a missing or unknown name, and the
// built addon is held to it.
import { describe, expect, it } from 'vitest';

import { nativeTesting, type TestingAddon } from '../../bench/native-testing.js';
import { native } from '../../shared/native/addon.js';

const declared: Record<keyof TestingAddon, true> = {
  benchRender: true,
  benchVulkan: true,
  kvmRawExitBench: true,
  kvmInjectBench: true,
  startProducers: true,
  producersDone: true,
  joinProducers: true,
  startEchoServer: true,
  stopEchoServer: true,
  nativeRequester: true,
  joinRequester: true,
  requesterDone: true,
  mailboxEnqueue: true,
  mailboxTryDequeue: true,
  mailboxClose: true,
  heapStats: true,
};

describe('the testing addon and TestingAddon', () => {
  it('export and declare the same functions', () => {
    const addon = nativeTesting() as unknown as Record<string, unknown>;
    expect(Object.keys(addon).sort()).toEqual(Object.keys(declared).sort());
    for (const name of Object.keys(addon)) expect(typeof addon[name], name).toBe('function');
  });

  it('heapStats: the C heap where glibc measures it, after a trim too', () => {
    const { heapStats } = nativeTesting();
    const heap = heapStats();
    if (heap === null) return; // not glibc's malloc (a sanitizer's allocator): said so, not zeros
    expect(heap.allocatedBytes).toBeGreaterThan(0);
    expect(heap.allocatedBytes).toBeGreaterThanOrEqual(heap.mmappedBytes);
    expect(heapStats(true)).not.toBeNull();
  });

  it('benchVulkan: opts is checked before any device is opened; drawOnly gives fill, blit and blend on both stores only', () => {
    const { benchVulkan } = nativeTesting();
    expect(() => benchVulkan(64, 64, 1, 5 as never)).toThrow(/benchVulkan: opts must be an object/);
    expect(() => benchVulkan(64, 64, 1, { drawOnly: 1 as never })).toThrow(/benchVulkan: opts.drawOnly must be a boolean/);
    if (!native.vulkanProbe().available) return; // the rest needs a device (test/bench/suites/engine.test.ts says so when it skips)
    const r = benchVulkan(64, 64, 1, { drawOnly: true });
    expect(Object.keys(r.rates).sort()).toEqual(['blend', 'blit', 'fill', 'soft_blend', 'soft_blit', 'soft_fill']);
    expect(r.device.readbackMemory).toBeUndefined();
  });
});
