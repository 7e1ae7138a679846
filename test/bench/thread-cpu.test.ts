// Per-thread CPU accounting for bench scaling: reading /proc, roles, and the busiest thread.
import { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { cpuByRole, sampleThreadCpu, threadRole, type ThreadCpuSample } from '../../bench/thread-cpu.js';

describe('thread CPU accounting', () => {
  it('names roles without the per-device number', () => {
    expect(['device0', 'device15', 'vcpu3', 'pvg-pool-1', 'pvg-mmio', 'compositor', 'compositor3', 'irq', '7'].map(threadRole)).toEqual([
      'device',
      'device',
      'vcpu',
      'pvg-pool',
      'pvg-mmio',
      'compositor',
      'compositor', // a compositor shard: one role with a thread per shard
      'irq',
      '7',
    ]);
  });

  it('sums CPU by role over an interval and finds the busiest thread; new threads count from zero', () => {
    const before: ThreadCpuSample = new Map([
      [1, { name: 'device0', cpuMs: 100 }],
      [2, { name: 'device1', cpuMs: 50 }],
      [3, { name: 'irq', cpuMs: 10 }],
    ]);
    const after: ThreadCpuSample = new Map([
      [1, { name: 'device0', cpuMs: 900 }],
      [2, { name: 'device1', cpuMs: 250 }],
      [3, { name: 'irq', cpuMs: 10 }],
      [4, { name: 'vcpu0', cpuMs: 300 }],
    ]);
    expect(cpuByRole(before, after, 1000)).toEqual([
      { role: 'device', threads: 2, cpuMs: 1000, busiestShare: 0.8 },
      { role: 'vcpu', threads: 1, cpuMs: 300, busiestShare: 0.3 },
      { role: 'irq', threads: 1, cpuMs: 0, busiestShare: 0 },
    ]);
  });

  it('reads this process from /proc: a named, busy worker shows up with its CPU time', async () => {
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const native = require(${JSON.stringify(`${process.cwd()}/build/Release/pvg_native.node`)});
       native.setThreadName('busy-test7');
       const until = Date.now() + 300;
       while (Date.now() < until) {}
       parentPort.postMessage('done');
       setTimeout(() => {}, 2000);`,
      { eval: true },
    );
    await new Promise((r) => worker.once('message', r));
    const sample = sampleThreadCpu();
    await worker.terminate();
    const busy = [...sample.values()].filter((t) => t.name === 'busy-test7');
    expect(busy).toHaveLength(1);
    expect(busy[0]!.cpuMs).toBeGreaterThan(100); // 300 ms of spinning, counted in 10 ms ticks
    expect(threadRole(busy[0]!.name)).toBe('busy-test');
  });
});
