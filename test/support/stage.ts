// A step of a test that must finish within a bound, named when it does not: a hang then fails
// with the step it hung in and the actors still alive, not with vitest's bare test timeout.
import type { Vm } from '../../vmm/vm.js';

export async function stage<T>(vm: Vm, name: string, step: Promise<T>, boundMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${name} did not finish within ${boundMs} ms; live actors: ${vm.supervisor.liveActors().join(', ') || 'none'}`)),
      boundMs,
    );
  });
  try {
    return await Promise.race([step, hung]);
  } finally {
    clearTimeout(timer);
  }
}
