// Run in a new process by test/vmm/snapshot/vm-snapshot.test.ts: restores a snapshot file, lets
// the restored machine run its workload to the end, and prints what it ended on (its RAM before
// it ran, each display's last frame) as one JSON line.
import { createHash } from 'node:crypto';

import { Vm } from '../../vmm/vm.js';
import { ramBytesOf } from '../../vmm/snapshot/machine.js';

const file = process.argv[2]!;
const vm = await Vm.restore(file, { start: 'paused', trace: false });
try {
  const ramSha256 = createHash('sha256').update(ramBytesOf(vm.memory, vm.config.ramBytes)).digest('hex');
  await vm.resume();
  await vm.whenGuestsDone();
  await vm.settle();
  const frames: string[] = [];
  for (const [i, d] of vm.config.devices.entries()) {
    for (let j = 0; j < d.displays.length; j++) {
      const f = (await vm.frame(i, j))!;
      frames.push(`${f.width}x${f.height} seq ${f.frameSeq} ${createHash('sha256').update(f.pixels).digest('hex')}`);
    }
  }
  console.log(JSON.stringify({ ramSha256, frames }));
} finally {
  await vm.stop();
}
