// Which engine backend draws the pixels (docs/vulkan.md): 'soft' on the CPU, 'vulkan' on a GPU
// through the Vulkan loader found at run time, 'auto' the GPU where it can run, else soft.
import { ENGINE_BACKENDS, type EngineBackend } from '../abi/generated/binding-strings.js';
import { native } from '../shared/native/addon.js';
import type { VulkanProbe, VulkanRefusal } from '../shared/native/types.js';

/** The backends (abi/schema/binding-strings.ts), and 'auto'. */
export const ENGINE_CHOICES: readonly EngineChoice[] = Object.freeze([...ENGINE_BACKENDS, 'auto'] as const);
export type EngineChoice = EngineBackendName | 'auto';
export type EngineBackendName = EngineBackend;

/** 'vulkan' asked for where it cannot run: reason is the backend's (no-loader, no-device, ...). */
export class VulkanUnavailableError extends Error {
  readonly code = 'ERR_PVG_VULKAN';
  constructor(
    readonly reason: VulkanRefusal,
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
