// The component sections of a snapshot (docs/snapshots.md, "Component states"): the state of a
// machine a guest has run on, as the actors' codecs saved it at a paused point. This file only
// places those bytes into sections and takes them back out, checking that a file has either none
// of them (a machine no guest has run on) or exactly the set its configuration needs; what is in
// each section is checked by machine-state-check.ts and by the actor that loads it.
import type { ResolvedConfig } from '../config.js';
import { INPUT_DEVICES_PER_DISPLAY } from '../config-input.js';
import type { SectionInput } from './container.js';
import { sectionName } from './container.js';
import { SnapshotFormatError } from './errors.js';
import { SectionKind, displaySectionIndex } from './layout.js';

/** One device's saved state: its engine, its task space and (PCI variant) its config space. */
export interface DeviceSavedState {
  engine: Uint8Array;
  taskSpace: Uint8Array;
  /** null for the MMIO variant. */
  pci: Uint8Array | null;
}

/** One built-in vCPU's saved state. */
export interface VcpuSavedState {
  /** Its TypeScript guest program (null: the vCPU runs none, e.g. a vCPU beyond the devices, or a KVM vCPU). */
  program: Uint8Array | null;
  /** Its KVM vCPU running the machine-code guest (null: a TypeScript vCPU, or one that runs none). */
  kvm: Uint8Array | null;
  pending: Uint8Array;
}

export interface MachineState {
  devices: DeviceSavedState[];
  interruptTable: Uint8Array;
  vcpus: VcpuSavedState[];
  /** Per device, per display: the compositor's state of it. */
  displays: Uint8Array[][];
  /** Each virtio-input device's state (input-snapshot.ts), in the input actor's order; empty without input devices. */
  inputDevices: Uint8Array[];
}

/** The sections holding `state`, in a fixed order. */
export function machineStateSections(state: MachineState): SectionInput[] {
  const out: SectionInput[] = [];
  state.devices.forEach((d, i) => {
    out.push({ kind: SectionKind.Engine, index: i, parts: [d.engine] }, { kind: SectionKind.TaskSpace, index: i, parts: [d.taskSpace] });
    if (d.pci) out.push({ kind: SectionKind.PciConfig, index: i, parts: [d.pci] });
  });
  out.push({ kind: SectionKind.InterruptTable, index: 0, parts: [state.interruptTable] });
  state.vcpus.forEach((v, i) => {
    if (v.program) out.push({ kind: SectionKind.GuestProgram, index: i, parts: [v.program] });
    if (v.kvm) out.push({ kind: SectionKind.KvmVcpu, index: i, parts: [v.kvm] });
    out.push({ kind: SectionKind.VcpuPending, index: i, parts: [v.pending] });
  });
  state.displays.forEach((list, d) =>
    list.forEach((bytes, k) => out.push({ kind: SectionKind.CompositorDisplay, index: displaySectionIndex(d, k), parts: [bytes] })),
  );
  state.inputDevices.forEach((bytes, k) => out.push({ kind: SectionKind.InputDevice, index: k, parts: [bytes] }));
  return out;
}

const COMPONENT_KINDS: readonly number[] = [
  SectionKind.Engine,
  SectionKind.TaskSpace,
  SectionKind.PciConfig,
  SectionKind.InterruptTable,
  SectionKind.GuestProgram,
  SectionKind.VcpuPending,
  SectionKind.CompositorDisplay,
  SectionKind.InputDevice,
  SectionKind.KvmVcpu,
];

export const isComponentKind = (kind: number) => COMPONENT_KINDS.includes(kind);

/** The machine's virtio-input devices: a keyboard and a tablet per bound display. */
export function inputDeviceCount(config: ResolvedConfig): number {
  return config.input.length * INPUT_DEVICES_PER_DISPLAY;
}

/** Which vCPUs run a built-in guest program (vCPU v drives device v: vmm/assembly/guests.ts). */
export function programVcpus(config: ResolvedConfig): number {
  return config.workload ? Math.min(config.vcpus, config.devices.length) : 0;
}

/**
 * The machine state in `sections` (each with its bytes), or null when the file has no component
 * section. A file with some must have every one this configuration needs and no other: refused
 * with SnapshotFormatError ('section table') otherwise.
 */
export function collectMachineState(sections: readonly { kind: number; index: number; bytes: Uint8Array }[], config: ResolvedConfig): MachineState | null {
  const present = new Map<string, Uint8Array>();
  for (const s of sections) if (isComponentKind(s.kind)) present.set(`${s.kind}:${s.index}`, s.bytes);
  if (present.size === 0) return null;
  const take = (kind: number, index: number): Uint8Array => {
    const key = `${kind}:${index}`;
    const bytes = present.get(key);
    if (!bytes)
      throw new SnapshotFormatError('section table', `no ${sectionName(kind, index).slice('section '.length)} section (the machine's configuration needs it)`);
    present.delete(key);
    return bytes;
  };
  const devices = config.devices.map((d, i) => ({
    engine: take(SectionKind.Engine, i),
    taskSpace: take(SectionKind.TaskSpace, i),
    pci: d.variant === 'apple-gfx-pci' ? take(SectionKind.PciConfig, i) : null,
  }));
  const interruptTable = take(SectionKind.InterruptTable, 0);
  const programs = programVcpus(config);
  // Which vCPU backend ran decides the section: a guest program or a KVM vCPU, never both.
  const kvm = config.cpu === 'kvm';
  const vcpus = Array.from({ length: config.vcpus }, (_, v) => ({
    program: v < programs && !kvm ? take(SectionKind.GuestProgram, v) : null,
    kvm: v < programs && kvm ? take(SectionKind.KvmVcpu, v) : null,
    pending: take(SectionKind.VcpuPending, v),
  }));
  const displays = config.devices.map((d, i) => d.displays.map((_, k) => take(SectionKind.CompositorDisplay, displaySectionIndex(i, k))));
  const inputDevices = Array.from({ length: inputDeviceCount(config) }, (_, k) => take(SectionKind.InputDevice, k));
  const extra = [...present.keys()][0];
  if (extra !== undefined) {
    const [kind, index] = extra.split(':').map(Number) as [number, number];
    throw new SnapshotFormatError('section table', `${sectionName(kind, index)}: the machine's configuration has no such part`);
  }
  return { devices, interruptTable, vcpus, displays, inputDevices };
}
