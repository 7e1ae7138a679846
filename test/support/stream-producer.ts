// A JS producer thread for the mailbox tests: posts `count` stream records (producerId, seq,
// checksum) with random pauses, then reports how long it waited on back-pressure.
import { parentPort, workerData } from 'node:worker_threads';

import { Rng } from '../../guest/ts/rng.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { EchoKind, streamChecksum } from '../../bench/workers/echo/messages.js';

interface ProducerData {
  mailbox: SharedArrayBuffer;
  producerId: number;
  count: number;
  seed: number;
  maxJitterUs: number;
}

const data = workerData as ProducerData;
const mailbox = new Mailbox(data.mailbox, 'stream');
const rng = new Rng(data.seed);
const random = () => rng.next() / 0x1_0000_0000;

let errors = 0;
for (let seq = 0; seq < data.count; seq++) {
  if (data.maxJitterUs > 0 && random() < 0.05) {
    const until = performance.now() + (random() * data.maxJitterUs) / 1000;
    while (performance.now() < until);
  }
  try {
    mailbox.post(EchoKind.Stream, data.producerId, seq, streamChecksum(data.producerId, seq));
  } catch {
    errors++;
    break;
  }
}
parentPort!.postMessage({ errors });
