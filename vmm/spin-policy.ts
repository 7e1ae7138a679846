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

/** Threads of one device's frame path that wait on a doorbell: vCPU, MMIO dispatcher, engine pool, its compositor's share. */
export const WAITING_THREADS_PER_DEVICE = 4;

/**
 * How many of a VM's threads may spin at once (shared/doorbell/spin-gate.ts). Each device brings
 * three or more spinners (device actor, MMIO dispatcher, vCPU); past the cores they only take
 * turns on the cores the working threads need. On 16 cores, bench scaling at 16 devices ran
 * 26 100 frames/s with no cap, 25 000 at 12, 34 600 at 8 and 44 500 at 4, the one-device figure
 * unchanged (docs/scaling.md): a quarter of the cores. Where the devices' waiting threads are
 * more than twice the cores, none spins: at 16 devices on 16 cores a cap of 0 ran 137 k frames/s
 * (124–157 k) against 114 k (100–121 k) at 4, 85 k at 8 and 66 k with none, while at 8 devices
 * 0 and 4 were within noise (85 k against 89 k) and at 1–4 devices the spins pay (4 devices:
 * 113 k against 64 k; docs/scaling.md, "The spin gate against the device count"). Below
 * MIN_CORES_FOR_LONG_SPIN no cap (undefined): there the spins are short and few.
 * PVG_SPIN_LIMIT overrides it for measurements (a number, or "none").
 */
export function spinLimit(cores = availableParallelism(), override = process.env.PVG_SPIN_LIMIT, devices = 1): number | undefined {
  if (override !== undefined && override !== '') {
    if (override === 'none') return undefined;
    const n = Number(override);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`PVG_SPIN_LIMIT must be an integer ≥ 0 or "none" (got "${override}")`);
    return n;
  }
  if (cores < MIN_CORES_FOR_LONG_SPIN) return undefined;
  return devices * WAITING_THREADS_PER_DEVICE > 2 * cores ? 0 : Math.floor(cores / 4);
}
