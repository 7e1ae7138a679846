// bench frames' cases on both backends (bench/suites/frames-backends.ts): which backend runs each
// case and in what order, and the ratio per case. Fake runs: nothing is measured here.
import { describe, expect, it } from 'vitest';

import { BackendCases } from '../../../bench/suites/frames-backends.js';
import type { EngineChoice } from '../../../vmm/engine-backend.js';

function recorder(fps: Record<string, number>) {
  const calls: string[] = [];
  const run = (name: string) => (engine: EngineChoice) => {
    calls.push(`${name}:${engine}`);
    return Promise.resolve({ fps: fps[engine] ?? Number.NaN, engine });
  };
  return { calls, run };
}

describe('BackendCases', () => {
  it('not comparing: each case once, on the engine as chosen, and no ratios', async () => {
    const { calls, run } = recorder({ auto: 5 });
    const cases = new BackendCases<{ fps: number; engine: EngineChoice }>('auto', false);
    await cases.measure('a', run('a'));
    await cases.measure('b', run('b'));
    expect(calls).toEqual(['a:auto', 'b:auto']);
    expect(Object.keys(cases.runs)).toEqual(['a', 'b']);
    expect(cases.softRuns).toEqual({});
    expect(cases.ratios()).toEqual({});
  });

  it('comparing: every case on soft and vulkan, the first alternating per case, vulkan ÷ soft per case', async () => {
    const { calls, run } = recorder({ soft: 40, vulkan: 10 });
    const cases = new BackendCases<{ fps: number; engine: EngineChoice }>('vulkan', true);
    for (const name of ['a', 'b', 'c']) await cases.measure(name, run(name));
    expect(calls).toEqual(['a:soft', 'a:vulkan', 'b:vulkan', 'b:soft', 'c:soft', 'c:vulkan']);
    expect(Object.values(cases.runs).map((r) => r.engine)).toEqual(['vulkan', 'vulkan', 'vulkan']);
    expect(Object.values(cases.softRuns).map((r) => r.engine)).toEqual(['soft', 'soft', 'soft']);
    expect(cases.ratios()).toEqual({ ratio_vulkan_vs_soft_a: 0.25, ratio_vulkan_vs_soft_b: 0.25, ratio_vulkan_vs_soft_c: 0.25 });
  });

  it('a run that throws ends the case with its error: no half-measured case is reported', async () => {
    const cases = new BackendCases<{ fps: number }>('vulkan', true);
    const vulkanFails = (e: EngineChoice) => (e === 'vulkan' ? Promise.reject(new Error('device lost')) : Promise.resolve({ fps: 1 }));
    await expect(cases.measure('a', vulkanFails)).rejects.toThrow('device lost');
    expect(cases.ratios()).toEqual({});
  });
});
