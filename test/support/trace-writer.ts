// A JS thread that writes `count` trace events as fast as it can into its ring, each carrying a
// checksum of its own fields, so a concurrent reader can prove it never sees a torn event.
import { parentPort, workerData } from 'node:worker_threads';

import { TracePhase } from '../../shared/trace/layout.js';
import { TraceRingWriter } from '../../shared/trace/ring.js';

interface WriterData {
  set: SharedArrayBuffer;
  ring: number;
  count: number;
}

export function traceChecksum(n: number, ts: number): number {
  return (n * 31 + Math.floor(ts)) % 1_000_003;
}

const data = workerData as WriterData | null;
if (data) {
  const writer = new TraceRingWriter(data.set, data.ring, 1000 + data.ring);
  for (let n = 0; n < data.count; n++) {
    const ts = n * 1.5;
    writer.write(63, TracePhase.Instant, ts, 0, n, traceChecksum(n, ts), data.ring);
  }
  parentPort!.postMessage('done');
}
