// The `compositorShards` option: how many compositor actors share the VM's displays
// (docs/scaling.md, "Compositor shards"). A shard owns whole devices, a contiguous run of them,
// so each engine posts its display events into one mailbox, as it always did: at most one shard
// per device. Checked on the main thread before anything starts.
import { availableParallelism } from 'node:os';

import { VmConfigError } from './config-error.js';

/**
 * One shard per this many displays by default. On 16 cores (docs/scaling.md, "Compositor shards
 * measured at every count") one compositor saturated at 8 displays (p50 1.7 ms new frame → shown)
 * and 4 shards at 8 displays each parked after nearly every frame (179 µs of CPU a frame against
 * 107, a third fewer frames); 2 shards at 8 and 4 at 16 kept the queue short at the least cost.
 */
export const DISPLAYS_PER_SHARD = 4;
/** Cores per default shard: the rest of a frame's work (vCPU, engine threads) needs cores too. */
export const CORES_PER_SHARD = 4;

/**
 * The default: one shard per DISPLAYS_PER_SHARD displays, at most one per CORES_PER_SHARD cores,
 * never more than devices; 1 under the models of one lock (qemu, record-lock), whose display
 * work a single thread does (QEMU's main loop).
 */
export function defaultCompositorShards(devices: number, displays: number, actorModel: boolean, cores = availableParallelism()): number {
  if (!actorModel) return 1;
  return Math.max(1, Math.min(devices, Math.ceil(displays / DISPLAYS_PER_SHARD), Math.floor(cores / CORES_PER_SHARD)));
}

/** The option checked: an integer in [1, devices] (a shard owns whole devices), or the default. */
export function checkCompositorShards(value: unknown, devices: number, displays: number, actorModel: boolean): number {
  if (value === undefined) return defaultCompositorShards(devices, displays, actorModel);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > devices)
    throw new VmConfigError(
      'compositorShards',
      `must be an integer in [1, ${devices}] (a shard owns whole devices; the VM has ${devices}), got ${JSON.stringify(value)}`,
    );
  return value;
}

/**
 * Which devices each shard owns: shard s gets devices [first, end), contiguous runs as even as
 * they come, so the shards' displays in shard order are the VM's displays in configuration order.
 */
export function shardDevices(devices: number, shards: number): { first: number; end: number }[] {
  return Array.from({ length: shards }, (_, s) => ({ first: Math.floor((s * devices) / shards), end: Math.floor(((s + 1) * devices) / shards) }));
}

/** The shard that owns each device. */
export function shardOfDevice(devices: number, shards: number): number[] {
  const owner: number[] = [];
  shardDevices(devices, shards).forEach((r, s) => {
    for (let d = r.first; d < r.end; d++) owner[d] = s;
  });
  return owner;
}
