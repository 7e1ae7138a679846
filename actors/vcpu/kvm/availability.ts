// Which CPU backend a VM gets: 'ts' (the TypeScript guest, portable, the default), 'kvm' (the
// machine-code guest on a hardware vCPU: refused with a reason when this machine cannot run
// it), or 'auto' (KVM where it can run, the TypeScript guest elsewhere).
import { existsSync } from 'node:fs';
import path from 'node:path';

import { native } from '../../../shared/native/addon.js';
import { packageRoot } from '../../../shared/package-root.js';
import { KVM_BENCH_PROGRAMS, KVM_INPUT_WORKLOADS, KVM_WORKLOADS } from './machine.js';

export type CpuChoice = 'ts' | 'kvm' | 'auto';
export type CpuBackendName = 'ts' | 'kvm';
export const CPU_CHOICES: readonly CpuChoice[] = ['ts', 'kvm', 'auto'];

/** The machine-code guest, built by the native build next to the addon (guest/c/). */
export function guestImagePath(): string {
  return path.join(packageRoot, process.env.PVG_NATIVE_BUILD ?? 'build', 'guest', 'pvg-guest.elf');
}

/** Why KVM cannot run our guest here, or null when it can. */
export function kvmUnavailableReason(devicePath = process.env.PVG_KVM_DEVICE ?? '/dev/kvm'): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `KVM guests need Linux on x86-64 (this is ${process.platform}/${process.arch})`;
  const probe = native.kvmProbe(devicePath);
  if (!probe.ok) return probe.reason;
  if (!existsSync(guestImagePath())) return `the machine-code guest ${guestImagePath()} is missing (run "npm run build:native")`;
  return null;
}

export class CpuUnavailableError extends Error {
  override readonly name = 'CpuUnavailableError';
}

/**
 * Resolves a choice for a VM that will run `workload` (null: none yet). 'kvm' throws
 * CpuUnavailableError with the reason; 'auto' falls back to 'ts' when KVM cannot run here or
 * the machine-code guest lacks the workload. probe false leaves this host out of it.
 */
export function resolveCpu(
  choice: CpuChoice,
  workload: string | null,
  probe = true,
  /** How the guest reaches its input devices (the machine-code guest drives virtio-mmio, and virtio-pci through MSI-X only). */
  inputTransport: 'mmio' | 'pci' = 'mmio',
  inputInterrupts: 'msix' | 'intx' = 'msix',
): { cpu: CpuBackendName; why: string | null } {
  if (choice === 'ts') return { cpu: 'ts', why: null };
  // Without the probe (a snapshot's configuration checked on any host): only what the machine asks.
  const unavailable = probe ? kvmUnavailableReason() : null;
  const lacks =
    workload !== null && KVM_WORKLOADS[workload] === undefined && KVM_BENCH_PROGRAMS[workload] === undefined
      ? `the KVM guest does not implement workload ${workload} (it runs ${Object.keys(KVM_WORKLOADS).join(', ')})`
      : workload !== null && KVM_INPUT_WORKLOADS.has(workload) && inputTransport === 'pci' && inputInterrupts === 'intx'
        ? `the KVM guest takes its virtio-pci input devices' interrupts through MSI-X only (workload ${workload} with inputInterrupts intx)`
        : null;
  if (choice === 'kvm') {
    if (unavailable) throw new CpuUnavailableError(`--cpu kvm: ${unavailable}`);
    if (lacks) throw new CpuUnavailableError(`--cpu kvm: ${lacks}`);
    return { cpu: 'kvm', why: null };
  }
  const why = unavailable ?? lacks;
  return why ? { cpu: 'ts', why } : { cpu: 'kvm', why: null };
}
