// For test/shared/native/terminate-while-throwing.test.ts: starts workers that loop on a native
// call that throws (throwing-native-loop.ts) and terminates each at a random moment. Prints
// { terminated } once every worker is gone; a throw the addon cannot hand to a terminating
// environment would instead abort this process. Never calls process.exit.
import { setTimeout as sleep } from 'node:timers/promises';

import { nextMessage, startWorker } from './spawn.js';

const rounds = Number(process.argv[2] ?? 40);
let terminated = 0;
for (let i = 0; i < rounds; i++) {
  const worker = startWorker('test/support/throwing-native-loop', null);
  await nextMessage(worker, (m) => m === 'started');
  await sleep(Math.random() * 3);
  await worker.terminate();
  terminated++;
}
console.log(JSON.stringify({ terminated }));
