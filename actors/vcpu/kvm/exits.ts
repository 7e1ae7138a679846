// What ended a KVM_RUN (numbers from native/src/kvm/kvm_vcpu.h ExitKind) and the layout of the
// exit-info array the addon fills, plus per-kind counters for stats and the CLI summary.
export const ExitKind = {
  MmioRead: 1,
  MmioWrite: 2,
  IoIn: 3,
  IoOut: 4,
  Halt: 5,
  InterruptWindow: 6,
  Interrupted: 7,
  Shutdown: 8,
  FailEntry: 9,
  InternalError: 10,
  Other: 11,
} as const;

/** Slots of the Float64Array(8) the addon writes each exit's details into. */
export const ExitInfo = { kind: 0, address: 1, size: 2, valueLo: 3, valueHi: 4, count: 5, detail: 6, injections: 7 } as const;

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
