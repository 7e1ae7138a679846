// The virtio-mmio transport, version 2 (virtio 1.2 §4.2.2), for any virtio device model: the
// register file over the transports' shared core (virtio-core.ts: feature negotiation, device
// status and reset, queue setup, notifications, queue faults) and the interrupt status. A device
// (virtio-input today) supplies its id, features, queue sizes, configuration space and what a
// notification does. Every register access is guest input: a wrong size, an unknown register, a write the
// current status does not allow, a queue the driver described badly — refused and counted by
// reason, never thrown; the VM runs on. A fault in a queue sets DEVICE_NEEDS_RESET and raises a
// configuration interrupt (§2.1.2), as QEMU's virtio_error does; the driver resets the device.
// The interrupt is level-triggered: asserted while InterruptStatus is not 0 (§4.2.3.4).
// Modelled on QEMU's hw/virtio/virtio-mmio.c (virtio_mmio_read/write, non-legacy paths) and
// Linux's include/uapi/linux/virtio_mmio.h for the register names.
import type { GuestMemory } from '../guest-memory/index.js';
import {
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_VERSION,
  VIRTIO_VENDOR_ID,
  VirtioMmioReg as Reg,
} from '../../abi/generated/virtio.js';
import type { SplitQueue, VirtqueueFault } from './split-queue.js';
import { StateFormatError } from '../snapshot/state-bytes.js';
import type { VirtioMmioState, VirtioTransportState } from './transport-snapshot.js';
import { VirtioCore, type QueueRegs, type VirtioDeviceModel, type VirtioFault, type VirtioTransport } from './virtio-core.js';

export { TRANSPORT_FAULTS, type TransportFault, type VirtioDeviceModel, type VirtioFault } from './virtio-core.js';

export class VirtioMmioTransport implements VirtioTransport {
  private readonly core: VirtioCore;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private queueSel = 0;
  private interruptStatus = 0;

  constructor(
    memory: GuestMemory,
    private readonly device: VirtioDeviceModel,
    /** The interrupt line's level: called when InterruptStatus turns non-zero or back to zero. */
    private readonly setLevel: (high: boolean) => void,
  ) {
    this.core = new VirtioCore(
      memory,
      device,
      (cause) => this.raise(cause.kind === 'vring' ? VIRTIO_MMIO_INT_VRING : VIRTIO_MMIO_INT_CONFIG),
      () => this.clearRegisters(),
      'zero',
    );
  }

  get faults(): Record<VirtioFault, number> {
    return this.core.faults;
  }

  /** Register reads and writes handled, and resets (status 0 written). */
  get counts(): { reads: number; writes: number; resets: number; notifications: number } {
    return this.core.counts;
  }

  /** A ready queue of a driver-ok, working device; null otherwise. */
  queue(index: number): SplitQueue | null {
    return this.core.queue(index);
  }

  /** The device put buffers in queue `index`'s used ring: interrupt unless the driver asked not to. */
  usedBuffers(index: number): void {
    this.core.usedBuffers(index);
  }

  /** A fault in queue data: counted, the device needs a reset (§2.1.2), the driver is told. */
  queueFault(fault: VirtqueueFault): void {
    this.core.queueFault(fault);
  }

  get deviceStatus(): number {
    return this.core.status;
  }

  get needsReset(): boolean {
    return this.core.needsReset;
  }

  read(offset: number, size: number): number {
    const core = this.core;
    core.counts.reads++;
    if (offset >= Reg.Config) {
      if (!this.configAccess(offset, size)) return 0;
      return this.device.configRead(offset - Reg.Config, size) >>> 0;
    }
    if (size !== 4 || offset % 4 !== 0) return core.fault('bad-access-size', 0);
    const q = core.regs(this.queueSel);
    switch (offset) {
      case Reg.MagicValue:
        return VIRTIO_MMIO_MAGIC;
      case Reg.Version:
        return VIRTIO_MMIO_VERSION;
      case Reg.DeviceId:
        return this.device.deviceId;
      case Reg.VendorId:
        return VIRTIO_VENDOR_ID;
      case Reg.DeviceFeatures:
        return core.deviceFeatureWord(this.deviceFeaturesSel);
      case Reg.QueueNumMax:
        // 0: no such queue (§4.2.2.1).
        return core.queueMax(this.queueSel);
      case Reg.QueueReady:
        return q?.ready ? 1 : 0;
      case Reg.InterruptStatus:
        return this.interruptStatus;
      case Reg.Status:
        return core.status;
      case Reg.ConfigGeneration:
        // The configuration changes only when the driver selects something (virtio 1.2 §2.5: no generation to bump).
        return 0;
      case Reg.QueueNum:
      case Reg.QueueDescLow:
      case Reg.QueueDescHigh:
      case Reg.QueueDriverLow:
      case Reg.QueueDriverHigh:
      case Reg.QueueDeviceLow:
      case Reg.QueueDeviceHigh:
        return q ? queueRegister(q, offset) : 0;
      default:
        // No register, or a write-only one (the selects, DriverFeatures, QueueNotify,
        // InterruptAck): 0, as QEMU's virtio_mmio_read logs and answers.
        return core.fault('unknown-register', 0);
    }
  }

  write(offset: number, size: number, value: number): void {
    const core = this.core;
    core.counts.writes++;
    value >>>= 0;
    if (offset >= Reg.Config) {
      if (this.configAccess(offset, size) && !this.device.configWrite(offset - Reg.Config, size, value)) core.faults['config-write-refused']++;
      return;
    }
    if (size !== 4 || offset % 4 !== 0) return void core.fault('bad-access-size', 0);
    const sel = this.queueSel;
    switch (offset) {
      case Reg.DeviceFeaturesSel:
        this.deviceFeaturesSel = value;
        return;
      case Reg.DriverFeaturesSel:
        this.driverFeaturesSel = value;
        return;
      case Reg.DriverFeatures:
        return core.writeDriverFeatures(this.driverFeaturesSel, value);
      case Reg.QueueSel:
        this.queueSel = value;
        return;
      case Reg.QueueReady:
        return core.setQueueReady(sel, value !== 0);
      case Reg.QueueNum:
        return core.setQueueSize(sel, value);
      case Reg.QueueDescLow:
        return core.setQueueArea(sel, 'desc', 0, value);
      case Reg.QueueDescHigh:
        return core.setQueueArea(sel, 'desc', 1, value);
      case Reg.QueueDriverLow:
        return core.setQueueArea(sel, 'driver', 0, value);
      case Reg.QueueDriverHigh:
        return core.setQueueArea(sel, 'driver', 1, value);
      case Reg.QueueDeviceLow:
        return core.setQueueArea(sel, 'device', 0, value);
      case Reg.QueueDeviceHigh:
        return core.setQueueArea(sel, 'device', 1, value);
      case Reg.QueueNotify:
        return core.notify(value);
      case Reg.InterruptAck:
        return this.acknowledge(value);
      case Reg.Status:
        return core.writeStatus(value);
      case Reg.MagicValue:
      case Reg.Version:
      case Reg.DeviceId:
      case Reg.VendorId:
      case Reg.DeviceFeatures:
      case Reg.QueueNumMax:
      case Reg.InterruptStatus:
      case Reg.ConfigGeneration:
        return void core.fault('write-to-read-only', 0);
      default:
        return void core.fault('unknown-register', 0);
    }
  }

  /** A system reset (vm.reset()): as if the driver wrote 0 to Status. */
  reset(): void {
    this.core.reset();
  }

  saveState(): VirtioMmioState {
    const { deviceFeaturesSel, driverFeaturesSel, queueSel, interruptStatus } = this;
    return { transport: 'mmio', core: this.core.saveState(), deviceFeaturesSel, driverFeaturesSel, queueSel, interruptStatus };
  }

  /**
   * A snapshot's state into a transport at reset. The interrupt line's level is the interrupt
   * table's (saved with it), so setLevel is not called.
   */
  loadState(state: VirtioTransportState, component = 'virtio-mmio'): void {
    if (state.transport !== 'mmio') throw new StateFormatError(component, `a virtio-${state.transport} transport's state`);
    if ((state.interruptStatus & ~(VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG)) !== 0)
      throw new StateFormatError(component, `interrupt status 0x${state.interruptStatus.toString(16)}`);
    const bad = this.core.loadState(state.core);
    if (bad !== null) throw new StateFormatError(component, bad);
    this.deviceFeaturesSel = state.deviceFeaturesSel;
    this.driverFeaturesSel = state.driverFeaturesSel;
    this.queueSel = state.queueSel;
    this.interruptStatus = state.interruptStatus;
  }

  private clearRegisters(): void {
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.queueSel = 0;
    if (this.interruptStatus !== 0) {
      this.interruptStatus = 0;
      this.setLevel(false);
    }
  }

  private configAccess(offset: number, size: number): boolean {
    if (size !== 1 && size !== 2 && size !== 4) return this.core.fault('bad-access-size', false);
    if (offset - Reg.Config + size > this.device.configBytes) return this.core.fault('unknown-register', false);
    return true;
  }

  private acknowledge(bits: number): void {
    const before = this.interruptStatus;
    this.interruptStatus &= ~bits;
    if (before !== 0 && this.interruptStatus === 0) this.setLevel(false);
  }

  private raise(bit: number): void {
    const before = this.interruptStatus;
    this.interruptStatus |= bit;
    if (before === 0) this.setLevel(true);
  }
}

function queueRegister(q: QueueRegs, offset: number): number {
  switch (offset) {
    case Reg.QueueNum:
      return q.num;
    case Reg.QueueDescLow:
      return q.desc[0];
    case Reg.QueueDescHigh:
      return q.desc[1];
    case Reg.QueueDriverLow:
      return q.driver[0];
    case Reg.QueueDriverHigh:
      return q.driver[1];
    case Reg.QueueDeviceLow:
      return q.device[0];
    default:
      return q.device[1];
  }
}
