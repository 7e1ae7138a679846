// The built-in guest's virtio-pci transport (modern, virtio 1.2 §4.1), as a firmware and Linux's
// drivers/virtio/virtio_pci_modern_dev.c bring a function up: check the vendor (0x1AF4) and
// device id (0x1040 + type), size and place BAR0, walk the capability list for the vendor
// capabilities (common, notify, ISR, device configuration: vp_modern_probe's
// virtio_pci_find_capability) and the MSI-X capability, check each structure lies inside the BAR
// with the alignment and length vp_modern_map_capability asks for, enable memory space and bus
// mastering, and take interrupts through MSI-X as Linux's msix_capability_init brings it up
// (Enable with Function Mask, every table entry programmed and unmasked, Function Mask off):
// entry 0 for configuration changes (msix_config), entry 1 + q for queue q while the table has
// one (vp_find_vqs_msix's vector per queue), else entry 1 for every queue (its shared fallback);
// each vector read back as vp_modern_config_vector and vp_modern_queue_vector do. The table's
// entries carry this machine's vectors: the configuration's, and one for every queue. Or, with
// `interrupts: 'intx'`, as Linux's vp_find_vqs_intx: MSI-X left off, no vector programmed,
// Interrupt Disable cleared (pci_intx), and each interrupt acknowledged by reading the ISR, which
// clears it and lowers INTA# (vp_interrupt; virtio 1.2 §4.1.4.5). Every
// number read from the device is checked before it is used: a function that lies about its
// layout is refused (DriverError).
import {
  MSIX_BIR_MASK,
  MSIX_CAP_ID,
  MSIX_ENTRY_ADDRESS_HI,
  MSIX_ENTRY_ADDRESS_LO,
  MSIX_ENTRY_BYTES,
  MSIX_ENTRY_DATA,
  MSIX_ENTRY_VECTOR_CTRL,
  MSIX_FLAGS,
  MSIX_FLAGS_ENABLE,
  MSIX_FLAGS_MASKALL,
  MSIX_FLAGS_QSIZE,
  MSIX_PBA,
  MSIX_TABLE,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_INTERRUPT_PIN,
} from '../../abi/generated/machine.js';
import {
  PCI_CAP_ID_VNDR,
  VIRTIO_PCI_BAR_BYTES,
  VIRTIO_PCI_COMMON_CFG_BYTES,
  VIRTIO_PCI_DEVICE_ID_BASE,
  VIRTIO_PCI_VENDOR_ID,
  VirtioPciCap as Cap,
  VirtioPciCapType as CapType,
  VirtioPciCommon as Common,
} from '../../abi/generated/virtio.js';
import { DriverError } from './driver.js';
import type { GuestQueueLayout, GuestVirtioTransport, VirtioPort } from './virtio-transport.js';

/** A function's place: its ECAM window, where to put BAR0, where its MSI-X messages go and with which vectors. */
export interface VirtioPciPlacement {
  ecam: number;
  bar: number;
  msiAddress: number;
  /** This machine's vectors for configuration changes and for the queues (any two, no alignment: MSI-X entries are independent). */
  vectors: { config: number; queues: number };
  /** MSI-X (the default), or INTx on `intxVector` (the vector this machine routes the function's INTA# to). */
  interrupts?: 'msix' | 'intx';
  intxVector?: number;
}

/** A structure's place in BAR0 (offset, length) as its capability gives it. */
interface Structure {
  offset: number;
  length: number;
}

/** Table entries: 0 configuration changes, 1 + q queue q (or 1 for every queue when the table is short). */
const CONFIG_ENTRY = 0;
const QUEUE_ENTRY = 1;

/** Where the function's structures are (guest-physical, in BAR0), its MSI-X table size, as probed; the queues' doorbells as set up. */
interface PciLayout {
  common: number;
  isr: number;
  device: number;
  deviceLength: number;
  notifyBase: number;
  notifyLength: number;
  notifyMultiplier: number;
  tableSize: number;
  doorbells: [number, number][];
}

/** Words of a saved layout before its doorbells. */
const LAYOUT_WORDS = 9;

/** A saved layout (hostile: a file's), checked to lie inside the BAR the configuration places; DriverError otherwise. */
function layoutFromWords(words: readonly number[], bar: number): PciLayout {
  const [common, isr, device, deviceLength, notifyBase, notifyLength, notifyMultiplier, tableSize, count] = words;
  const bad = (what: string): never => {
    throw new DriverError(`saved virtio-pci layout: ${what}`);
  };
  if (count === undefined || words.length !== LAYOUT_WORDS + 2 * count || count > MAX_DOORBELLS) bad(`${words.length} words`);
  const inBar = (at: number, length: number) =>
    Number.isSafeInteger(at) && Number.isSafeInteger(length) && length >= 0 && at >= bar && at + length <= bar + VIRTIO_PCI_BAR_BYTES;
  if (!inBar(common!, VIRTIO_PCI_COMMON_CFG_BYTES) || !inBar(isr!, 1) || !inBar(device!, deviceLength!) || !inBar(notifyBase!, notifyLength!))
    bad('a structure outside BAR0');
  if (!Number.isInteger(notifyMultiplier) || notifyMultiplier! < 0 || notifyMultiplier! > VIRTIO_PCI_BAR_BYTES) bad(`notify multiplier ${notifyMultiplier}`);
  if (!Number.isInteger(tableSize) || tableSize! < 2 || tableSize! > MSIX_FLAGS_QSIZE + 1) bad(`MSI-X table size ${tableSize}`);
  const doorbells: [number, number][] = [];
  for (let i = 0; i < count!; i++) {
    const index = words[LAYOUT_WORDS + 2 * i]!;
    const address = words[LAYOUT_WORDS + 1 + 2 * i]!;
    if (!Number.isInteger(index) || index < 0 || index > 0xffff || !(address >= notifyBase! && address + 2 <= notifyBase! + notifyLength!))
      bad(`doorbell ${i}`);
    doorbells.push([index, address]);
  }
  return {
    common: common!,
    isr: isr!,
    device: device!,
    deviceLength: deviceLength!,
    notifyBase: notifyBase!,
    notifyLength: notifyLength!,
    notifyMultiplier: notifyMultiplier!,
    tableSize: tableSize!,
    doorbells,
  };
}

/** More queues than a virtio-input device has. */
const MAX_DOORBELLS = 16;
/** The queues' vector in `vectors` (the configuration's is at 0). */
const QUEUE_VECTOR = 1;
/** At most this many capabilities are followed (a list that loops is refused). */
const MAX_CAPABILITIES = 48;

export class GuestVirtioPci implements GuestVirtioTransport {
  readonly vectors: readonly number[];
  private readonly intx: boolean;
  private readonly common: number;
  private readonly isr: number;
  private readonly device: number;
  private readonly deviceLength: number;
  private readonly notifyBase: number;
  private readonly notifyLength: number;
  private readonly notifyMultiplier: number;
  private readonly doorbells = new Map<number, number>();
  private readonly tableSize: number;

  /**
   * Probes and brings up the function; throws DriverError when it lies about its layout. With
   * `saved` (saveState's words: a restored guest, which probed before it was saved) no access is
   * made and the words are checked to lie inside BAR0 instead.
   */
  constructor(
    private readonly port: VirtioPort,
    place: VirtioPciPlacement,
    deviceId: number,
    saved?: readonly number[],
  ) {
    this.intx = place.interrupts === 'intx';
    if (this.intx && place.intxVector === undefined) throw new DriverError('INTx needs the vector its pin is routed to');
    this.vectors = this.intx ? [place.intxVector!] : [place.vectors.config, place.vectors.queues];
    const layout = saved ? layoutFromWords(saved, place.bar) : this.probe(place, deviceId);
    this.common = layout.common;
    this.isr = layout.isr;
    this.device = layout.device;
    this.deviceLength = layout.deviceLength;
    this.notifyBase = layout.notifyBase;
    this.notifyLength = layout.notifyLength;
    this.notifyMultiplier = layout.notifyMultiplier;
    this.tableSize = layout.tableSize;
    for (const [index, address] of layout.doorbells) this.doorbells.set(index, address);
  }

  saveState(): number[] {
    const { common, isr, device, deviceLength, notifyBase, notifyLength, notifyMultiplier, tableSize } = this;
    return [common, isr, device, deviceLength, notifyBase, notifyLength, notifyMultiplier, tableSize, this.doorbells.size, ...[...this.doorbells].flat()];
  }

  private probe(place: VirtioPciPlacement, deviceId: number): PciLayout {
    const cfg = (o: number, s: number) => this.port.read(place.ecam + o, s);
    const setCfg = (o: number, s: number, v: number) => this.port.write(place.ecam + o, s, v);
    if ((cfg(0x00, 2) & 0xffff) !== VIRTIO_PCI_VENDOR_ID || (cfg(0x02, 2) & 0xffff) !== VIRTIO_PCI_DEVICE_ID_BASE + deviceId) {
      throw new DriverError(`no virtio-pci device of type ${deviceId} at config 0x${place.ecam.toString(16)}`);
    }
    // BAR0: 32-bit memory; its size from the bits that stay writable.
    if ((cfg(0x10, 4) & 0x7) !== 0) throw new DriverError('BAR0 is not a 32-bit memory BAR');
    setCfg(0x10, 4, 0xffffffff);
    const size = (~(cfg(0x10, 4) & 0xfffffff0) + 1) >>> 0;
    if (size === 0 || (size & (size - 1)) !== 0 || place.bar % size !== 0) throw new DriverError(`BAR0 reports a bad size 0x${size.toString(16)}`);
    setCfg(0x10, 4, place.bar);

    const found = new Map<number, { at: number; s: Structure }>();
    let msix = 0;
    let at = cfg(0x34, 1) & 0xfc;
    for (let n = 0; at !== 0; n++) {
      if (n === MAX_CAPABILITIES || at < 0x40) throw new DriverError('the capability list loops or points into the header');
      const id = cfg(at, 1) & 0xff;
      if (id === MSIX_CAP_ID && msix === 0) msix = at;
      // Only BAR0 is placed; a structure in another BAR is not this driver's (vp_modern_probe skips reserved BARs too).
      if (id === PCI_CAP_ID_VNDR && (cfg(at + Cap.Bar, 1) & 0xff) === 0) {
        const type = cfg(at + Cap.CfgType, 1) & 0xff;
        if (!found.has(type)) found.set(type, { at, s: { offset: cfg(at + Cap.Offset, 4) >>> 0, length: cfg(at + Cap.Length, 4) >>> 0 } });
      }
      at = cfg(at + Cap.Next, 1) & 0xfc;
    }
    // As vp_modern_map_capability: long enough, aligned, inside the BAR.
    const structure = (type: number, minLength: number, align: number): Structure & { at: number } => {
      const f = found.get(type);
      if (!f) throw new DriverError(`no virtio-pci capability of type ${type}`);
      const { offset, length } = f.s;
      if (length < minLength || offset % align !== 0 || offset + Math.max(minLength, 1) > size) {
        throw new DriverError(`virtio-pci structure ${type} (${length} bytes at 0x${offset.toString(16)}) does not fit BAR0`);
      }
      return { at: f.at, offset, length: Math.min(length, size - offset) };
    };
    const common = structure(CapType.Common, VIRTIO_PCI_COMMON_CFG_BYTES, 4);
    const isr = structure(CapType.Isr, 1, 1);
    const notify = structure(CapType.Notify, 2, 2);
    const device = structure(CapType.Device, 0, 4);
    const notifyMultiplier = cfg(notify.at + Cap.NotifyOffMultiplier, 4) >>> 0;

    // MSI-X: a table of at least two entries (one would mean INTx, which a virtio driver falls back
    // to and this function has not), table and PBA in BAR0 (the only BAR placed) and inside it.
    if (msix === 0) throw new DriverError('no MSI-X capability');
    const tableSize = (cfg(msix + MSIX_FLAGS, 2) & MSIX_FLAGS_QSIZE) + 1;
    if (tableSize < 2) throw new DriverError('the MSI-X table has a single entry; this driver needs two');
    const table = cfg(msix + MSIX_TABLE, 4) >>> 0;
    const pba = cfg(msix + MSIX_PBA, 4) >>> 0;
    const tableOffset = table & ~MSIX_BIR_MASK;
    if ((table & MSIX_BIR_MASK) !== 0 || (pba & MSIX_BIR_MASK) !== 0) throw new DriverError('the MSI-X table or PBA is not in BAR0');
    if (tableOffset + tableSize * MSIX_ENTRY_BYTES > size || (pba & ~MSIX_BIR_MASK) + 8 > size) {
      throw new DriverError(`the MSI-X table (${tableSize} entries at 0x${tableOffset.toString(16)}) or PBA does not fit BAR0`);
    }
    if (this.intx) {
      // INTx: the function must have a pin; MSI-X stays off; memory space, bus mastering, and
      // Interrupt Disable cleared (Linux's pci_intx(dev, 1)).
      if ((cfg(PCI_INTERRUPT_PIN, 1) & 0xff) === 0) throw new DriverError('the function has no INTx pin');
      setCfg(msix + MSIX_FLAGS, 2, 0);
      setCfg(PCI_COMMAND, 2, (cfg(PCI_COMMAND, 2) | 0x6) & ~PCI_COMMAND_INTX_DISABLE);
      return this.layout(place, common, isr, device, notify, notifyMultiplier, tableSize);
    }
    // Memory space first: the table is in BAR0. Then as msix_capability_init: Enable with Function
    // Mask, the entries programmed, Function Mask off.
    setCfg(PCI_COMMAND, 2, cfg(PCI_COMMAND, 2) | 0x6);
    setCfg(msix + MSIX_FLAGS, 2, MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL);
    for (let e = 0; e < tableSize; e++) {
      const entry = place.bar + tableOffset + e * MSIX_ENTRY_BYTES;
      this.port.write(entry + MSIX_ENTRY_ADDRESS_LO, 4, place.msiAddress);
      this.port.write(entry + MSIX_ENTRY_ADDRESS_HI, 4, 0);
      this.port.write(entry + MSIX_ENTRY_DATA, 4, e === CONFIG_ENTRY ? place.vectors.config : place.vectors.queues);
      this.port.write(entry + MSIX_ENTRY_VECTOR_CTRL, 4, 0);
    }
    setCfg(msix + MSIX_FLAGS, 2, MSIX_FLAGS_ENABLE);
    return this.layout(place, common, isr, device, notify, notifyMultiplier, tableSize);
  }

  private layout(
    place: VirtioPciPlacement,
    common: Structure,
    isr: Structure,
    device: Structure,
    notify: Structure,
    notifyMultiplier: number,
    tableSize: number,
  ): PciLayout {
    return {
      common: place.bar + common.offset,
      isr: place.bar + isr.offset,
      device: place.bar + device.offset,
      deviceLength: device.length,
      notifyBase: place.bar + notify.offset,
      notifyLength: notify.length,
      notifyMultiplier,
      tableSize,
      doorbells: [],
    };
  }

  status(): number {
    return this.port.read(this.common + Common.DeviceStatus, 1) & 0xff;
  }

  setStatus(value: number): void {
    this.port.write(this.common + Common.DeviceStatus, 1, value);
  }

  deviceFeatures(word: number): number {
    this.port.write(this.common + Common.DeviceFeatureSelect, 4, word);
    return this.port.read(this.common + Common.DeviceFeature, 4) >>> 0;
  }

  setDriverFeatures(word: number, value: number): void {
    this.port.write(this.common + Common.DriverFeatureSelect, 4, word);
    this.port.write(this.common + Common.DriverFeature, 4, value >>> 0);
  }

  configRead8(offset: number): number {
    if (offset >= this.deviceLength) throw new DriverError(`configuration byte ${offset} is past the device's ${this.deviceLength}`);
    return this.port.read(this.device + offset, 1) & 0xff;
  }

  configWrite8(offset: number, value: number): void {
    if (offset >= this.deviceLength) throw new DriverError(`configuration byte ${offset} is past the device's ${this.deviceLength}`);
    this.port.write(this.device + offset, 1, value);
  }

  queueMax(index: number): number {
    this.setCommon16(Common.QueueSelect, index);
    return this.common16(Common.QueueSize);
  }

  setUpQueue(index: number, q: GuestQueueLayout): void {
    // The configuration vector first, as Linux's vp_find_vqs_msix does before its queues: a reset
    // (the status sequence's first step) set it back to NO_VECTOR. Under INTx none is set.
    if (!this.intx) {
      this.setCommon16(Common.MsixConfig, CONFIG_ENTRY);
      if (this.common16(Common.MsixConfig) !== CONFIG_ENTRY) throw new DriverError('the device refused the configuration vector');
    }
    this.setCommon16(Common.QueueSelect, index);
    this.setCommon16(Common.QueueSize, q.size);
    const area = (lo: number, value: number) => {
      this.port.write(this.common + lo, 4, value >>> 0);
      this.port.write(this.common + lo + 4, 4, Math.floor(value / 0x1_0000_0000));
    };
    area(Common.QueueDescLo, q.desc);
    area(Common.QueueDriverLo, q.avail);
    area(Common.QueueDeviceLo, q.used);
    if (!this.intx) {
      const entry = QUEUE_ENTRY + index < this.tableSize ? QUEUE_ENTRY + index : QUEUE_ENTRY;
      this.setCommon16(Common.QueueMsixVector, entry);
      if (this.common16(Common.QueueMsixVector) !== entry) throw new DriverError(`the device refused a vector for queue ${index}`);
    }
    // Where this queue's doorbell is (vp_modern_map_vq_notify): inside the notify structure, 2 bytes.
    const doorbell = this.common16(Common.QueueNotifyOff) * this.notifyMultiplier;
    if (doorbell + 2 > this.notifyLength) throw new DriverError(`queue ${index}'s doorbell is outside the notify structure`);
    this.doorbells.set(index, this.notifyBase + doorbell);
    this.setCommon16(Common.QueueEnable, 1);
    if (this.common16(Common.QueueEnable) !== 1) throw new DriverError(`the device refused queue ${index}`);
  }

  notify(index: number): void {
    const doorbell = this.doorbells.get(index);
    if (doorbell === undefined) throw new DriverError(`queue ${index} was not set up`);
    this.port.write(doorbell, 2, index);
  }

  /**
   * MSI-X needs nothing acknowledged at the device; the vector says the cause: 1 queues, 2
   * configuration. INTx: reading the ISR clears it and lowers the pin (before the EOI, so the
   * level is low when the controller looks again); its bits are the causes, 0 for a spurious one.
   */
  acknowledge(vector: number): number {
    if (this.intx) return this.readIsr();
    return vector === this.vectors[QUEUE_VECTOR] ? 1 : 2;
  }

  /** The ISR status (read clears it): for a driver that polls instead of taking MSIs. */
  readIsr(): number {
    return this.port.read(this.isr, 1) & 0xff;
  }

  private common16(offset: number): number {
    return this.port.read(this.common + offset, 2) & 0xffff;
  }

  private setCommon16(offset: number, value: number): void {
    this.port.write(this.common + offset, 2, value & 0xffff);
  }
}
