// An embedder's own vCPU loop: what it needs to hand MMIO accesses to the VM's devices and take
// interrupts out, from any thread (the main thread, its own worker). It gets the same bus, the
// same posted-write window and the same interrupt state as a built-in vCPU: devices cannot tell
// the difference.
import { attachGuestMemory, type GuestMemoryDescriptor } from '../../shared/guest-memory/index.js';
import { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { ReplyTable } from '../../shared/reply/reply-table.js';
import { EoiPort } from './eoi.js';
import { vcpuServices } from './services.js';
import { VcpuBusPort, attachBusDevices, type BusDeviceConfig } from './bus-port.js';
import type { VcpuServices } from './cpu-backend.js';

/** Structured-clonable: post it to the thread that runs the vCPU loop. */
export interface ExternalVcpuConfig {
  vcpu: number;
  memory: GuestMemoryDescriptor;
  devices: BusDeviceConfig[];
  replies: SharedArrayBuffer;
  slot: number;
  writeCompletion: SharedArrayBuffer;
  barTable: SharedArrayBuffer;
  writeWindow: number;
  irqState: SharedArrayBuffer;
  irqMailbox: SharedArrayBuffer;
  irqTable: SharedArrayBuffer;
}

export interface ConnectedVcpu extends VcpuServices {
  readonly bus: VcpuBusPort;
}

/**
 * Connects a vCPU loop to the VM. mmioRead blocks the calling thread until the device answers,
 * so call it from a thread that may block (not the VM's main thread while it must serve events).
 * Once the VM stops, an access that waits throws WaitAbandonedError, and one that posts into a
 * closed mailbox MailboxClosedError (docs/embedding.md).
 */
export function connectVcpu(config: ExternalVcpuConfig): ConnectedVcpu {
  const irq = new VcpuIrqState(config.irqState);
  // As a built-in vCPU's: when the VM stops, every wait on a device gives up (WaitAbandonedError)
  // instead of running into its timeout.
  const stopping = () => irq.stopRequested;
  const bus = new VcpuBusPort(
    config.vcpu,
    attachBusDevices(config.devices),
    new ReplyTable(config.replies),
    config.slot,
    config.writeCompletion,
    config.barTable,
    config.writeWindow,
    stopping,
  );
  const irqMailbox = new Mailbox(config.irqMailbox, 'irq');
  irqMailbox.giveUpWaitsWhen(stopping);
  const eoi = new EoiPort(config.vcpu, config.irqTable, irqMailbox);
  return { ...vcpuServices(config.vcpu, attachGuestMemory(config.memory.sab, config.memory.regions), irq, bus, eoi), bus };
}
