// Every component section of a snapshot checked on the loading thread, before any actor exists
// (docs/snapshots.md, "Restore"): each goes through its component's own decoder, against parts
// built from the snapshot's configuration over the restored guest memory (the engine's limits
// through the addon's checkEngineState, a task space with its limits, a PCI config space at
// power-on, the interrupt table the configuration wires, a guest program that has not stepped,
// the display's modes, a virtio-input device on its transport), and each engine's tasks against
// its task space's. So a bad section fails Vm.restore with SnapshotFormatError naming it and
// nothing started.
import { decodeCompositorDisplay } from '../../actors/compositor/display-snapshot.js';
import { loadPciConfig } from '../../shared/pci/config-snapshot.js';
import { PciConfigSpace } from '../../shared/pci/config-space.js';
import { decodeTaskSpaceState } from '../../actors/device/task-space-snapshot.js';
import { TaskSpace } from '../../actors/device/task-space.js';
import type { VcpuServices } from '../../actors/vcpu/cpu-backend.js';
import { loadGuestProgram } from '../../guest/ts/program-snapshot.js';
import { GuestProgram } from '../../guest/ts/program.js';
import type { GuestMemory } from '../../shared/guest-memory/index.js';
import { decodeInterruptTableState } from '../../shared/irq/interrupt-table-snapshot.js';
import { InterruptTable, createInterruptTable } from '../../shared/irq/interrupt-table.js';
import { loadVcpuPending } from '../../shared/irq/vcpu-irq-snapshot.js';
import { VcpuIrqState, createVcpuIrqBuffer } from '../../shared/irq/vcpu-irq.js';
import { StateFormatError } from '../../shared/snapshot/state-bytes.js';
import { VirtioMmioTransport } from '../../shared/virtio/mmio-transport.js';
import { VirtioPciTransport } from '../../shared/virtio/pci-transport.js';
import { PCI_CLASS_INPUT_OTHER } from '../../abi/generated/virtio.js';
import { loadInputDevice } from '../../actors/input/input-snapshot.js';
import type { InputDeviceKind, InputTransport } from '../../actors/input/messages.js';
import { VirtioInputDevice } from '../../actors/input/virtio-input.js';
import { guestFor } from '../assembly/guests.js';
import { kvmStateLimits } from '../../actors/vcpu/kvm/machine.js';
import { decodeKvmVcpu } from '../../actors/vcpu/kvm/vcpu-state-snapshot.js';
import { interruptLines } from '../assembly/wiring.js';
import type { ResolvedConfig } from '../config.js';
import { sectionName } from './container.js';
import { SnapshotFormatError } from './errors.js';
import { SectionKind, displaySectionIndex } from './layout.js';
import { checkEngineSection, crossCheckEngineTasks } from './engine-check.js';
import type { MachineState } from './machine-state.js';

/** Runs `check`; a component's StateFormatError becomes the section's SnapshotFormatError. */
export function inSection<T>(kind: number, index: number, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof StateFormatError) throw new SnapshotFormatError(sectionName(kind, index), `${err.part}: ${err.reason}`);
    throw err;
  }
}

/** A vCPU's services that refuse any device access: a program's loadState makes none. */
function offlineServices(vcpu: number, memory: GuestMemory): VcpuServices {
  const refuse = (): never => {
    throw new Error('a guest program being checked touched a device');
  };
  return {
    vcpu,
    memory,
    irq: new VcpuIrqState(createVcpuIrqBuffer()),
    mmioRead: refuse,
    mmioWrite: refuse,
    mmioReadHalves: refuse,
    mmioWriteHalves: refuse,
    endOfInterrupt: refuse,
  };
}

/** A virtio-input device over `memory` as the input actor makes it, its interrupts going nowhere (a loadState raises none). */
function offlineInputDevice(kind: InputDeviceKind, transport: InputTransport, memory: GuestMemory): VirtioInputDevice {
  return new VirtioInputDevice(kind, 'checked', (model) =>
    transport === 'pci'
      ? new VirtioPciTransport(memory, model, { classCode: PCI_CLASS_INPUT_OTHER << 8, msi: { msi: () => undefined } })
      : new VirtioMmioTransport(memory, model, () => undefined),
  );
}

/**
 * Throws SnapshotFormatError for the first section of `state` its component refuses. Returns the
 * guest image each KVM vCPU ran (its CRC-32), for the restore to hold against this host's.
 */
export function checkMachineState(state: MachineState, config: ResolvedConfig, memory: GuestMemory): { kvmImageCrcs: number[] } {
  const kvmImageCrcs: number[] = [];
  config.devices.forEach((d, i) => {
    const saved = state.devices[i]!;
    const engine = checkEngineSection(saved.engine, config, i, memory);
    const tasks = inSection(SectionKind.TaskSpace, i, () =>
      decodeTaskSpaceState(saved.taskSpace, new TaskSpace(memory, config.limits, d.mapSemantics), memory),
    );
    crossCheckEngineTasks(engine, tasks, i);
    if (saved.pci) inSection(SectionKind.PciConfig, i, () => loadPciConfig(new PciConfigSpace(), saved.pci!));
  });
  const table = new InterruptTable(createInterruptTable(interruptLines(config).lines, config.vcpus + config.externalVcpus), null);
  inSection(SectionKind.InterruptTable, 0, () => decodeInterruptTableState(state.interruptTable, table));
  state.vcpus.forEach((v, i) => {
    inSection(SectionKind.VcpuPending, i, () => loadVcpuPending(new VcpuIrqState(createVcpuIrqBuffer()), v.pending));
    if (v.program && config.workload) {
      const program = new GuestProgram(offlineServices(i, memory), guestFor(config, i, config.workload));
      inSection(SectionKind.GuestProgram, i, () => loadGuestProgram(program, v.program!));
    }
    if (v.kvm) kvmImageCrcs.push(inSection(SectionKind.KvmVcpu, i, () => decodeKvmVcpu(v.kvm!, kvmStateLimits(memory))).imageCrc);
  });
  interruptLines(config).inputDevices.forEach((d, k) =>
    inSection(SectionKind.InputDevice, k, () => loadInputDevice(offlineInputDevice(d.kind, config.inputTransport, memory), state.inputDevices[k]!)),
  );
  config.devices.forEach((d, i) =>
    d.displays.forEach((display, k) => {
      const index = displaySectionIndex(i, k);
      const s = inSection(SectionKind.CompositorDisplay, index, () => decodeCompositorDisplay(state.displays[i]![k]!));
      // The display's frame stores are sized for its largest mode: a kept frame must be one of its modes.
      if (s.mode && !display.modes.some((m) => m.width === s.mode!.width && m.height === s.mode!.height))
        throw new SnapshotFormatError(sectionName(SectionKind.CompositorDisplay, index), `mode ${s.mode.width}x${s.mode.height} is not one of the display's`);
    }),
  );
  return { kvmImageCrcs };
}
