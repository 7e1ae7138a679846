// Run in a new process by test/vmm/snapshot/vm-snapshot*.test.ts: restores each snapshot file
// named on the command line in turn, lets the restored machine run its workload to the end, and
// prints what it ended on (its RAM as restored, each display's last frame and cursor, each
// engine's presents) as one JSON line per file.
import { createHash } from 'node:crypto';

import { Vm } from '../../vmm/vm.js';
import { ramBytesOf } from '../../vmm/snapshot/machine.js';
import { frameSummaries } from './snapshot-frames.js';

for (const file of process.argv.slice(2)) {
  const vm = await Vm.restore(file, { start: 'paused', trace: false });
  try {
    const ramSha256 = createHash('sha256').update(ramBytesOf(vm.memory, vm.config.ramBytes)).digest('hex');
    await vm.resume();
    const frames = await frameSummaries(vm);
    // What the engines presented in this process: only the rest of the workload if it went on where it was saved.
    const presents = (await vm.stats()).devices.map((d) => d.engine?.presents ?? 0);
    console.log(JSON.stringify({ ramSha256, frames, presents }));
  } finally {
    await vm.stop();
  }
}
