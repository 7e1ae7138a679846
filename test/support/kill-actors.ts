// For test/vmm/faults.test.ts: in one process, boots a VM per victim, kills that actor mid-run,
// waits for the typed failure, stops the VM, and prints one JSON line per victim. It never calls
// process.exit: the test checks that the process ends by itself, i.e. that no thread (worker,
// engine thread, vCPU parked in a futex) outlived the failed VMs.
import { Vm } from '../../vmm/vm.js';
import { terminateActor } from './test-vm.js';
import { midRun } from './mid-run.js';

const victims = process.argv.slice(2);
for (const victim of victims) {
  const vm = await Vm.create({
    ramMiB: 32,
    devices: [{ displayModes: ['320x200@60'] }, { variant: 'pci', displayModes: ['320x200@60'] }],
    workload: { name: 'mapchurn', frames: 1_000_000 },
  });
  await midRun(vm);
  const failed = vm.whenFailed();
  const t0 = performance.now();
  await terminateActor(vm, victim);
  const failure = await failed;
  const failedMs = performance.now() - t0;
  await vm.stop();
  await vm.supervisor.joined();
  console.log(
    JSON.stringify({ victim, error: failure.name, actor: failure.actor, failedMs, stoppedMs: performance.now() - t0, live: vm.supervisor.liveActors() }),
  );
}
