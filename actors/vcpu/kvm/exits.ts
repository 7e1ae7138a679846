// What ended a KVM_RUN and the layout of the exit-info array the addon fills (both generated from
// abi/schema/kvm-exits.ts with the C++ side's), plus per-kind counters for stats and the CLI summary.
import { ExitKind } from '../../../abi/generated/kvm-exits.js';

export { EXIT_INFO_LENGTH, ExitInfo, ExitKind } from '../../../abi/generated/kvm-exits.js';

/** Each ExitKind's name in stats and the CLI summary, by value. */
export const EXIT_NAMES = [
  '',
  'mmio-read',
  'mmio-write',
  'io-in',
  'io-out',
  'hlt',
  'irq-window',
  'interrupted',
  'shutdown',
  'fail-entry',
  'internal-error',
  'other',
] as const;

export interface KvmExitStats {
  /** Exits by kind (names as EXIT_NAMES). */
  byKind: Record<string, number>;
  total: number;
  /** Interrupts injected into the guest. */
  injections: number;
}

export class ExitCounter {
  private readonly counts = new Float64Array(EXIT_NAMES.length);
  injections = 0;

  count(kind: number): void {
    this.counts[kind > 0 && kind < EXIT_NAMES.length ? kind : ExitKind.Other]!++;
  }

  stats(): KvmExitStats {
    const byKind: Record<string, number> = {};
    let total = 0;
    for (let k = 1; k < EXIT_NAMES.length; k++) {
      byKind[EXIT_NAMES[k]!] = this.counts[k]!;
      total += this.counts[k]!;
    }
    return { byKind, total, injections: this.injections };
  }
}
