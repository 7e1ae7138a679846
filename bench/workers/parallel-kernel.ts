// One thread of bench/parallel-reference.ts: runs a fixed kernel over and over, counting its
// iterations only while the parent's phase word says "measure", and reports the count when told
// to stop. No VM, no mailbox, no futex: what N of these manage together against one alone is how
// far this machine itself lets N busy threads scale.
import { workerData } from 'node:worker_threads';

import { ControlWord, Phase, countSlot, type KernelName, type ParallelKernelData } from '../parallel-reference.js';

/** The iteration of each kernel; each returns something that depends on its work, so none is dead code. */
function kernel(name: KernelName): () => number {
  if (name === 'alu') {
    // Integer arithmetic on 16 KiB: stays in the core's first-level cache.
    const words = new Int32Array(4096);
    let x = 0x9e3779b9 | 0;
    return () => {
      for (let i = 0; i < words.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        words[i] = (words[i]! + x) | 0;
      }
      return words[x & 4095]!;
    };
  }
  // A 640x480 frame copied into another: the memory traffic of a full-frame copy.
  const src = new Uint32Array(640 * 480).fill(0x11223344);
  const dst = new Uint32Array(640 * 480);
  let n = 0;
  return () => {
    src[n++ % src.length] = n;
    dst.set(src);
    return dst[n % dst.length]!;
  };
}

const data = workerData as ParallelKernelData;
const control = new Int32Array(data.control);
const step = kernel(data.kernel);
let sink = 0;
let counted = 0;
Atomics.add(control, ControlWord.ready, 1);
Atomics.notify(control, ControlWord.ready);
for (;;) {
  const phase = Atomics.load(control, ControlWord.phase);
  if (phase === Phase.stop) break;
  if (phase === Phase.wait) {
    Atomics.wait(control, ControlWord.phase, Phase.wait);
    continue;
  }
  sink ^= step();
  if (phase === Phase.measure) counted++;
}
Atomics.store(control, countSlot(data.index), counted);
// The sink keeps the kernel's result alive; its low bit cannot change the count's meaning.
Atomics.store(control, countSlot(data.index) + 1, sink & 1);
