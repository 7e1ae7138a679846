// The virtio-pci transport, modern (virtio 1.2 §4.1), for any virtio device model: a PCI
// function (vendor 0x1AF4, device 0x1040 + the virtio type, revision 1) whose configuration
// space (shared/pci/config-space.ts, as apple-gfx-pci's) chains, after its MSI-X capability, the
// vendor-specific capabilities that locate four structures in BAR0: the common configuration
// (features, status, queue setup), the notify doorbells (notify_off_multiplier 4), the ISR
// status and the device configuration; the MSI-X table and PBA have BAR0's fifth 4 KiB page. The
// status, features and queue rules are the transports' shared core (virtio-core.ts).
//
// Interrupts are MSI-X or INTx, as QEMU's virtio-pci offers them (no MSI capability): queues + 1
// MSI-X vectors (shared/pci/msix.ts), and INTA#. msix_config and queue_msix_vector name a table
// entry or VIRTIO_MSI_NO_VECTOR; an entry past the table reads back as NO_VECTOR, as QEMU's
// virtio_pci_common_write answers when `val >= proxy->nvectors`. With MSI-X off an interrupt sets
// its ISR bit and the function's Interrupt Status, which asserts INTA# unless the command
// register's Interrupt Disable is set (virtio 1.2 §4.1.5.3, §4.1.5.4; PCI 3.0 §6.2.2, §6.2.3);
// reading the ISR clears it and deasserts (§4.1.4.5: "the device MUST reset ISR status to 0 on
// driver read", QEMU's virtio_pci_isr_read → pci_irq_deassert), as do enabling MSI-X (PCI 3.0
// §6.8.3.3: MSI-X and INTx are mutually exclusive; QEMU's msix_write_config →
// pci_device_deassert_intx) and a device reset. The level goes to `VirtioPciOptions.intx`.
//
// The MSI-X table and PBA take aligned DWORDs and QWORDs (shared/pci/msix.ts): readHalves and
// write's `high` carry a QWORD's two halves, as the vCPU's bus and the input actor's records do.
//
// Every access is guest input: a field accessed at other than its natural width (§4.1.3.1), an
// offset with no field, a write to a read-only field, a queue the device has not — refused and
// counted, never thrown. Modelled on QEMU's hw/virtio/virtio-pci.c (virtio_pci_common_read and
// _write, virtio_pci_isr_read, virtio_pci_notify_write, the 4 KiB region layout) and on what
// Linux's drivers/virtio/virtio_pci_modern_dev.c (vp_modern_probe, vp_modern_map_capability)
// expects to find.
import type { GuestMemory } from '../guest-memory/index.js';
import {
  PCI_CAP_ID_VNDR,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_PCI_BAR_BYTES,
  VIRTIO_PCI_COMMON_CFG_BYTES,
  VIRTIO_PCI_DEVICE_ID_BASE,
  VIRTIO_PCI_INTX_PIN,
  VIRTIO_PCI_ISR_CONFIG,
  VIRTIO_PCI_ISR_QUEUE,
  VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER,
  VIRTIO_PCI_REVISION,
  VIRTIO_PCI_VENDOR_ID,
  VirtioPciCap as Cap,
  VirtioPciCapAt as CapAt,
  VirtioPciCapType as CapType,
  VirtioPciCommon as Common,
  VirtioPciRegion as Region,
} from '../../abi/generated/virtio.js';
import { PciConfigSpace, type PciCapability } from '../pci/config-space.js';
import type { MsiTarget } from '../pci/msi.js';
import { MsixTable } from '../pci/msix.js';
import { loadPciConfig, savePciConfig } from '../pci/config-snapshot.js';
import { StateFormatError } from '../snapshot/state-bytes.js';
import type { SplitQueue, VirtqueueFault } from './split-queue.js';
import type { VirtioPciState, VirtioTransportState } from './transport-snapshot.js';
import { VirtioCore, type QueueArea, type VirtioCause, type VirtioDeviceModel, type VirtioFault, type VirtioTransport } from './virtio-core.js';

/** The natural width of each common configuration field (§4.1.3.1). */
const FIELD_WIDTH = new Map<number, number>([
  [Common.DeviceFeatureSelect, 4],
  [Common.DeviceFeature, 4],
  [Common.DriverFeatureSelect, 4],
  [Common.DriverFeature, 4],
  [Common.MsixConfig, 2],
  [Common.NumQueues, 2],
  [Common.DeviceStatus, 1],
  [Common.ConfigGeneration, 1],
  [Common.QueueSelect, 2],
  [Common.QueueSize, 2],
  [Common.QueueMsixVector, 2],
  [Common.QueueEnable, 2],
  [Common.QueueNotifyOff, 2],
  [Common.QueueDescLo, 4],
  [Common.QueueDescHi, 4],
  [Common.QueueDriverLo, 4],
  [Common.QueueDriverHi, 4],
  [Common.QueueDeviceLo, 4],
  [Common.QueueDeviceHi, 4],
]);

const AREA_FIELDS = new Map<number, [QueueArea, 0 | 1]>([
  [Common.QueueDescLo, ['desc', 0]],
  [Common.QueueDescHi, ['desc', 1]],
  [Common.QueueDriverLo, ['driver', 0]],
  [Common.QueueDriverHi, ['driver', 1]],
  [Common.QueueDeviceLo, ['device', 0]],
  [Common.QueueDeviceHi, ['device', 1]],
]);

export interface VirtioPciOptions {
  /** Base class, subclass and programming interface (virtio-input: PCI_CLASS_INPUT_OTHER << 8). */
  classCode: number;
  /** Where MSIs go (the VM's interrupt table). */
  msi: MsiTarget;
  /** BAR0 moved (null: it decodes nowhere); the owner publishes it to the vCPUs' buses. */
  onBar?: (address: number | null) => void;
  /** INTA#'s level changed (the owner drives the function's level line). */
  intx?: (asserted: boolean) => void;
}

/** Interrupts the transport raised, by what became of them. */
export interface VirtioPciInterrupts {
  /** MSI-X messages sent, at the raise or when a pending vector was unmasked. */
  sent: number;
  /** MSI-X was off: the interrupt went to INTx (its ISR bit and Interrupt Status). */
  disabled: number;
  /** INTA# asserted (low to high: a raise, Interrupt Disable cleared with Interrupt Status set, a restore). */
  intx: number;
  /** The vector was masked: held in its pending bit. */
  masked: number;
  /** The cause had VIRTIO_MSI_NO_VECTOR. */
  noVector: number;
}

export class VirtioPciTransport implements VirtioTransport {
  /** The function's PCI configuration space (ECAM window): owned here, accessed by the actor. */
  readonly config: PciConfigSpace;
  /** The MSI-X table and pending bits in BAR0 (saveState/loadState for snapshots). */
  readonly msix: MsixTable;
  readonly interrupts: VirtioPciInterrupts = { sent: 0, disabled: 0, intx: 0, masked: 0, noVector: 0 };
  private readonly core: VirtioCore;
  private deviceFeatureSel = 0;
  private driverFeatureSel = 0;
  private queueSel = 0;
  private isr = 0;
  private configVector = VIRTIO_MSI_NO_VECTOR;
  private readonly queueVectors: number[];
  private readonly halves = new Uint32Array(2);

  constructor(
    memory: GuestMemory,
    private readonly device: VirtioDeviceModel,
    options: VirtioPciOptions,
  ) {
    this.queueVectors = device.queueMax.map(() => VIRTIO_MSI_NO_VECTOR);
    this.core = new VirtioCore(
      memory,
      device,
      (cause) => this.raise(cause),
      () => this.clearRegisters(),
      'max',
    );
    this.config = new PciConfigSpace({
      revision: VIRTIO_PCI_REVISION,
      identity: {
        vendor: VIRTIO_PCI_VENDOR_ID,
        device: VIRTIO_PCI_DEVICE_ID_BASE + device.deviceId,
        classCode: options.classCode,
        subsystemVendor: VIRTIO_PCI_VENDOR_ID,
        subsystem: device.deviceId,
        bar0Size: VIRTIO_PCI_BAR_BYTES,
        capabilities: virtioCapabilities(device),
        // One vector for configuration changes and one per queue: what Linux's vp_find_vqs_msix asks first.
        msix: { vectors: device.queueMax.length + 1, tableOffset: Region.MsixTable, pbaOffset: Region.MsixPba },
        intxPin: VIRTIO_PCI_INTX_PIN,
      },
      onChange: (change) => {
        if (change.kind === 'bar0') options.onBar?.(change.address);
        else if (change.kind === 'msix') {
          // MSI-X on: INTx may not be used (PCI 3.0 §6.8.3.3), so a pending INTx is dropped, as QEMU's msix_write_config does.
          if (change.enabled) this.config.setInterruptStatus(false);
          this.msix.controlChanged();
        } else if (change.kind === 'intx') {
          if (change.asserted) this.interrupts.intx++;
          options.intx?.(change.asserted);
        }
      },
    });
    // Every message is counted where it leaves: at a raise, or when a pending vector is unmasked (a table write, Function Mask, Enable).
    this.msix = new MsixTable(this.config, {
      msi: (address, data) => {
        this.interrupts.sent++;
        options.msi.msi(address, data);
      },
    });
  }

  get faults(): Record<VirtioFault, number> {
    return this.core.faults;
  }

  get counts(): { reads: number; writes: number; resets: number; notifications: number } {
    return this.core.counts;
  }

  get deviceStatus(): number {
    return this.core.status;
  }

  get needsReset(): boolean {
    return this.core.needsReset;
  }

  queue(index: number): SplitQueue | null {
    return this.core.queue(index);
  }

  usedBuffers(index: number): void {
    this.core.usedBuffers(index);
  }

  queueFault(fault: VirtqueueFault): void {
    this.core.queueFault(fault);
  }

  /** A read of BAR0 at `offset` (a QWORD's low half: readHalves has both). */
  read(offset: number, size: number): number {
    this.readHalves(offset, size, this.halves);
    return this.halves[0]!;
  }

  /** A read of BAR0 at `offset` into `into`: [0] the value, [1] a QWORD's high half (only the MSI-X table and PBA take QWORDs; 0 otherwise). */
  readHalves(offset: number, size: number, into: Uint32Array): void {
    into[1] = 0;
    if (offset >= Region.MsixTable && offset < VIRTIO_PCI_BAR_BYTES) {
      this.core.counts.reads++;
      const fault = this.msix.readHalves(offset, size, into);
      if (fault) into[0] = this.core.fault(fault, 0);
      return;
    }
    into[0] = this.readRegister(offset, size);
  }

  private readRegister(offset: number, size: number): number {
    const core = this.core;
    core.counts.reads++;
    if (offset < VIRTIO_PCI_COMMON_CFG_BYTES) return this.readCommon(offset, size);
    if (offset >= Region.Isr && offset < Region.Device) {
      if (offset !== Region.Isr) return core.fault('unknown-register', 0);
      if (size !== 1) return core.fault('bad-access-size', 0);
      // Reading the ISR status clears it and deasserts INTx (§4.1.4.5; QEMU's virtio_pci_isr_read).
      const isr = this.isr;
      this.isr = 0;
      this.config.setInterruptStatus(false);
      return isr;
    }
    if (offset >= Region.Device && offset < Region.Notify) {
      if (!this.deviceAccess(offset - Region.Device, size)) return 0;
      return this.device.configRead(offset - Region.Device, size) >>> 0;
    }
    // The notify doorbells are write-only; the rest of the BAR holds nothing.
    return core.fault('unknown-register', 0);
  }

  /** A write of BAR0 at `offset`; `high` is a QWORD's high half (only the MSI-X table takes QWORDs). */
  write(offset: number, size: number, value: number, high = 0): void {
    const core = this.core;
    core.counts.writes++;
    value >>>= 0;
    if (offset < VIRTIO_PCI_COMMON_CFG_BYTES) return this.writeCommon(offset, size, value);
    if (offset >= Region.Isr && offset < Region.Device) return void core.fault(offset === Region.Isr ? 'write-to-read-only' : 'unknown-register', 0);
    if (offset >= Region.Device && offset < Region.Notify) {
      if (this.deviceAccess(offset - Region.Device, size) && !this.device.configWrite(offset - Region.Device, size, value))
        core.faults['config-write-refused']++;
      return;
    }
    if (offset >= Region.MsixTable && offset < VIRTIO_PCI_BAR_BYTES) {
      const fault = this.msix.write(offset, size, value, high);
      if (fault) core.fault(fault, 0);
      return;
    }
    if (offset >= Region.Notify && offset < Region.MsixTable) {
      const at = offset - Region.Notify;
      if (at % VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER !== 0) return void core.fault('unknown-register', 0);
      if (size !== 2 && size !== 4) return void core.fault('bad-access-size', 0);
      // The doorbell's address names the queue (queue_notify_off = its index; one past the device's
      // queues is counted as no-such-queue); the value is not needed without
      // VIRTIO_F_NOTIFICATION_DATA (QEMU's virtio_pci_notify_write does the same).
      return core.notify(at / VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER);
    }
    core.fault('unknown-register', 0);
  }

  /** A system reset (vm.reset()): the device as if the driver wrote 0 to device_status, the function's configuration space and its MSI-X table. */
  reset(): void {
    this.core.reset();
    this.config.reset();
    this.msix.reset();
  }

  saveState(): VirtioPciState {
    const { deviceFeatureSel, driverFeatureSel, queueSel, isr, configVector } = this;
    const core = this.core.saveState();
    return {
      transport: 'pci',
      core,
      deviceFeatureSel,
      driverFeatureSel,
      queueSel,
      isr,
      configVector,
      queueVectors: [...this.queueVectors],
      config: savePciConfig(this.config),
      msix: this.msix.saveState(),
    };
  }

  /**
   * A snapshot's state into a transport at reset (and its configuration space at power-on, which
   * reports the BAR placement and MSI state the bytes make, as a guest's writes would). Refused
   * with StateFormatError and the transport back at reset.
   */
  loadState(state: VirtioTransportState, component = 'virtio-pci'): void {
    if (state.transport !== 'pci') throw new StateFormatError(component, `a virtio-${state.transport} transport's state`);
    const vector = (v: number) => v === VIRTIO_MSI_NO_VECTOR || v < this.msix.vectors;
    if (state.isr > (VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG)) throw new StateFormatError(component, `ISR status 0x${state.isr.toString(16)}`);
    if (state.queueSel > 0xffff) throw new StateFormatError(component, `queue select ${state.queueSel}`);
    if (state.queueVectors.length !== this.queueVectors.length || ![state.configVector, ...state.queueVectors].every(vector))
      throw new StateFormatError(component, 'MSI-X entries the table does not have, or not one per queue');
    const bad = this.core.loadState(state.core);
    if (bad !== null) throw new StateFormatError(component, bad);
    try {
      loadPciConfig(this.config, state.config, `${component}: pci config`);
      // After the configuration space (Enable, Function Mask), as QEMU's msix_load: an unmasked
      // vector left pending goes out now.
      this.msix.loadState(state.msix);
    } catch (err) {
      this.core.reset();
      this.config.reset();
      this.msix.reset();
      throw err instanceof RangeError ? new StateFormatError(component, err.message) : err;
    }
    this.deviceFeatureSel = state.deviceFeatureSel;
    this.driverFeatureSel = state.driverFeatureSel;
    this.queueSel = state.queueSel;
    this.isr = state.isr;
    this.configVector = state.configVector;
    this.queueVectors.splice(0, this.queueVectors.length, ...state.queueVectors);
  }

  private readCommon(offset: number, size: number): number {
    const core = this.core;
    const width = FIELD_WIDTH.get(offset);
    if (width === undefined) return core.fault('unknown-register', 0);
    if (size !== width) return core.fault('bad-access-size', 0);
    const q = core.regs(this.queueSel);
    switch (offset) {
      case Common.DeviceFeatureSelect:
        return this.deviceFeatureSel;
      case Common.DeviceFeature:
        return core.deviceFeatureWord(this.deviceFeatureSel);
      case Common.DriverFeatureSelect:
        return this.driverFeatureSel;
      case Common.DriverFeature:
        return core.driverFeatureWord(this.driverFeatureSel);
      case Common.MsixConfig:
        return this.configVector;
      case Common.NumQueues:
        return core.queueCount;
      case Common.DeviceStatus:
        return core.status;
      case Common.ConfigGeneration:
        // The configuration changes only when the driver selects something (§2.5: no generation to bump).
        return 0;
      case Common.QueueSelect:
        return this.queueSel;
      case Common.QueueSize:
        // 0: no such queue (§4.1.4.3).
        return q ? q.num : 0;
      case Common.QueueMsixVector:
        return this.queueVectors[this.queueSel] ?? VIRTIO_MSI_NO_VECTOR;
      case Common.QueueEnable:
        return q?.ready ? 1 : 0;
      case Common.QueueNotifyOff:
        return q ? this.queueSel : 0;
      default: {
        if (!q) return 0;
        const [area, half] = AREA_FIELDS.get(offset)!;
        return q[area][half];
      }
    }
  }

  private writeCommon(offset: number, size: number, value: number): void {
    const core = this.core;
    const width = FIELD_WIDTH.get(offset);
    if (width === undefined) return void core.fault('unknown-register', 0);
    if (size !== width) return void core.fault('bad-access-size', 0);
    const sel = this.queueSel;
    switch (offset) {
      case Common.DeviceFeatureSelect:
        this.deviceFeatureSel = value;
        return;
      case Common.DriverFeatureSelect:
        this.driverFeatureSel = value;
        return;
      case Common.DriverFeature:
        return core.writeDriverFeatures(this.driverFeatureSel, value);
      case Common.MsixConfig:
        this.configVector = this.vector(value);
        return;
      case Common.DeviceStatus:
        return core.writeStatus(value);
      case Common.QueueSelect:
        this.queueSel = value;
        return;
      case Common.QueueSize:
        return core.setQueueSize(sel, value);
      case Common.QueueMsixVector:
        if (sel >= this.queueVectors.length) return void core.fault('no-such-queue', 0);
        this.queueVectors[sel] = this.vector(value);
        return;
      case Common.QueueEnable:
        // A driver never writes 0 (§4.1.4.3.2): a queue is disabled only by a device reset.
        if (value === 0) {
          if (core.regs(sel)?.ready) core.fault('queue-changed-while-ready', 0);
          else if (!core.regs(sel)) core.fault('no-such-queue', 0);
          return;
        }
        return core.setQueueReady(sel, true);
      case Common.DeviceFeature:
      case Common.NumQueues:
      case Common.ConfigGeneration:
      case Common.QueueNotifyOff:
        return void core.fault('write-to-read-only', 0);
      default: {
        const [area, half] = AREA_FIELDS.get(offset)!;
        return core.setQueueArea(sel, area, half, value);
      }
    }
  }

  /** An entry of the MSI-X table, or NO_VECTOR (counted when the driver asked for one past the table). */
  private vector(value: number): number {
    if (value === VIRTIO_MSI_NO_VECTOR || value < this.msix.vectors) return value;
    this.core.faults['bad-vector']++;
    return VIRTIO_MSI_NO_VECTOR;
  }

  private deviceAccess(offset: number, size: number): boolean {
    if (size !== 1 && size !== 2 && size !== 4) return this.core.fault('bad-access-size', false);
    if (offset + size > this.device.configBytes) return this.core.fault('unknown-register', false);
    return true;
  }

  private clearRegisters(): void {
    this.deviceFeatureSel = 0;
    this.driverFeatureSel = 0;
    this.queueSel = 0;
    this.isr = 0;
    this.config.setInterruptStatus(false);
    // Every event unmapped (virtio 1.2 §4.1.5.1.2.1), and what was pending for the old driver dropped (QEMU's virtio_pci_reset: msix_unuse_all_vectors).
    this.configVector = VIRTIO_MSI_NO_VECTOR;
    this.queueVectors.fill(VIRTIO_MSI_NO_VECTOR);
    this.msix.clearPending();
  }

  private raise(cause: VirtioCause): void {
    // QEMU sets the ISR whatever the transport does next (virtio_set_isr before virtio_notify_vector).
    this.isr |= cause.kind === 'vring' ? VIRTIO_PCI_ISR_QUEUE : VIRTIO_PCI_ISR_CONFIG;
    // MSI-X off: INTx (§4.1.5.3, §4.1.5.4), asserted unless Interrupt Disable holds it.
    if (!this.config.msix()!.enabled) {
      this.interrupts.disabled++;
      this.config.setInterruptStatus(true);
      return;
    }
    const vector = cause.kind === 'vring' ? this.queueVectors[cause.queue]! : this.configVector;
    // MSI-X on and NO_VECTOR: no interrupt for this event (§4.1.5.3, §4.1.5.4).
    if (vector === VIRTIO_MSI_NO_VECTOR) {
      this.interrupts.noVector++;
      return;
    }
    const outcome = this.msix.signal(vector);
    if (outcome !== 'sent') this.interrupts[outcome]++;
  }
}

/** The four structure capabilities, in config space order, for a device's queue count and configuration size. */
function virtioCapabilities(device: VirtioDeviceModel): PciCapability[] {
  return [
    capability(CapAt.Common, CapType.Common, Region.Common, VIRTIO_PCI_COMMON_CFG_BYTES),
    capability(CapAt.Notify, CapType.Notify, Region.Notify, device.queueMax.length * VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER, VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER),
    capability(CapAt.Isr, CapType.Isr, Region.Isr, 1),
    capability(CapAt.Device, CapType.Device, Region.Device, device.configBytes),
  ];
}

/** struct virtio_pci_cap (16 bytes), or virtio_pci_notify_cap (20) with a multiplier; all in BAR0. */
function capability(at: number, type: number, offset: number, length: number, multiplier?: number): PciCapability {
  const bytes = new Uint8Array(multiplier === undefined ? 16 : 20);
  const view = new DataView(bytes.buffer);
  bytes[Cap.Vndr] = PCI_CAP_ID_VNDR;
  bytes[Cap.Len] = bytes.length;
  bytes[Cap.CfgType] = type;
  bytes[Cap.Bar] = 0;
  view.setUint32(Cap.Offset, offset, true);
  view.setUint32(Cap.Length, length, true);
  if (multiplier !== undefined) view.setUint32(Cap.NotifyOffMultiplier, multiplier, true);
  return { offset: at, bytes };
}
