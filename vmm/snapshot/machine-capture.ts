// A paused machine's component state, gathered for a snapshot (docs/snapshots.md, "Save"): each
// device actor's engine, task space and config space, each vCPU's program (or KVM vCPU), the compositor's
// displays and the input actor's virtio-input devices through their control planes, and the interrupt table and the vCPUs' pending vectors
// on the main thread, which holds their buffers. Nothing moves while paused, so the order of the
// calls does not matter.
import type { MachineActors } from '../assembly/assemble.js';
import type { ResolvedConfig } from '../config.js';
import { saveInterruptTable } from '../../shared/irq/interrupt-table-snapshot.js';
import { InterruptTable } from '../../shared/irq/interrupt-table.js';
import { saveVcpuPending } from '../../shared/irq/vcpu-irq-snapshot.js';
import { SnapshotUnsupportedError } from './errors.js';
import { programVcpus, type MachineState } from './machine-state.js';

export async function captureMachineState(parts: MachineActors, config: ResolvedConfig): Promise<MachineState> {
  const [devices, displays, programs, inputDevices] = await Promise.all([
    Promise.all(parts.devices.map((d) => d.control.saveState())),
    parts.compositor!.saveDisplays(),
    Promise.all(parts.vcpus.map((v) => v.control.saveProgram())),
    parts.input ? parts.input.control.saveState() : [],
  ]);
  const interruptTable = saveInterruptTable(new InterruptTable(parts.irqTable!, parts.irqStates, null));
  const withProgram = programVcpus(config);
  const vcpus = programs.map((program, v) => {
    if (v < withProgram && program === null) throw new SnapshotUnsupportedError(`vcpu${v} has no guest program to save (its workload did not start)`);
    const bytes = v < withProgram ? program : null;
    const kvm = config.cpu === 'kvm';
    return { program: kvm ? null : bytes, kvm: kvm ? bytes : null, pending: saveVcpuPending(parts.irqStates[v]!) };
  });
  let at = 0;
  const perDevice = config.devices.map((d) => displays.slice(at, (at += d.displays.length)));
  return { devices, interruptTable, vcpus, displays: perDevice, inputDevices };
}
