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

/**
 * How many of a VM's threads may spin at once (shared/doorbell/spin-gate.ts). Each device brings
 * three or more spinners (device actor, MMIO dispatcher, vCPU); past the cores they only take
 * turns on the cores the working threads need. On 16 cores, bench scaling at 16 devices ran
 * 26 100 frames/s with no cap, 25 000 at 12, 34 600 at 8 and 44 500 at 4, the one-device figure
 * unchanged (docs/scaling.md): a quarter of the cores. Below MIN_CORES_FOR_LONG_SPIN no cap
 * (undefined): there the spins are short and few. PVG_SPIN_LIMIT overrides it for
 * measurements (a number, or "none").
 */
export function spinLimit(cores = availableParallelism(), override = process.env.PVG_SPIN_LIMIT): number | undefined {
  if (override !== undefined && override !== '') {
    if (override === 'none') return undefined;
    const n = Number(override);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`PVG_SPIN_LIMIT must be an integer ≥ 0 or "none" (got "${override}")`);
    return n;
  }
  return cores >= MIN_CORES_FOR_LONG_SPIN ? Math.floor(cores / 4) : undefined;
}
