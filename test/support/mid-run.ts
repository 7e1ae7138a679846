// "Mid-run" by a signal rather than by a guess at how long start-up takes: every vCPU of the VM
// has finished some frames of its workload (so MMIO, interrupts and engine callbacks have all
// flowed) and is still running.
import type { Vm } from '../../vmm/vm.js';

export async function midRun(vm: Vm, frames = 2, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { vcpus } = await vm.stats();
    if (vcpus.length > 0 && vcpus.every((v) => v.state === 'running' && (v.guest?.framesDone ?? 0) >= frames)) return;
    if (performance.now() > deadline)
      throw new Error(`the guests were not mid-run after ${timeoutMs} ms: ${JSON.stringify(vcpus.map((v) => [v.state, v.guest?.framesDone]))}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
