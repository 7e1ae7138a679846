// A snapshot's component state loaded into a machine as it is assembled (docs/snapshots.md,
// "Restore"): the interrupt table and the vCPUs' pending vectors before any actor starts, each
// device's state right after its actor starts (before any vCPU exists, so before any record
// reaches it), the virtio-input devices' likewise, each vCPU's program once it exists (it runs at resume()), and the compositor's
// displays last, once every engine is loaded (a display that wanted a frame asks its engine).
// A refusal is a SnapshotFormatError naming the section; the caller stops what was started.
import type { CompositorShards } from '../compositor-shards.js';
import type { DeviceControl } from '../../actors/device/messages.js';
import type { InputControl } from '../../actors/input/messages.js';
import type { Remote } from 'comlink';
import type { VcpuControl } from '../../actors/vcpu/messages.js';
import { loadInterruptTable } from '../../shared/irq/interrupt-table-snapshot.js';
import { InterruptTable } from '../../shared/irq/interrupt-table.js';
import { loadVcpuPending } from '../../shared/irq/vcpu-irq-snapshot.js';
import type { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';
import type { ResolvedConfig } from '../config.js';
import { sectionName } from '../snapshot/container.js';
import { SnapshotFormatError } from '../snapshot/errors.js';
import { SectionKind } from '../snapshot/layout.js';
import { inSection } from '../snapshot/machine-state-check.js';
import type { MachineState } from '../snapshot/machine-state.js';
import { guestFor } from './guests.js';

/** Before any actor starts: the interrupt table's lines and deliveries, each vCPU's pending vectors. */
export function restoreInterrupts(state: MachineState, table: SharedArrayBuffer, vcpus: readonly VcpuIrqState[]): void {
  inSection(SectionKind.InterruptTable, 0, () => loadInterruptTable(new InterruptTable(table, vcpus, null), state.interruptTable));
  state.vcpus.forEach((v, i) => inSection(SectionKind.VcpuPending, i, () => loadVcpuPending(vcpus[i]!, v.pending)));
}

/** Device i, just started: its config space, task space and engine. */
export async function restoreDevice(state: MachineState, i: number, device: Remote<DeviceControl>): Promise<void> {
  const refused = await device.loadState(state.devices[i]!);
  if (!refused) return;
  const kind = refused.part.startsWith('engine') ? SectionKind.Engine : refused.part.startsWith('pci') ? SectionKind.PciConfig : SectionKind.TaskSpace;
  throw new SnapshotFormatError(sectionName(kind, i), `${refused.part}: ${refused.reason}`);
}

/** vCPU v, just started: the program (or KVM vCPU state) it runs from resume() on. */
export async function restoreVcpu(state: MachineState, config: ResolvedConfig, v: number, vcpu: Remote<VcpuControl>): Promise<void> {
  const saved = state.vcpus[v];
  const bytes = saved?.program ?? saved?.kvm;
  if (!bytes || !config.workload) return;
  const refused = await vcpu.loadProgram(guestFor(config, v, config.workload), bytes);
  if (refused !== null) throw new SnapshotFormatError(sectionName(saved?.kvm ? SectionKind.KvmVcpu : SectionKind.GuestProgram, v), refused);
}

/** The input actor, just started (before any vCPU): each virtio-input device's transport, queues and waiting events. */
export async function restoreInput(state: MachineState, input: Remote<InputControl>): Promise<void> {
  const refused = await input.loadState(state.inputDevices);
  if (refused) throw new SnapshotFormatError(sectionName(SectionKind.InputDevice, refused.index), `${refused.part}: ${refused.reason}`);
}

/** Every device loaded: the compositor's displays, in configuration order, each to the shard that owns it (any number of shards). */
export async function restoreDisplays(state: MachineState, compositor: CompositorShards): Promise<void> {
  await compositor.loadDisplays(state.displays.flat());
}
