// The status ticker: one poll at a time however slow the answers, the line rewritten in place,
// cleared for other output and on stop, and a poll that fails under a stopping VM is no error.
import { describe, expect, it } from 'vitest';

import { StatusTicker, type StatusOutput } from '../../cli/status-ticker.js';
import type { VmStats } from '../../vmm/vm.js';
import { eventually } from '../support/spawn.js';

const CLEAR = '\r\x1b[K';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stats = {
  vcpus: [],
  devices: [],
  irq: { lines: [], msiDeliveries: 0 },
  compositor: { displays: [], mailbox: { depth: 0, capacity: 4096 } },
} as unknown as VmStats;

function recorder(columns?: number): StatusOutput & { text: string } {
  return {
    text: '',
    columns,
    write(t: string) {
      this.text += t;
    },
  };
}

describe('StatusTicker', () => {
  it('never starts a poll while one is outstanding, however slow the answers', async () => {
    let outstanding = 0;
    let most = 0;
    let polls = 0;
    const out = recorder();
    const ticker = new StatusTicker(
      async () => {
        polls++;
        most = Math.max(most, ++outstanding);
        await sleep(40); // four intervals
        outstanding--;
        return stats;
      },
      out,
      { intervalMs: 10 },
    ).start();
    await sleep(300); // thirty intervals: a ticker that polled on each would pile up answers
    await eventually(() => polls > 2, 10_000, 'three polls'); // a loaded machine manages fewer
    await ticker.stop();
    expect(most).toBe(1);
    expect(polls).toBeGreaterThan(2);
    expect(polls).toBeLessThan(10);
    const lines = out.text.split(CLEAR).filter(Boolean);
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.every((l) => l.includes('fps'))).toBe(true);
    expect(out.text.endsWith(CLEAR)).toBe(true); // stop() leaves the line erased
  });

  it('rewrites the line in place, cut to the width, and clears it only when shown', async () => {
    const out = recorder(30);
    const ticker = new StatusTicker(() => Promise.resolve(stats), out, { intervalMs: 10 });
    ticker.clear();
    expect(out.text).toBe('');
    ticker.start();
    await eventually(() => out.text.length > 0, 10_000, 'the first line');
    expect(out.text.startsWith(CLEAR)).toBe(true);
    expect(out.text).not.toContain('\n');
    for (const line of out.text.split(CLEAR).filter(Boolean)) expect(line).toHaveLength(29);
    ticker.clear();
    expect(out.text.endsWith(CLEAR)).toBe(true);
    const before = out.text.length;
    ticker.clear();
    expect(out.text.length).toBe(before);
    await ticker.stop();
    const after = out.text.length;
    await sleep(40);
    expect(out.text.length).toBe(after); // nothing once stopped
  });

  it('shows the first answer even when stopped before it came (a run shorter than a poll)', async () => {
    const out = recorder();
    const ticker = new StatusTicker(async () => (await sleep(30), stats), out, { intervalMs: 10 }).start();
    await ticker.stop();
    expect(out.text).toMatch(/^\r\x1b\[K.*fps.*\r\x1b\[K$/);
  });

  it('stops quietly when a poll fails (the VM stopped or failed under it)', async () => {
    const out = recorder();
    let polls = 0;
    const ticker = new StatusTicker(() => (++polls > 2 ? Promise.reject(new Error('vm stopped')) : Promise.resolve(stats)), out, { intervalMs: 5 }).start();
    // The failed third poll erases the line; then nothing more is polled.
    await eventually(() => polls >= 3 && out.text.endsWith(CLEAR), 10_000, 'the failed poll');
    await sleep(30);
    expect(polls).toBe(3);
    expect(out.text.endsWith(CLEAR)).toBe(true);
    await ticker.stop();
  });
});
