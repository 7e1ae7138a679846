// Starts a VM with two actors, exchanges some records, shuts it down, and does NOT call
// process.exit: the test checks that the process ends by itself (nothing left running).
import { Supervisor } from '../../actors/runtime/supervisor.js';
import { EchoKind } from '../../bench/workers/echo/messages.js';

const vm = new Supervisor();
const a = await vm.spawn({ name: 'a', module: 'bench/workers/echo/worker', mailbox: vm.createMailbox('a', { capacity: 16 }) });
const b = await vm.spawn({ name: 'b', module: 'bench/workers/echo/worker', mailbox: vm.createMailbox('b', { capacity: 16 }), spinBudget: 0 });
for (let i = 0; i < 100; i++) {
  a.mailbox.post(EchoKind.Stream, 0, i, 0);
  b.mailbox.post(EchoKind.Stream, 0, i, 0);
}
await vm.shutdown();
console.log(`stopped; live actors: ${vm.liveActors().length}`);
