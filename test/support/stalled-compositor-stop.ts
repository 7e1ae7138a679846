// For test/vmm/faults.test.ts: under the actor model an engine posts its display events into the
// compositor's mailbox itself. A compositor that hangs lets that mailbox fill, and the engine
// thread posting into it blocks (docs/design.md, the wait-for graph). vm.stop() must still
// return: the supervisor closes a hung actor's mailbox before terminating it, which releases the
// engine thread. Prints how long the stop took; never calls process.exit.
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { createTestVm } from './test-vm.js';
import { eventually } from './spawn.js';

// Where the time went, should the test's bound on this process ever be reached.
const started = performance.now();
const phase = (what: string) => console.error(`${(performance.now() - started).toFixed(0)} ms: ${what}`);

// It hangs after 200 records: well after Vm.create's own calls into it have been answered.
const vm = await createTestVm({
  ramMiB: 32,
  devices: [{ displayModes: ['320x200@60'] }],
  workload: { name: 'present', frames: 1_000_000, seed: 3 },
  threading: 'actor',
  testFaults: { compositor: { stall: { afterRecords: 200, ms: 60_000 } } },
});
phase('VM created');
const compositor = (vm.supervisor as unknown as { mailboxes: Mailbox[] }).mailboxes.find((m) => m.name === 'compositor')!;
await eventually(
  () => {
    const s = compositor.stats();
    return s.depth === s.capacity && s.producersWaiting >= 1;
  },
  45_000,
  'the compositor mailbox to fill and an engine thread to be held back',
);
phase('compositor mailbox full, an engine thread held back; stopping');
const t0 = performance.now();
await vm.stop();
const stoppedMs = performance.now() - t0;
phase('stopped');
console.log(JSON.stringify({ stoppedMs, live: vm.supervisor.liveActors() }));
