// The machine's own scaling reference: N worker threads of a fixed kernel, counted in one window.
import { describe, expect, it } from 'vitest';

import { aggregateRate, kernelRates, KERNELS } from '../../bench/parallel-reference.js';

describe('kernelRates', () => {
  it.each(KERNELS)('%s: every thread counts iterations in the window, and the aggregate is their sum', async (kernel) => {
    const rates = await kernelRates(kernel, 3, 60, 20);
    expect(rates).toHaveLength(3);
    for (const r of rates) expect(r).toBeGreaterThan(0);
    const one = await aggregateRate(kernel, 1, 60, 20);
    expect(one).toBeGreaterThan(0);
  });

  it('counts nothing outside the window: a longer window counts more iterations at the same rate', async () => {
    const short = await kernelRates('alu', 1, 40, 20);
    const long = await kernelRates('alu', 1, 160, 20);
    // Rates, not counts: both windows give the same order of rate (a count taken during the
    // warm-up too would make the short window's rate the larger by about half).
    expect(long[0]! / short[0]!).toBeGreaterThan(0.4);
    expect(long[0]! / short[0]!).toBeLessThan(2.5);
  });

  it.each([0, -1, 1.5])('refuses %s threads', async (threads) => {
    await expect(kernelRates('alu', threads, 10, 10)).rejects.toThrow(/threads must be a positive integer/);
  });
});
