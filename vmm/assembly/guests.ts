// The built-in guest each vCPU runs: vCPU v drives device v, in its own slice of guest RAM.
import type { GuestProgramConfig } from '../../guest/ts/program.js';
import { RAM_BASE } from '../../machine/memory-map.js';
import type { ResolvedConfig } from '../config.js';

type Workload = NonNullable<ResolvedConfig['workload']>;

/** Each built-in vCPU's share of guest RAM, page-aligned. */
export function ramSliceOf(config: ResolvedConfig): number {
  return Math.floor(config.ramBytes / Math.max(1, config.vcpus) / 4096) * 4096;
}

export function guestFor(config: ResolvedConfig, v: number, w: Workload): GuestProgramConfig {
  const slice = ramSliceOf(config);
  return {
    device: v,
    variant: config.devices[v]!.variant,
    workload: w.name,
    frames: w.frames,
    seed: w.seed + v,
    mode: w.mode,
    damagePercent: w.damagePercent,
    ramBase: RAM_BASE + v * slice,
    ramEnd: RAM_BASE + (v + 1) * slice,
    ...guestInput(config.input, config.inputTransport, config.inputInterrupts, v),
  };
}

/** The built-in guest drives the keyboard and tablet of its device's display 0, if bound (binding k: virtio devices 2k, 2k + 1). */
function guestInput(
  bindings: readonly { device: number; display: number }[],
  transport: 'mmio' | 'pci',
  interrupts: 'msix' | 'intx',
  device: number,
): Pick<GuestProgramConfig, 'input'> {
  const k = bindings.findIndex((b) => b.device === device && b.display === 0);
  if (k < 0) return {};
  return { input: { keyboard: 2 * k, tablet: 2 * k + 1, transport, ...(interrupts === 'intx' ? { interrupts } : {}) } };
}
