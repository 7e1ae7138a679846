// bench engine, run tiny: with --engine vulkan the render rates through the vulkan store and the
// soft store, measured in the same run, and ratio_vulkan_vs_soft_<kind>_<res> finite for each;
// with --engine soft the result's shape of before the option. No figure is judged here.
import { describe, expect, it } from 'vitest';

import { engineTables, runEngineBench } from '../../../bench/suites/engine.js';
import { native } from '../../../shared/native/addon.js';

const probe = native.vulkanProbe();
const KEYS = ['fill_1080p', 'blit_1080p', 'blend_1080p', 'fill_2160p', 'blit_2160p', 'blend_2160p'];

describe.skipIf(!probe.available)(`bench engine --engine vulkan, tiny${probe.available ? '' : ` (skipped: vulkan ${probe.reason}: ${probe.detail})`}`, () => {
  it('measures fill, blit and blend through both stores at 1080p and 2160p, with a ratio each', async () => {
    const r = await runEngineBench({ scale: 0.02, engine: 'vulkan' });
    expect(r.engine).toBe('vulkan');
    expect(r.vulkan?.device.name).toBe(probe.available ? probe.device.name : '');
    expect(Object.keys(r.vulkan!.stores)).toEqual(KEYS);
    for (const key of KEYS) {
      const s = r.vulkan!.stores[key]!;
      for (const v of [s.vulkan_gb_per_s, s.soft_gb_per_s]) expect(Number.isFinite(v) && v > 0, `${key}: ${v}`).toBe(true);
      expect(r[`ratio_vulkan_vs_soft_${key}`]).toBeCloseTo(s.vulkan_gb_per_s / s.soft_gb_per_s, 10);
    }
    // The soft renderer's own rates and the memcpy reference are still there.
    expect(Number.isFinite(r.render.memcpy_1080p!.gb_per_s)).toBe(true);
    const table = engineTables(r);
    for (const key of KEYS) expect(table).toMatch(new RegExp(`\\| ${key} +\\| [\\d.]+ +\\| [\\d.]+ +\\| [\\d.]+ +\\|`));
  }, 120_000);
});

describe('bench engine --engine soft, tiny', () => {
  it('has the shape of a run without --engine', async () => {
    const r = await runEngineBench({ scale: 0.02, engine: 'soft' });
    expect(Object.keys(r)).toEqual([
      'suite',
      'machine',
      'render',
      'paths',
      'copy',
      'ratio_native_copy_vs_set_damage',
      'ratio_native_copy_vs_set_1080p',
      'ratio_blit_vs_memcpy',
      'ratio_fill_vs_memcpy',
      'ratio_blend_vs_memcpy',
      'ratio_blit_vs_memcpy_2160p',
      'targets',
    ]);
    expect(engineTables(r)).not.toContain('Through the stores');
    // The compositor's damage copy, both ways, and each ratio from the same run's two rates.
    expect(Object.keys(r.copy)).toEqual(['set_damage', 'native_damage', 'set_1080p', 'native_1080p']);
    for (const c of ['damage', '1080p']) {
      const [set, mem] = [r.copy[`set_${c}`]!.gb_per_s, r.copy[`native_${c}`]!.gb_per_s];
      expect(Number.isFinite(set) && set > 0 && Number.isFinite(mem) && mem > 0, `${c}: ${set} ${mem}`).toBe(true);
      expect(r[`ratio_native_copy_vs_set_${c}` as 'ratio_native_copy_vs_set_damage']).toBeCloseTo(mem / set, 10);
    }
  }, 120_000);
});
