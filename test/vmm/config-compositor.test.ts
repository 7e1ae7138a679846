// The compositorShards option alone: its default, its check, and which devices each shard owns.
import { describe, expect, it } from 'vitest';

import { checkCompositorShards, defaultCompositorShards, shardDevices, shardOfDevice } from '../../vmm/config-compositor.js';
import { resolveConfig } from '../../vmm/config.js';

describe('compositor shards (vmm/config-compositor.ts)', () => {
  it('defaults to one shard per four displays, at most one per four cores, never more than devices, 1 under one lock', () => {
    expect(defaultCompositorShards(8, 8, true, 16)).toBe(2);
    expect(defaultCompositorShards(16, 16, true, 16)).toBe(4);
    expect(defaultCompositorShards(16, 16, true, 8)).toBe(2); // cores bound it
    expect(defaultCompositorShards(8, 8, true, 2)).toBe(1); // this 2-core box
    expect(defaultCompositorShards(32, 32, true, 64)).toBe(8); // displays bound it
    expect(defaultCompositorShards(2, 16, true, 64)).toBe(2); // devices bound it: a shard owns whole devices
    expect(defaultCompositorShards(1, 1, true, 64)).toBe(1);
    expect(defaultCompositorShards(4, 4, true, 16)).toBe(1);
    expect(defaultCompositorShards(5, 5, true, 16)).toBe(2);
    expect(defaultCompositorShards(8, 8, false, 16)).toBe(1); // qemu, record-lock: QEMU's one main loop
  });

  it('takes an explicit count in [1, devices] and refuses anything else, naming the field', () => {
    expect(checkCompositorShards(3, 4, 4, true)).toBe(3);
    expect(checkCompositorShards(2, 2, 2, false)).toBe(2); // asked for: allowed under the lock models too
    for (const bad of [0, 5, -1, 2.5, NaN, '2', null])
      expect(() => checkCompositorShards(bad, 4, 4, true), String(bad)).toThrow(
        expect.objectContaining({ name: 'VmConfigError', field: 'compositorShards', message: expect.stringContaining('[1, 4]') }),
      );
    expect(resolveConfig({ devices: [{}, {}, {}], compositorShards: 3 }).compositorShards).toBe(3);
    expect(resolveConfig({ devices: [{}, {}, {}], threading: 'qemu' }).compositorShards).toBe(1);
  });

  it('gives shards contiguous, disjoint runs of devices that cover every device, as even as they come', () => {
    for (let devices = 1; devices <= 16; devices++)
      for (let shards = 1; shards <= devices; shards++) {
        const runs = shardDevices(devices, shards);
        expect(runs[0]!.first).toBe(0);
        expect(runs.at(-1)!.end).toBe(devices);
        runs.forEach((r, s) => {
          expect(r.end - r.first, `${devices}/${shards} shard ${s}`).toBeGreaterThanOrEqual(Math.floor(devices / shards));
          expect(r.end - r.first).toBeLessThanOrEqual(Math.ceil(devices / shards));
          if (s > 0) expect(r.first).toBe(runs[s - 1]!.end);
        });
        const owner = shardOfDevice(devices, shards);
        expect(owner).toHaveLength(devices);
        for (let d = 1; d < devices; d++) expect(owner[d]! - owner[d - 1]!).toBeGreaterThanOrEqual(0);
      }
    expect(shardOfDevice(8, 4)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });
});
