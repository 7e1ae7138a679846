// Typed failures of vm.pause() and vm.reset() (docs/lifecycle.md).
import { VmFailure } from '../actors/runtime/errors.js';

/**
 * A vCPU or device did not reach a step boundary or quiescence in time: the VM is failed (a
 * machine half paused or half reset is in no state anyone can reason about), and this names what
 * was still in flight.
 */
export class LifecycleTimeoutError extends VmFailure {
  override readonly name = 'LifecycleTimeoutError';
  constructor(
    readonly during: 'pause' | 'reset',
    readonly busy: readonly string[],
  ) {
    super(`vm.${during}() timed out; still in flight: ${busy.length > 0 ? busy.join(', ') : 'unknown'}`, 'vm');
  }
}

/** pause() or reset() on a VM they cannot cover (an embedder's own vCPU loop), or after stop. */
export class LifecycleRefusedError extends Error {
  override readonly name = 'LifecycleRefusedError';
}
