// Which engine backend draws the pixels (docs/vulkan.md): 'soft' on the CPU, 'vulkan' on a GPU
// through the Vulkan loader found at run time, 'auto' the GPU where it can run, else soft.
import { native } from '../shared/native/addon.js';
import type { VulkanProbe } from '../shared/native/types.js';

export const ENGINE_CHOICES = ['soft', 'vulkan', 'auto'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];
export type EngineBackendName = 'soft' | 'vulkan';

/** 'vulkan' asked for where it cannot run: reason is the backend's (no-loader, no-device, ...). */
export class VulkanUnavailableError extends Error {
  readonly code = 'ERR_PVG_VULKAN';
  constructor(
    readonly reason: string,
    readonly detail: string,
  ) {
    super(`--engine vulkan: ${reason} (${detail})`);
    this.name = 'VulkanUnavailableError';
  }
}

/** The backend for a choice, and why 'auto' fell back to soft (null when it did not). */
export function resolveEngine(choice: EngineChoice, probe: () => VulkanProbe = () => native.vulkanProbe()): { engine: EngineBackendName; why: string | null } {
  if (choice === 'soft') return { engine: 'soft', why: null };
  const p = probe();
  if (p.available) return { engine: 'vulkan', why: null };
  if (choice === 'vulkan') throw new VulkanUnavailableError(p.reason, p.detail);
  return { engine: 'soft', why: `vulkan: ${p.reason} (${p.detail})` };
}
