// `bench vulkan`: the vulkan engine backend's pixel store on the GPU the loader finds, against
// references measured in the same run on the same device (docs/vulkan.md): fill, blit and blend
// against a plain device-local buffer copy (the GPU's memory bandwidth as Vulkan's copy engine
// reaches it), readback against a plain device → host-visible copy (the host copy bandwidth), and
// each against the soft store's same operation on one CPU core; and what the asynchronous readback
// buys: a frame loop (draw, present, read back into a surface) with the readback waited for on the
// drawing thread against the same loop with it completed on the store's own thread (the overlap);
// and what the second drawing command buffer buys: that asynchronous loop on a store with one
// drawing command buffer (a switch the testing addon has and the engine does not) against two.
// Also the band workload's tile blits against a whole-frame blit of the same bytes (what narrow
// blits cost), readback against a plain device → host copy that the CPU then reads (the least a
// readback can do), and the memory types the readback and staging buffers got.
import { native } from '../../shared/native/addon.js';
import { nativeTesting } from '../native-testing.js';
import { machineInfo, type MachineInfo } from '../machine.js';
import { markdownTable } from '../report.js';

const SIZES = [
  { name: '1080p', width: 1920, height: 1080, iterations: 60 },
  { name: '2160p', width: 3840, height: 2160, iterations: 20 },
] as const;

export interface VulkanBenchResult {
  suite: 'vulkan';
  machine: MachineInfo;
  /** readbackMemory, uploadMemory: the memory property flags of the readback and staging buffers' memory types. */
  device: { name: string; type: string; readbackMemory?: string; uploadMemory?: string };
  /** GB/s of destination bytes, by size then path (fill, blit, blit_tiles, blend, readback, soft_*, copy_device, copy_to_host, copy_to_host_read; frames_waited, frames_async and frames_async_one_buffer: frame bytes). */
  gb_per_s: Record<string, Record<string, number>>;
  ratio_fill_vs_copy_device_1080p: number;
  ratio_blit_vs_copy_device_1080p: number;
  ratio_blend_vs_copy_device_1080p: number;
  ratio_readback_vs_copy_to_host_1080p: number;
  ratio_readback_vs_copy_to_host_2160p: number;
  /** Readback over a plain device → host copy followed by the CPU's copy out of it (1: the store adds nothing). */
  ratio_readback_vs_copy_to_host_read_1080p: number;
  ratio_readback_vs_copy_to_host_read_2160p: number;
  /** 256x256 tile blits over a whole-frame blit, same bytes (1: narrow blits cost no more per byte). */
  ratio_blit_tiles_vs_blit_1080p: number;
  ratio_blit_tiles_vs_blit_2160p: number;
  ratio_blend_vs_soft_1080p: number;
  ratio_readback_vs_soft_1080p: number;
  /** Frames per second with the asynchronous readback over the same loop waiting for it (> 1: the overlap pays). */
  ratio_frames_async_vs_waited_1080p: number;
  ratio_frames_async_vs_waited_2160p: number;
  /** Frames per second with two drawing command buffers (the engine's) over one, asynchronous readback both (> 1: recording the next frame while the GPU draws this one pays). */
  ratio_frames_two_vs_one_buffer_1080p: number;
  ratio_frames_two_vs_one_buffer_2160p: number;
}

export interface VulkanBenchOptions {
  scale: number;
  progress?: (what: string) => void;
}

/** Why this machine cannot run the suite (null: it can). */
export function vulkanBenchUnavailable(): string | null {
  const p = native.vulkanProbe();
  return p.available ? null : `vulkan: ${p.reason} (${p.detail})`;
}

export async function runVulkanBench(options: VulkanBenchOptions): Promise<VulkanBenchResult> {
  const gb: Record<string, Record<string, number>> = {};
  let device: VulkanBenchResult['device'] = { name: '', type: '' };
  for (const s of SIZES) {
    options.progress?.(`${s.name} store, soft store and plain copies`);
    // benchVulkan blocks this thread: let the progress line reach the terminal first.
    await new Promise((resolve) => setImmediate(resolve));
    const r = nativeTesting().benchVulkan(s.width, s.height, Math.max(2, Math.round(s.iterations * options.scale)));
    device = r.device;
    gb[s.name] = Object.fromEntries(Object.entries(r.rates).map(([k, v]) => [k, v / 1e9]));
  }
  const at = (size: string, path: string) => gb[size]?.[path] ?? Number.NaN;
  return {
    suite: 'vulkan',
    machine: machineInfo(),
    device,
    gb_per_s: gb,
    ratio_fill_vs_copy_device_1080p: at('1080p', 'fill') / at('1080p', 'copy_device'),
    ratio_blit_vs_copy_device_1080p: at('1080p', 'blit') / at('1080p', 'copy_device'),
    ratio_blend_vs_copy_device_1080p: at('1080p', 'blend') / at('1080p', 'copy_device'),
    ratio_readback_vs_copy_to_host_1080p: at('1080p', 'readback') / at('1080p', 'copy_to_host'),
    ratio_readback_vs_copy_to_host_2160p: at('2160p', 'readback') / at('2160p', 'copy_to_host'),
    ratio_readback_vs_copy_to_host_read_1080p: at('1080p', 'readback') / at('1080p', 'copy_to_host_read'),
    ratio_readback_vs_copy_to_host_read_2160p: at('2160p', 'readback') / at('2160p', 'copy_to_host_read'),
    ratio_blit_tiles_vs_blit_1080p: at('1080p', 'blit_tiles') / at('1080p', 'blit'),
    ratio_blit_tiles_vs_blit_2160p: at('2160p', 'blit_tiles') / at('2160p', 'blit'),
    ratio_blend_vs_soft_1080p: at('1080p', 'blend') / at('1080p', 'soft_blend'),
    ratio_readback_vs_soft_1080p: at('1080p', 'readback') / at('1080p', 'soft_readback'),
    ratio_frames_async_vs_waited_1080p: at('1080p', 'frames_async') / at('1080p', 'frames_waited'),
    ratio_frames_async_vs_waited_2160p: at('2160p', 'frames_async') / at('2160p', 'frames_waited'),
    ratio_frames_two_vs_one_buffer_1080p: at('1080p', 'frames_async') / at('1080p', 'frames_async_one_buffer'),
    ratio_frames_two_vs_one_buffer_2160p: at('2160p', 'frames_async') / at('2160p', 'frames_async_one_buffer'),
  };
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 3 : 1) : 'n/a');

export function vulkanTables(result: VulkanBenchResult): string {
  const paths = Object.keys(result.gb_per_s['1080p'] ?? {});
  const rates = markdownTable(
    ['path', ...Object.keys(result.gb_per_s).map((s) => `${s} GB/s`)],
    paths.map((p) => [p, ...Object.values(result.gb_per_s).map((r) => fmt(r[p] ?? Number.NaN))]),
  );
  const names = Object.keys(result).filter((k) => k.startsWith('ratio_')) as (keyof VulkanBenchResult)[];
  const ratios = markdownTable(
    ['ratio', 'value'],
    names.map((k) => [k, fmt(result[k] as number)]),
  );
  const memory = result.device.readbackMemory ? `; readback memory ${result.device.readbackMemory}, staging memory ${result.device.uploadMemory}` : '';
  return `device: ${result.device.name} (${result.device.type})${memory}\n\n${rates}\n\n${ratios}`;
}
