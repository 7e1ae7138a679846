// The far side of the reference round trips in bench/suites/mailbox.ts: answers a ping on a
// shared word by spinning, or by parking in a futex, or answers postMessage.
import { parentPort, workerData } from 'node:worker_threads';

import { native } from '../../shared/native/addon.js';

export const PING = 0;
export const PONG = 16; // another cache line
export const STOP = -1;

interface PartnerData {
  mode: 'spin' | 'futex' | 'post';
  words: Int32Array;
}

const data = workerData as PartnerData | null;
if (data?.mode === 'spin') {
  const w = data.words;
  let last = 0;
  for (;;) {
    let v: number;
    while ((v = Atomics.load(w, PING)) === last);
    if (v === STOP) break;
    last = v;
    Atomics.store(w, PONG, v);
  }
} else if (data?.mode === 'futex') {
  const w = data.words;
  let last = 0;
  for (;;) {
    let v: number;
    while ((v = Atomics.load(w, PING)) === last) native.futexWait(w, PING, last, -1);
    if (v === STOP) break;
    last = v;
    Atomics.store(w, PONG, v);
    native.futexWake(w, PONG, 1);
  }
} else if (data?.mode === 'post') {
  parentPort!.on('message', (m: number) => {
    if (m === STOP) parentPort!.close();
    else parentPort!.postMessage(m);
  });
}
