// Many threads deliver to one vCPU at once, with random timing, while it halts and takes: no bit
// is lost. Each deliverer owns distinct vectors and counts the deliveries that found the bit
// clear; the vCPU must take each vector exactly that many times.
import { describe, expect, it } from 'vitest';

import { VcpuIrqState, createVcpuIrqBuffer } from '../../shared/irq/vcpu-irq.js';
import { exited, nextMessage, startWorker } from '../support/spawn.js';

interface Delivered {
  fresh: Record<number, number>;
  lost: number[];
}

const PROGRESS_WORD = 256;
const DELIVERERS = 4;

interface RunOptions {
  handshake: boolean;
  rounds: number;
  spinBudget: number;
  deliverers?: number;
  /** Vectors 16..255 are dealt round-robin to the deliverers unless given. */
  vectors?: number[];
  maxJitterUs?: number;
  jitterChance?: number;
}

async function run(options: RunOptions) {
  const count = options.deliverers ?? DELIVERERS;
  const all = options.vectors ?? Array.from({ length: 240 }, (_, i) => i + 16);
  const state = new VcpuIrqState(createVcpuIrqBuffer());
  const takesBuffer = new SharedArrayBuffer((PROGRESS_WORD + 1) * 4);
  const takes = new Int32Array(takesBuffer);
  const taker = startWorker('test/support/irq-taker', { state: state.buffer, takes: takesBuffer, spinBudget: options.spinBudget });
  const takerDone = nextMessage<{ halts: number }>(taker);
  const seed = Math.floor(Math.random() * 1e9);
  const deliverers = Array.from({ length: count }, (_, d) =>
    startWorker('test/support/irq-deliverer', {
      state: state.buffer,
      takes: takesBuffer,
      vectors: all.filter((_, i) => i % count === d),
      rounds: options.rounds,
      handshake: options.handshake,
      seed: seed + d,
      maxJitterUs: options.maxJitterUs ?? 50,
      jitterChance: options.jitterChance ?? 0.1,
      handshakeTimeoutMs: 5_000,
    }),
  );
  const reports = await Promise.all(deliverers.map((w) => nextMessage<Delivered>(w)));
  await Promise.all(deliverers.map(exited));
  state.requestStop();
  // A lost wake would leave the taker asleep: fail with a message instead of the test timeout.
  const lost = reports.flatMap((r) => r.lost);
  const stuck = new Error(`the vCPU did not leave its halt on a stop request (seed ${seed}; vectors never taken: ${lost.join(', ') || 'none'})`);
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(stuck), 10_000).unref());
  const { halts } = await Promise.race([takerDone, timeout]).catch(async (err: unknown) => {
    await taker.terminate();
    throw err;
  });
  await exited(taker);
  return { state, takes, reports, halts, seed };
}

describe('VcpuIrqState under concurrent deliveries', () => {
  it('with a handshake per round, every delivery is taken exactly once (a lost bit would never be taken)', async () => {
    const rounds = 40;
    const { state, takes, reports, seed } = await run({ handshake: true, rounds, spinBudget: 0 });
    expect({ seed, lost: reports.flatMap((r) => r.lost) }).toEqual({ seed, lost: [] });
    for (let v = 16; v < 256; v++) expect(Atomics.load(takes, v)).toBe(rounds);
    for (const r of reports) for (const n of Object.values(r.fresh)) expect(n).toBe(rounds);
    expect(Atomics.load(takes, 0)).toBe(0);
    expect(state.pending()).toBe(false);
    // The vCPU slept between rounds and deliverers woke it.
    expect(state.stats().parks).toBeGreaterThan(0);
    expect(state.stats().wakes).toBeGreaterThan(0);
  });

  it('ping-pong: each delivery races the vCPU going to sleep, and none is missed', async () => {
    // One vector, delivered again only once taken: every halt has a delivery arriving at a random
    // moment around its park. A missed wake leaves the deliverer waiting and reports the vector lost.
    const rounds = 5000;
    const { state, takes, reports, seed } = await run({
      handshake: true,
      rounds,
      spinBudget: 0,
      deliverers: 1,
      vectors: [0x50],
      maxJitterUs: 40,
      jitterChance: 1,
    });
    expect({ seed, lost: reports[0]!.lost }).toEqual({ seed, lost: [] });
    expect(Atomics.load(takes, 0x50)).toBe(rounds);
    expect(state.stats().wakes).toBeGreaterThan(0);
  });

  it.each([0, 500])('free-running (spin %i): each vector is taken as often as a delivery found its bit clear', async (spinBudget) => {
    const rounds = 300;
    const { state, takes, reports, seed } = await run({ handshake: false, rounds, spinBudget });
    const fresh = new Map<number, number>();
    for (const r of reports) for (const [v, n] of Object.entries(r.fresh)) fresh.set(Number(v), n);
    const mismatches: string[] = [];
    for (let v = 16; v < 256; v++) {
      const taken = Atomics.load(takes, v);
      if (taken < 1 || taken !== fresh.get(v) || taken > rounds) mismatches.push(`${v}: taken ${taken}, fresh ${fresh.get(v)}`);
    }
    expect({ seed, mismatches }).toEqual({ seed, mismatches: [] });
    expect(state.pending()).toBe(false);
  });
});
