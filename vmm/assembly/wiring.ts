// The machine's shared buffers, made before any actor starts: mailboxes, the interrupt lines and
// their table, the vCPUs' interrupt states, the BAR table, each display's surfaces and cursor
// slot, and the virtio-input devices' lines. Every actor's config is then a view of this.
import type { IrqConfig } from '../../actors/irq/messages.js';
import type { InputDeviceConfig } from '../../actors/input/messages.js';
import type { Supervisor } from '../../actors/runtime/supervisor.js';
import type { BusDeviceConfig } from '../../actors/vcpu/bus-port.js';
import { deviceLines, deviceVectors, virtioPciIntxVector, virtioVector } from '../../machine/memory-map.js';
import { createCursorSlot } from '../../shared/display/cursor-slot.js';
import { createSurfacePool, SURFACES_PER_DISPLAY } from '../../shared/display/surface-layout.js';
import { createInterruptTable } from '../../shared/irq/interrupt-table.js';
import { createVcpuIrqBuffer } from '../../shared/irq/vcpu-irq.js';
import type { Mailbox } from '../../shared/mailbox/mailbox.js';
import { createBarTable } from '../../shared/mmio/bar-table.js';
import type { ResolvedConfig } from '../config.js';
import { shardOfDevice } from '../config-compositor.js';

export interface DisplayBuffers {
  surfaces: SharedArrayBuffer;
  cursor: SharedArrayBuffer;
}

export interface MachineWiring {
  /** Built-in and external vCPUs together. */
  allVcpus: number;
  bars: SharedArrayBuffer;
  irqMailbox: Mailbox;
  deviceMailboxes: Mailbox[];
  /** One per compositor shard (config.compositorShards). */
  compositorMailboxes: Mailbox[];
  /** Per device: the shard that owns its displays (the mailbox its display events go to). */
  compositorOfDevice: number[];
  engineInbound: Mailbox[];
  /** Per device, per display. */
  displayBuffers: DisplayBuffers[][];
  /** Per vCPU (built-in first, then external). */
  irqBuffers: SharedArrayBuffer[];
  lines: IrqConfig['lines'];
  irqTable: SharedArrayBuffer;
  inputDevices: InputDeviceConfig[];
  inputMailbox: Mailbox | null;
  /** The virtio-input devices as a vCPU's bus sees them. */
  virtioBus: BusDeviceConfig[];
  /** virtio-pci input devices: where the input actor publishes their BAR0s (slot = device index). */
  virtioBars: SharedArrayBuffer | null;
}

/** Device i is driven by vCPU i (when there is one); its interrupts go there. */
export function driverOf(config: ResolvedConfig, device: number): number {
  return device < config.vcpus ? device : 0;
}

/** The interrupt lines the configuration makes, and the virtio-input devices on them. */
export function interruptLines(config: ResolvedConfig): { lines: IrqConfig['lines']; inputDevices: InputDeviceConfig[] } {
  const lines: IrqConfig['lines'] = [];
  config.devices.forEach((_, i) => {
    const l = deviceLines(i);
    const v = deviceVectors(i);
    lines[l.gfx] = { trigger: 'edge', vcpu: driverOf(config, i), vector: v.gfx };
    lines[l.iosfc] = { trigger: 'edge', vcpu: driverOf(config, i), vector: v.iosfc };
  });
  // Each bound display's keyboard and tablet: virtio-mmio interrupts are levels (docs/virtio.md),
  // on lines after the apple-gfx ones, to the vCPU that drives the display's device; virtio-pci
  // ones are MSI-X messages, which need no line (the guest says where they go), or for a driver
  // that leaves MSI-X off INTA#, a level line of its own with vector VECTOR_VIRTIO_PCI_INTX_BASE + k.
  const pci = config.inputTransport === 'pci';
  const inputDevices: InputDeviceConfig[] = config.input.flatMap((display) => (['keyboard', 'tablet'] as const).map((kind) => ({ kind, display, line: -1 })));
  inputDevices.forEach((d, k) => {
    d.line = config.devices.length * 2 + k;
    lines[d.line] = { trigger: 'level', vcpu: driverOf(config, d.display.device), vector: pci ? virtioPciIntxVector(k) : virtioVector(k) };
  });
  return { lines, inputDevices };
}

export function wireMachine(config: ResolvedConfig, supervisor: Supervisor): MachineWiring {
  const allVcpus = config.vcpus + config.externalVcpus;
  // Surfaces sized for the largest mode, made once: a mode change never frees what an encode targets.
  const displayBuffers = config.devices.map((d) =>
    d.displays.map((s) => ({
      surfaces: createSurfacePool(Math.max(...s.modes.map((m) => m.width)), Math.max(...s.modes.map((m) => m.height)), SURFACES_PER_DISPLAY),
      cursor: createCursorSlot(),
    })),
  );
  const { lines, inputDevices } = interruptLines(config);
  const pci = config.inputTransport === 'pci';
  const inputMailbox = inputDevices.length > 0 ? supervisor.createMailbox('input', { capacity: 1024 }) : null;
  const virtioBars = pci && inputDevices.length > 0 ? createBarTable(inputDevices.length) : null;
  return {
    allVcpus,
    bars: createBarTable(config.devices.length),
    irqMailbox: supervisor.createMailbox('irq', { capacity: 1024 }),
    deviceMailboxes: config.devices.map((_, i) => supervisor.createMailbox(`device${i}`, { capacity: 1024 })),
    // The compositor parks without blocking its event loop (VNC, control calls), and under the
    // actor model the engines' threads post into it too: an event-loop doorbell wakes it (docs/doorbells.md).
    compositorMailboxes: Array.from({ length: config.compositorShards }, (_, s) =>
      supervisor.createMailbox(compositorName(config.compositorShards, s), { capacity: 4096, park: 'event-loop' }),
    ),
    compositorOfDevice: shardOfDevice(config.devices.length, config.compositorShards),
    // Made by the supervisor so a failure closes them too: each engine's dispatcher then leaves.
    engineInbound: config.devices.map((_, i) => supervisor.createMailbox(`device${i}-engine`, { capacity: 1024 })),
    displayBuffers,
    irqBuffers: Array.from({ length: allVcpus }, () => createVcpuIrqBuffer()),
    lines,
    // Devices deliver MSIs and edge pulses through it themselves; vCPUs take edge EOIs in it.
    irqTable: createInterruptTable(lines, allVcpus),
    inputDevices,
    inputMailbox,
    virtioBus: inputDevices.map((_, k) => ({
      index: k,
      variant: pci ? ('virtio-pci' as const) : ('virtio-mmio' as const),
      mailbox: inputMailbox!.buffer,
      ...(virtioBars ? { bars: virtioBars } : {}),
    })),
    virtioBars,
  };
}

/** Shard s's actor and mailbox name: 'compositor' alone, else compositor0, compositor1, … (one role: bench/thread-cpu.ts). */
export function compositorName(shards: number, s: number): string {
  return shards === 1 ? 'compositor' : `compositor${s}`;
}
