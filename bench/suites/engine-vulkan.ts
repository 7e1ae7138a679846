// `bench engine --engine vulkan`: the render rates (whole-frame fill, copy blit, source-over blit)
// drawn through the vulkan backend's pixel store and through the soft one, in the same native
// call (the testing addon's benchVulkan with drawOnly: same source image, same frame, each timed
// span ending when the store has finished). The soft side is the soft store, not benchRender's
// bare renderer: the ratio then compares the two behind the same interface on the same input.
import { nativeTesting } from '../native-testing.js';
import { markdownTable } from '../report.js';
import { median } from '../spread.js';

export const STORE_KINDS = ['fill', 'blit', 'blend'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

const WHAT: Record<StoreKind, string> = {
  fill: 'fill of the whole frame',
  blit: 'copy blit of a frame-sized image (staged through host memory on vulkan)',
  blend: 'source-over blit, per-pixel alpha onto an opaque frame (a compute shader on vulkan)',
};

export interface StoreRate {
  description: string;
  kind: StoreKind;
  width: number;
  height: number;
  /** Frames drawn per round on each store, rounds run (each rate is the median round's). */
  iterations: number;
  rounds: number;
  vulkan_gb_per_s: number;
  soft_gb_per_s: number;
}

export interface VulkanStoreRates {
  device: { name: string; type: string };
  /** By `<kind>_<res>`: fill_1080p, blit_1080p, blend_1080p, then 2160p. */
  stores: Record<string, StoreRate>;
  /** vulkan GB/s over soft GB/s, per `<kind>_<res>`. */
  ratios: Record<`ratio_vulkan_vs_soft_${string}`, number>;
}

export interface StoreSize {
  name: string;
  width: number;
  height: number;
  iterations: number;
}

/** Each size `rounds` times, both stores per call; throws with the refusal where Vulkan cannot run. */
export async function vulkanStoreRates(sizes: readonly StoreSize[], rounds: number, step: (what: string) => void): Promise<VulkanStoreRates> {
  let device = { name: '', type: '' };
  const stores: Record<string, StoreRate> = {};
  const ratios: Record<`ratio_vulkan_vs_soft_${string}`, number> = {};
  for (const s of sizes) {
    step(`vulkan and soft stores ${s.width}x${s.height}`);
    const gb: Record<string, number[]> = {};
    for (let r = 0; r < rounds; r++) {
      // benchVulkan blocks this thread: let the progress line reach the terminal first.
      await new Promise((resolve) => setImmediate(resolve));
      const out = nativeTesting().benchVulkan(s.width, s.height, s.iterations, { drawOnly: true });
      device = { name: out.device.name, type: out.device.type };
      for (const [path, v] of Object.entries(out.rates)) (gb[path] ??= []).push(v / 1e9);
    }
    for (const kind of STORE_KINDS) {
      const vulkan = median(gb[kind] ?? [Number.NaN]);
      const soft = median(gb[`soft_${kind}`] ?? [Number.NaN]);
      const key = `${kind}_${s.name}`;
      stores[key] = {
        description: `${WHAT[kind]}, ${s.width}x${s.height}`,
        kind,
        width: s.width,
        height: s.height,
        iterations: s.iterations,
        rounds,
        vulkan_gb_per_s: vulkan,
        soft_gb_per_s: soft,
      };
      ratios[`ratio_vulkan_vs_soft_${key}`] = vulkan / soft;
    }
  }
  return { device, stores, ratios };
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** The stores' table: both rates and their ratio per path (the result's, so a --repeat median). */
export function vulkanStoreTable(v: Omit<VulkanStoreRates, 'ratios'>, ratio: (path: string) => number | undefined): string {
  return `Through the stores (vulkan on ${v.device.name} (${v.device.type}) and soft, same call):\n\n${markdownTable(
    ['path', 'vulkan GB/s', 'soft store GB/s', 'vulkan ÷ soft (ratio_vulkan_vs_soft_<path>)', 'frames × rounds', 'what'],
    Object.entries(v.stores).map(([name, s]) => [
      name,
      fmt(s.vulkan_gb_per_s),
      fmt(s.soft_gb_per_s),
      fmt(ratio(name) ?? Number.NaN),
      `${s.iterations} × ${s.rounds}`,
      s.description,
    ]),
  )}`;
}
