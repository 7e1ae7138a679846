// For test/vmm/faults.test.ts (the known hang in docs/hardening.md): a device actor that hangs
// with its mailbox full, and its engine's MMIO thread blocked posting into that mailbox (an
// encode answer: under the qemu model display events go through the device actor; under the
// actor model they go to the compositor, stalled-compositor-stop.ts). Then, by the argument:
// - stop (the default): stops the VM and prints how long that took;
// - crash: terminates the device actor's worker as a crash would, and prints how long until the
//   VM failed and every actor was gone. The worker's teardown joins the engine's threads, and
//   nothing closes a crashed actor's mailbox before its exit: the engine stopping must release
//   the blocked thread by itself.
// Never calls process.exit.
import { InEncode } from '../../actors/device/engine-records.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { createTestVm, terminateActor } from './test-vm.js';
import type { FloodReport } from './mmio-flood.js';
import { eventually, nextMessage, startWorker } from './spawn.js';

const vm = await createTestVm({
  ramMiB: 32,
  vcpus: 1,
  externalVcpus: 1,
  devices: [{ displayModes: ['320x200@60'] }],
  workload: null,
  threading: 'qemu',
  testFaults: { devices: { 0: { stall: { afterMmio: 1, ms: 60_000 } } } },
});
const ext = vm.externalVcpu(0);
const mailbox = new Mailbox(ext.devices[0]!.mailbox, 'device0');
// Records already queued come before the flood's: the device actor stalls (for good) once it has
// taken one record beyond these, the flood's first MMIO.
const beforeFlood = mailbox.stats().enqueued;
const flood = startWorker('test/support/mmio-flood', { mailbox: ext.devices[0]!.mailbox, vcpu: ext.vcpu, count: 5000 });
const report = nextMessage<FloodReport>(flood, (m) => m.type === 'done');
// Generous bounds: the stalled actor busy-waits on one of a 2-core CI machine's cores.
// Stalled, full and the flood held back: a flood seen waiting before the actor took its first
// record is not enough, as that take frees a slot the engine's post below could claim.
await eventually(
  () => {
    const s = mailbox.stats();
    return s.dequeued > beforeFlood && s.depth === s.capacity && s.producersWaiting >= 1;
  },
  45_000,
  'the device to stall and the flood to be held back',
);
// An encode request for a display that does not exist: the engine's MMIO thread answers it at
// once, into the device actor's (full) mailbox, and blocks there.
const inbound = (vm.supervisor as unknown as { mailboxes: Mailbox[] }).mailboxes.find((m) => m.name === 'device0-engine')!;
InEncode.post(inbound, 99, 0, 0, 0, 0, 1, 1);
await eventually(() => mailbox.stats().producersWaiting >= 2, 45_000, 'the engine thread to be held back');
const t0 = performance.now();
if (process.argv[2] === 'crash') {
  const failed = vm.whenFailed();
  await terminateActor(vm, 'device0');
  const failure = await failed;
  await vm.supervisor.joined();
  const crashedMs = performance.now() - t0;
  const r = await report;
  console.log(JSON.stringify({ crashedMs, failure: failure.name, flood: r.error, live: vm.supervisor.liveActors() }));
} else {
  await vm.stop();
  const stoppedMs = performance.now() - t0;
  const r = await report;
  console.log(JSON.stringify({ stoppedMs, flood: r.error, live: vm.supervisor.liveActors() }));
}
