// A delivering thread for the concurrent-delivery test: delivers its own vectors for several
// rounds, in random order with random pauses. With handshake it waits, after each round, until
// the vCPU took each of them (a lost bit then shows as a vector never taken). It reports, per
// vector, how many deliveries found the bit clear: the vCPU must take exactly that many.
import { parentPort, workerData } from 'node:worker_threads';

import { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';

interface DelivererData {
  state: SharedArrayBuffer;
  takes: SharedArrayBuffer;
  vectors: number[];
  rounds: number;
  handshake: boolean;
  seed: number;
  maxJitterUs: number;
  /** Chance of a random pause before each delivery. */
  jitterChance: number;
  handshakeTimeoutMs: number;
}

/** The takes table's progress word (layout: irq-taker.ts). */
const PROGRESS_WORD = 256;

const data = workerData as DelivererData;
const state = new VcpuIrqState(data.state);
const takes = new Int32Array(data.takes);
let rng = data.seed >>> 0 || 1;
function random(): number {
  rng ^= rng << 13;
  rng ^= rng >>> 17;
  rng ^= rng << 5;
  return (rng >>> 0) / 0x1_0000_0000;
}

const fresh: Record<number, number> = {};
const vectors = [...data.vectors];
let lost: number[] = [];
for (let round = 0; round < data.rounds && lost.length === 0; round++) {
  for (let i = vectors.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [vectors[i], vectors[j]] = [vectors[j]!, vectors[i]!];
  }
  for (const v of vectors) {
    if (data.maxJitterUs > 0 && random() < data.jitterChance) {
      const until = performance.now() + (random() * data.maxJitterUs) / 1000;
      while (performance.now() < until);
    }
    if (state.deliver(v)) fresh[v] = (fresh[v] ?? 0) + 1;
  }
  if (!data.handshake) continue;
  const deadline = performance.now() + data.handshakeTimeoutMs;
  for (;;) {
    const progress = Atomics.load(takes, PROGRESS_WORD);
    lost = vectors.filter((v) => Atomics.load(takes, v) < round + 1);
    if (lost.length === 0 || performance.now() > deadline) break;
    Atomics.wait(takes, PROGRESS_WORD, progress, 50);
  }
}
parentPort!.postMessage({ fresh, lost });
