// What the built-in guest's virtio drivers need of a transport, whichever it is: virtio-mmio
// (virtio-mmio-guest.ts) or virtio-pci (virtio-pci-guest.ts). The device driver (virtio-input.ts)
// is written once over this, as Linux's virtio_input.c is over virtio_config_ops.
import { VIRTIO_F_VERSION_1, VirtioStatus as Status } from '../../abi/generated/virtio.js';
import { DriverError } from './driver.js';

/** MMIO of any size, as the vCPU's bus gives it (configuration bytes are read one at a time). */
export interface VirtioPort {
  read(address: number, size: number): number;
  write(address: number, size: number, value: number): void;
}

/** Where a queue's three areas are (guest-physical) and its size. */
export interface GuestQueueLayout {
  size: number;
  desc: number;
  avail: number;
  used: number;
}

export interface GuestVirtioTransport {
  /** The device status register. */
  status(): number;
  setStatus(value: number): void;
  /** 32 bits of the device's features (word 0 or 1). */
  deviceFeatures(word: number): number;
  setDriverFeatures(word: number, value: number): void;
  configRead8(offset: number): number;
  configWrite8(offset: number, value: number): void;
  /** The largest size queue `index` takes (0: no such queue). */
  queueMax(index: number): number;
  /** Sets queue `index` up and makes it ready; throws DriverError when the device refuses. */
  setUpQueue(index: number, layout: GuestQueueLayout): void;
  notify(index: number): void;
  /** An interrupt on `vector` came: acknowledge it at the device (before the EOI); returns its causes. */
  acknowledge(vector: number): number;
  /** The vectors this device's interrupts arrive on. */
  readonly vectors: readonly number[];
  /** What the transport found while probing (a snapshot of the guest), as words; a restored transport is built from them. */
  saveState(): number[];
}

/**
 * The status sequence of virtio 1.2 §3.1.1 up to FEATURES_OK: reset, ACKNOWLEDGE, DRIVER, accept
 * VIRTIO_F_VERSION_1 and nothing else, FEATURES_OK read back. Throws when the device refuses.
 */
export function negotiateVersion1(t: GuestVirtioTransport): void {
  t.setStatus(0);
  t.setStatus(Status.Acknowledge);
  t.setStatus(Status.Acknowledge | Status.Driver);
  const bit = 1 << (VIRTIO_F_VERSION_1 - 32);
  if ((t.deviceFeatures(1) & bit) === 0) throw new DriverError('the device does not offer VIRTIO_F_VERSION_1');
  t.setDriverFeatures(1, bit);
  t.setDriverFeatures(0, 0);
  t.setStatus(Status.Acknowledge | Status.Driver | Status.FeaturesOk);
  if ((t.status() & Status.FeaturesOk) === 0) throw new DriverError('the device refused FEATURES_OK');
}
