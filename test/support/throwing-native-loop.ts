// For test/shared/native/terminate-while-throwing.test.ts: a worker that calls the addon in a
// loop with an argument it refuses, so that nearly every moment is inside a native call that
// throws. Terminated from outside at a random moment, the throw lands on a terminating
// environment sooner or later.
import { parentPort } from 'node:worker_threads';

import { native } from '../../shared/native/addon.js';

const notWords = 123 as unknown as Int32Array;
parentPort!.postMessage('started');
for (;;) {
  try {
    native.ringEventLoop(notWords);
  } catch {
    // refused, as intended: go round again
  }
}
