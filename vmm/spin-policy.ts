// How long the device side spins before it parks. The device actor and its engine's MMIO
// dispatcher spin a while on an empty mailbox, then park (docs/doorbells.md). A KVM vCPU's MMIO
// accesses come one exit apart (16–25 µs on the machines measured, docs/kvm.md), longer than the
// usual spin, so both parked on nearly every access and each access paid two wake-ups
// (device reads 30.5 µs against 23.3 µs spinning through the gap, 16-core machine). Spinning
// through an exit gap pays only with a core to spare for each spinner: on small machines it
// would take the vCPU's own core, so they keep the short spin.
import { availableParallelism } from 'node:os';

import type { CpuBackendName } from '../actors/vcpu/kvm/availability.js';

/** The usual spin: a few µs of checks. */
export const DEFAULT_DEVICE_SPIN = 2000;
/** Enough checks to cover one KVM exit round trip. */
export const KVM_DEVICE_SPIN = 20_000;
/** Cores below which long spins cost more than the wake-ups they save. */
export const MIN_CORES_FOR_LONG_SPIN = 8;

export function deviceSpin(cpu: CpuBackendName, cores = availableParallelism()): number {
  return cpu === 'kvm' && cores >= MIN_CORES_FOR_LONG_SPIN ? KVM_DEVICE_SPIN : DEFAULT_DEVICE_SPIN;
}
