// Assembles a VM's actors in the wait-for graph's order (docs/design.md): the interrupt
// controller and the compositor shards (leaves), the devices, the input actor, then the vCPUs that
// wait on all of them; and stops them in the reverse order, so no actor waits on one that left.
// What is spawned is kept in MachineActors as it goes, so a start that fails half-way stops
// exactly what it started. A restore loads each part's saved state as it comes (restore.ts).
import type { CompositorControl } from '../../actors/compositor/messages.js';
import type { DeviceControl } from '../../actors/device/messages.js';
import type { InputControl } from '../../actors/input/messages.js';
import type { IrqControl } from '../../actors/irq/messages.js';
import type { ActorHandle, SpawnSpec, Supervisor } from '../../actors/runtime/supervisor.js';
import type { ExternalVcpuConfig } from '../../actors/vcpu/external.js';
import type { VcpuControl } from '../../actors/vcpu/messages.js';
import type { GuestMemory } from '../../shared/guest-memory/index.js';
import { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';
import type { Mailbox } from '../../shared/mailbox/mailbox.js';
import type { ResolvedConfig } from '../config.js';
import { KvmMachine } from '../kvm-machine.js';
import { CompositorShards } from '../compositor-shards.js';
import { compositorSpec, deviceSpec, externalVcpuConfig, inputSpec, irqSpec, vcpuSpec, type VmBuffers } from './specs.js';
import { wireMachine } from './wiring.js';
import type { MachineState } from '../snapshot/machine-state.js';
import { restoreDevice, restoreDisplays, restoreInput, restoreInterrupts, restoreVcpu } from './restore.js';

/** The actors of one VM, and what its facade reaches them by. */
export class MachineActors {
  irq: ActorHandle<IrqControl> | null = null;
  /** The compositor shards' actors, in shard order. */
  readonly compositors: ActorHandle<CompositorControl>[] = [];
  /** All of them as one, routed by display (null until they are up). */
  compositor: CompositorShards | null = null;
  readonly devices: ActorHandle<DeviceControl>[] = [];
  input: ActorHandle<InputControl> | null = null;
  /** The input actor's mailbox, for the embedder's key and pointer events (vm.input()). */
  inputMailbox: Mailbox | null = null;
  readonly vcpus: ActorHandle<VcpuControl>[] = [];
  /** Every vCPU's interrupt state, built-in then external: stop and pause words live there. */
  readonly irqStates: VcpuIrqState[] = [];
  readonly external: ExternalVcpuConfig[] = [];
  /** The interrupt table's buffer (a snapshot saves and loads it on the main thread). */
  irqTable: SharedArrayBuffer | null = null;
  kvm: KvmMachine | null = null;
}

export interface Assembly {
  config: ResolvedConfig;
  supervisor: Supervisor;
  memory: GuestMemory;
  buffers: VmBuffers;
  /** Starts one actor (the Vm passes a test's spawn override through here). */
  spawn<C extends object>(spec: SpawnSpec): Promise<ActorHandle<C>>;
  /** A snapshot's component state to load as the machine is assembled (Vm.restore), or null. */
  restore?: MachineState | null;
}

export async function assembleMachine(parts: MachineActors, a: Assembly): Promise<void> {
  const { config, supervisor, buffers } = a;
  const w = wireMachine(config, supervisor);
  parts.irqStates.push(...w.irqBuffers.map((b) => new VcpuIrqState(b)));
  parts.inputMailbox = w.inputMailbox;
  parts.irqTable = w.irqTable;
  const restore = a.restore ?? null;
  if (restore) restoreInterrupts(restore, w.irqTable, parts.irqStates);
  parts.irq = await a.spawn<IrqControl>(irqSpec(w));
  for (let s = 0; s < config.compositorShards; s++) parts.compositors.push(await a.spawn<CompositorControl>(compositorSpec(config, w, buffers, s)));
  parts.compositor = new CompositorShards(
    parts.compositors,
    config.devices.map((d) => d.displays.length),
  );
  for (let i = 0; i < config.devices.length; i++) {
    parts.devices.push(await a.spawn<DeviceControl>(deviceSpec(config, w, buffers, supervisor, i)));
    if (restore) await restoreDevice(restore, i, parts.devices[i]!.control);
  }
  // After the interrupt controller it posts to, before the vCPUs that wait on it.
  const input = inputSpec(config, w, buffers);
  if (input) {
    parts.input = await a.spawn<InputControl>(input);
    if (restore) await restoreInput(restore, parts.input.control);
  }
  if (config.cpu === 'kvm') parts.kvm = KvmMachine.create(a.memory);
  const kvm = parts.kvm ? { vm: parts.kvm.vm, entry: parts.kvm.entry } : null;
  for (let v = 0; v < config.vcpus; v++) {
    parts.vcpus.push(await a.spawn<VcpuControl>(vcpuSpec(config, w, buffers, supervisor, v, kvm)));
    if (restore) await restoreVcpu(restore, config, v, parts.vcpus[v]!.control);
  }
  if (restore) await restoreDisplays(restore, parts.compositor);
  for (let e = 0; e < config.externalVcpus; e++) parts.external.push(externalVcpuConfig(config, w, buffers, supervisor, a.memory, config.vcpus + e));
}

/** Stops every actor, vCPUs first, joins every thread, then frees the KVM memory slots. */
export async function stopMachine(parts: MachineActors, supervisor: Supervisor): Promise<void> {
  if (!supervisor.failed) {
    await supervisor.stopActors(parts.vcpus.map((v) => v.name));
    await supervisor.stopActors(parts.devices.map((d) => d.name));
    if (parts.input) await supervisor.stopActors([parts.input.name]);
    await supervisor.stopActors(parts.compositors.map((c) => c.name));
  }
  await supervisor.shutdown();
  // Every vCPU thread has left KVM_RUN and been joined: the memory slots can go.
  parts.kvm?.destroy();
  parts.kvm = null;
}
