// A child process for `bench preempt` and test/vmm/preempt.test.ts: a VM whose device is busy
// with one ring of valid, expensive work (bench/workers/busy-ring.ts), then process.exit(0) while
// the ring runs (docs/hardening.md, finding 14: the exit used to wait for the whole ring).
//   node dist/bench/workers/busy-ring-exit.js [WxH] [busy|idle]
// Prints one JSON line ({ queued }) just before it exits; the parent times the exit from there.
// `idle` starts the ring but queues nothing: the reference exit.
import { BusyRingVcpu } from '../busy-ring.js';
import { Vm } from '../../vmm/vm.js';

const [width, height] = (process.argv[2] ?? '1920x1080').split('x').map(Number) as [number, number];
const busy = (process.argv[3] ?? 'busy') === 'busy';
const ramMiB = Math.max(64, Math.ceil((width * height * 4) / 2 ** 20) + 16);
const vm = await Vm.create({ ramMiB, vcpus: 0, externalVcpus: 1, workload: null, devices: [{ displayModes: [`${width}x${height}@60`] }] });
const guest = new BusyRingVcpu(vm, 0, { width, height });
await guest.send({ op: 'setup' });
let queued = 0;
if (busy) {
  queued = (await guest.send({ op: 'fill' })).queued;
  await guest.send({ op: 'ring' });
}
console.log(JSON.stringify({ queued }));
process.exit(0);
