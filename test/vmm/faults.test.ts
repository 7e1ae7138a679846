// An actor that dies mid-run fails the whole VM with a typed error, promptly, and leaves no
// worker and no engine thread behind (engine threads waiting on the dead device are released).
import { readdirSync, readFileSync } from 'node:fs';

import { afterEach, describe, expect, it } from 'vitest';

import { ActorExitedError } from '../../actors/runtime/errors.js';
import { Vm } from '../../vmm/vm.js';

function engineThreads(): string[] {
  return readdirSync('/proc/self/task')
    .map((t) => {
      try {
        return readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
      } catch {
        return ''; // the thread ended while we looked
      }
    })
    .filter((name) => name.startsWith('pvg-'));
}

let vm: Vm | null = null;
afterEach(async () => {
  await vm?.stop();
  vm = null;
});

describe('actor failures stop the VM cleanly', () => {
  it.each(['device0', 'vcpu0', 'irq'])('killing %s mid-run: typed error within a second, nothing left running', async (victim) => {
    const before = engineThreads().length;
    vm = await Vm.create({ ramMiB: 32, devices: [{ displayModes: ['320x200@60'] }], workload: { name: 'mapchurn', frames: 1_000_000 } });
    expect(engineThreads().length).toBeGreaterThanOrEqual(before + 4); // mmio, display, 2 pool threads
    await new Promise((r) => setTimeout(r, 150)); // mid-run: callbacks, MMIO and interrupts in flight
    const failed = vm.whenFailed();
    const t0 = performance.now();
    await vm.supervisor.terminateForTest(victim);
    const failure = await failed;
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(failure).toBeInstanceOf(ActorExitedError);
    expect(failure.actor).toBe(victim);
    await vm.supervisor.joined();
    expect(vm.supervisor.liveActors()).toEqual([]);
    // The engine lived in the device actor's worker: its threads were stopped and joined.
    const deadline = performance.now() + 2000;
    while (engineThreads().length > before && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(engineThreads().length).toBe(before);
  });
});
