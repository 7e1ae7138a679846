// The input actor's configuration, records and control plane. It owns every virtio-input device
// of the VM (a keyboard and a tablet per bound display); vCPUs send it MMIO records in the device
// actor's layout (DeviceKind, window = the input device's index), the embedder sends it events.
import type { MailboxStats } from '../../shared/mailbox/mailbox.js';
import { InputKind } from '../../abi/generated/input-records.js';
import type { InputDeviceKind } from './input-config.js';
import type { InputDeviceStats } from './virtio-input.js';

export { InputKind };
export type { InputDeviceKind };

export interface InputDeviceConfig {
  kind: InputDeviceKind;
  /** The display this device is bound to: device index and display on it. */
  display: { device: number; display: number };
  /** The interrupt controller line (level-triggered) of its virtio-mmio transport, or its virtio-pci function's INTA#. */
  line: number;
}

/** Which virtio transport the VM's input devices use (VmOptions.inputTransport, docs/virtio.md). */
export type InputTransport = 'mmio' | 'pci';

/** A vCPU's MMIO record with this bit in its window is for input device (window & 0xff)'s PCI configuration space. */
export const PCI_CONFIG_WINDOW = 0x100;

export interface InputActorConfig {
  devices: InputDeviceConfig[];
  transport: InputTransport;
  irqMailbox: SharedArrayBuffer;
  writeCompletion: SharedArrayBuffer;
  /** virtio-pci: the interrupt table MSI-X messages go through, and the vCPUs' interrupt states it wakes. */
  irqTable?: SharedArrayBuffer;
  irqTargets?: SharedArrayBuffer[];
  /** virtio-pci: where device k publishes its BAR0 (slot k) for the vCPUs' buses. */
  barTable?: SharedArrayBuffer;
}

export interface InputActorStats {
  devices: (InputDeviceStats & { display: { device: number; display: number } })[];
  /** MMIO records for a window no input device has, records of an unknown kind, events for no device. */
  badRecords: number;
  /** Level changes that waited for room in the interrupt controller's mailbox. */
  irqBacklogged: number;
  mailbox: MailboxStats;
}

export interface InputControl {
  stats(): InputActorStats;
  /** For vm.pause(): idle when nothing waits to be posted to the interrupt controller. */
  activity(): { idle: boolean; busy: string[]; counters: number[] };
  /** A system reset: every device as if its driver wrote 0 to Status. */
  reset(): void;
  /** vm.pause(): injected events wait in the devices (nothing is written to guest RAM) until hold(false). */
  hold(held: boolean): void;
  /** A snapshot of a paused machine: each device's state (input-snapshot.ts), in device order. */
  saveState(): Uint8Array[];
  /** A restore, before any vCPU runs: each device's saved state; the first refusal (device index, part, reason), or null. */
  loadState(devices: Uint8Array[]): { index: number; part: string; reason: string } | null;
}
