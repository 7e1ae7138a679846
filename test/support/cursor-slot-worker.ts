// A worker for the cursor-slot test: writes glyphs as fast as it can ('writer'), or reads the
// newest one over and over ('reader'), checking every glyph it gets is whole (one write's).
import { parentPort, workerData } from 'node:worker_threads';

import { CursorSlot } from '../../shared/display/cursor-slot.js';

interface Job {
  role: 'writer' | 'reader';
  slot: SharedArrayBuffer;
  iterations: number;
  seed: number;
  /** When given: say 'ready', then wait for the test to set word 0, so that all start together. */
  start?: SharedArrayBuffer;
}

const job = workerData as Job;
const slot = new CursorSlot(job.slot);
let rng = job.seed >>> 0 || 1;
const next = () => ((rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0), rng);

if (job.start) {
  parentPort!.postMessage({ ready: true });
  Atomics.wait(new Int32Array(job.start), 0, 0);
}

/** Glyph n: its size, hotspot and every pixel derive from n, so a mix of two writes shows. */
export function glyphOf(n: number) {
  const width = 1 + (n % 64);
  const height = 1 + ((n * 7) % 64);
  return { width, height, hotX: n % width, hotY: (n >> 3) % height, pixel: (0x80000000 | n) >>> 0 };
}

if (job.role === 'writer') {
  for (let n = 1; n <= job.iterations; n++) {
    const g = glyphOf(n);
    const bytes = new Uint8Array(new Uint32Array(g.width * g.height).fill(g.pixel).buffer);
    slot.write(g.width, g.height, g.hotX, g.hotY, bytes);
    if ((next() & 15) === 0) for (let spin = next() & 255; spin > 0; spin--); // vary the pace
  }
  parentPort!.postMessage({ done: true });
} else {
  let whole = 0;
  let torn = 0;
  let bad = 0;
  for (let i = 0; i < job.iterations; i++) {
    const g = slot.read(slot.latest());
    if (!g) {
      torn++;
      continue;
    }
    const n = g.argb[0]! & 0x7fffffff;
    const want = glyphOf(n);
    const ok =
      g.width === want.width &&
      g.height === want.height &&
      g.hotX === want.hotX &&
      g.hotY === want.hotY &&
      g.argb.length === want.width * want.height &&
      g.argb.every((p) => p === want.pixel);
    if (ok || n === 0) whole++;
    else bad++;
  }
  parentPort!.postMessage({ whole, torn, bad });
}
