// Fuzz target `virtio-pci`: the virtio-pci transport (its configuration space and BAR0 structures) with a virtio-input keyboard behind it, driven by a program of config-space and BAR0 accesses, guest RAM writes, injected keys and well-formed setups.
// The input is a program over a 64 KiB guest RAM, as the `virtqueue` target's for virtio-mmio.
// Each step's first byte picks an operation: a config-space write or read (any offset in 4 KiB,
// any size), a BAR0 write or read (any offset in 32 KiB, any size: the MSI-X table and PBA
// included), a write of bytes into RAM, a key injected, or a well-formed setup (MSI-X enabled
// with its table programmed, VERSION_1, queue 0, DRIVER_OK: so the fuzzer reaches the queues and
// the interrupts quickly). Checks after every step: nothing throws; every MSI-X message is the
// address and data of a table entry that is not masked, sent only while MSI-X is on and the
// function unmasked; a pending bit only for a masked vector of the table; the ISR holds only its
// two bits; queue_size never reads above the maximum; a ready queue has a valid size; events
// delivered plus waiting never exceed those injected.
import { createGuestMemory, type GuestMemory } from '../../../shared/guest-memory/index.js';
import { isQueueSize } from '../../../shared/virtio/split-queue.js';
import { VirtioPciTransport } from '../../../shared/virtio/pci-transport.js';
import { VirtioInputDevice } from '../../../actors/input/virtio-input.js';
import {
  PCI_CLASS_INPUT_OTHER,
  VIRTIO_F_VERSION_1,
  VIRTIO_INPUT_QUEUE_SIZE,
  VIRTIO_MSI_NO_VECTOR,
  VIRTQ_DESC_F_WRITE,
  VirtioPciCommon as C,
  VirtioPciRegion as Region,
  VirtioStatus as Status,
} from '../../../abi/generated/virtio.js';
import {
  MSI_CAP_OFFSET,
  MSIX_ENTRY_ADDRESS_HI,
  MSIX_ENTRY_ADDRESS_LO,
  MSIX_ENTRY_DATA,
  MSIX_ENTRY_VECTOR_CTRL,
  MSIX_FLAGS,
  MSIX_FLAGS_ENABLE,
  MSIX_FLAGS_MASKALL,
  PCI_STATUS,
  PCI_STATUS_INTERRUPT,
} from '../../../abi/generated/machine.js';
import { check } from '../chunks.js';
import { ByteReader } from '../byte-reader.js';

export const RAM = 0x4000_0000;
export const RAM_BYTES = 0x1_0000;
export const MSI_ADDRESS = 0xfee0_0000;
/** Operation codes: the first byte of each step, modulo their count. */
export const enum Op {
  ConfigWrite = 0,
  ConfigRead = 1,
  BarWrite = 2,
  BarRead = 3,
  RamWrite = 4,
  Key = 5,
  Setup = 6,
}
const OPS = 7;
const SIZES = [1, 2, 4, 8];
/** MSI-X Message Control in config space (the capability is at 0x40 on virtio-pci). */
export const MSIX_CONTROL = MSI_CAP_OFFSET + MSIX_FLAGS;

/**
 * A well-formed bring-up, as the built-in guest's driver does it: MSI-X on (Enable with Function
 * Mask, every entry to MSI_ADDRESS with data `vector` + its index and unmasked, Function Mask
 * off), VERSION_1 only, queue 0 at RAM `base` (descriptors there, avail 0x400 above, used 0x800
 * above, `size` 8-byte buffers from 0x1000 above, all offered), the configuration on entry 0 and
 * the queue on entry 1, DRIVER_OK.
 */
export function setUpPci(t: VirtioPciTransport, memory: GuestMemory, base: number, size: number, vector: number): void {
  const cfg = t.config;
  cfg.write(MSIX_CONTROL, 2, MSIX_FLAGS_ENABLE | MSIX_FLAGS_MASKALL);
  for (let e = 0; e < t.msix.vectors; e++) {
    t.write(Region.MsixTable + 16 * e + MSIX_ENTRY_ADDRESS_LO, 4, MSI_ADDRESS);
    t.write(Region.MsixTable + 16 * e + MSIX_ENTRY_ADDRESS_HI, 4, 0);
    t.write(Region.MsixTable + 16 * e + MSIX_ENTRY_DATA, 4, (vector + e) & 0xff);
    t.write(Region.MsixTable + 16 * e + MSIX_ENTRY_VECTOR_CTRL, 4, 0);
  }
  cfg.write(MSIX_CONTROL, 2, MSIX_FLAGS_ENABLE);
  t.write(C.DeviceStatus, 1, 0);
  t.write(C.DeviceStatus, 1, Status.Acknowledge | Status.Driver);
  t.write(C.DriverFeatureSelect, 4, 1);
  t.write(C.DriverFeature, 4, 1 << (VIRTIO_F_VERSION_1 - 32));
  t.write(C.DeviceStatus, 1, Status.Acknowledge | Status.Driver | Status.FeaturesOk);
  const desc = new DataView(new ArrayBuffer(16 * size));
  for (let i = 0; i < size; i++) {
    desc.setBigUint64(16 * i, BigInt(base + 0x1000 + 8 * i), true);
    desc.setUint32(16 * i + 8, 8, true);
    desc.setUint16(16 * i + 12, VIRTQ_DESC_F_WRITE, true);
  }
  memory.write(base, new Uint8Array(desc.buffer));
  const avail = new DataView(new ArrayBuffer(4 + 2 * size));
  avail.setUint16(2, size, true);
  for (let i = 0; i < size; i++) avail.setUint16(4 + 2 * i, i, true);
  memory.write(base + 0x400, new Uint8Array(avail.buffer));
  t.write(C.MsixConfig, 2, 0);
  t.write(C.QueueSelect, 2, 0);
  t.write(C.QueueSize, 2, size);
  t.write(C.QueueDescLo, 4, base);
  t.write(C.QueueDriverLo, 4, base + 0x400);
  t.write(C.QueueDeviceLo, 4, base + 0x800);
  t.write(C.QueueMsixVector, 2, 1);
  t.write(C.QueueEnable, 2, 1);
  t.write(C.DeviceStatus, 1, Status.Acknowledge | Status.Driver | Status.FeaturesOk | Status.DriverOk);
}

/** A keyboard on virtio-pci whose MSI-X messages are checked against the table when they are sent. */
export function checkedPciKeyboard(memory: GuestMemory): { device: VirtioInputDevice; transport: VirtioPciTransport; msis: number[] } {
  let transport: VirtioPciTransport | null = null;
  const msis: number[] = [];
  const msi = {
    msi(address: number, data: number) {
      const t = transport!;
      const control = t.config.msix()!;
      check(control.enabled && !control.functionMask, `an MSI-X message while ${control.enabled ? 'the function is masked' : 'MSI-X is off'}`);
      const entry = (v: number, field: number) => t.msix.read(Region.MsixTable + 16 * v + field, 4) as number;
      const from = [...Array(t.msix.vectors).keys()].filter(
        (v) =>
          !t.msix.masked(v) && entry(v, MSIX_ENTRY_ADDRESS_HI) * 2 ** 32 + entry(v, MSIX_ENTRY_ADDRESS_LO) === address && entry(v, MSIX_ENTRY_DATA) === data,
      );
      check(from.length > 0, `an MSI-X message (0x${address.toString(16)}, 0x${data.toString(16)}) that no unmasked entry holds`);
      msis.push(data);
    },
  };
  const device = new VirtioInputDevice(
    'keyboard',
    'fuzz',
    (model) => (transport = new VirtioPciTransport(memory, model, { classCode: PCI_CLASS_INPUT_OTHER << 8, msi })),
  );
  return { device, transport: transport!, msis };
}

/** The invariants that hold after every step. */
export function checkPciState(device: VirtioInputDevice, t: VirtioPciTransport): void {
  // INTx: Interrupt Status only while MSI-X is off and the ISR holds a cause; reading the ISR (next) clears both.
  const interruptStatus = (t.config.read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT) !== 0;
  const isr = t.read(Region.Isr, 1);
  check((isr & ~3) === 0, `ISR ${isr}`);
  check(!interruptStatus || (!t.config.msix()!.enabled && isr !== 0), `Interrupt Status with MSI-X ${t.config.msix()!.enabled ? 'on' : 'off'} and ISR ${isr}`);
  check(!t.config.intxAsserted(), 'INTA# still asserted after the ISR was read');
  const pba = t.msix.read(Region.MsixPba, 4) as number;
  check(pba >>> t.msix.vectors === 0, `PBA 0x${pba.toString(16)} past the table's ${t.msix.vectors} vectors`);
  for (let v = 0; v < t.msix.vectors; v++) check(!t.msix.pending(v) || t.msix.masked(v), `vector ${v} pending while unmasked`);
  for (const field of [C.MsixConfig, C.QueueMsixVector]) {
    const vector = t.read(field, 2);
    check(vector === VIRTIO_MSI_NO_VECTOR || vector < t.msix.vectors, `vector ${vector} past the table`);
  }
  const sel = t.read(C.QueueSelect, 2);
  const size = t.read(C.QueueSize, 2);
  check(size <= (sel < 2 ? VIRTIO_INPUT_QUEUE_SIZE : 0), `queue ${sel} reads size ${size}`);
  for (const i of [0, 1]) {
    const q = t.queue(i);
    if (q) check(isQueueSize(q.size, VIRTIO_INPUT_QUEUE_SIZE), `ready queue ${i} of size ${q.size}`);
  }
  const e = device.stats().events;
  check(e.delivered + e.pending <= e.injected, `events: ${JSON.stringify(e)}`);
}

export function fuzz(data: Buffer): void {
  run(data);
}

/** Runs a program; returns the device and the MSIs it sent (the seeds' test reads them). */
export function run(data: Buffer): { device: VirtioInputDevice; msis: number[] } {
  const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM, size: RAM_BYTES }] });
  const { device, transport: t, msis } = checkedPciKeyboard(memory);
  const r = new ByteReader(data);
  for (let steps = 0; !r.done && steps < 512; steps++) {
    switch (r.u8() % OPS) {
      case Op.ConfigWrite:
        t.config.write(r.u16() & 0xfff, SIZES[r.u8() & 3]!, r.u32());
        break;
      case Op.ConfigRead:
        t.config.read(r.u16() & 0xfff, SIZES[r.u8() & 3]!);
        break;
      case Op.BarWrite:
        t.write(r.u16() & 0x7fff, SIZES[r.u8() & 3]!, r.u32());
        break;
      case Op.BarRead: {
        const v = t.read(r.u16() & 0x7fff, SIZES[r.u8() & 3]!);
        check(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, `a BAR read ${v}`);
        break;
      }
      case Op.RamWrite: {
        const at = r.u16() % RAM_BYTES;
        memory.write(RAM + at, r.bytes(Math.min(r.u8(), RAM_BYTES - at)));
        break;
      }
      case Op.Key:
        device.key(r.u8(), (r.u8() & 1) === 1);
        break;
      case Op.Setup:
        setUpPci(t, memory, RAM + (r.u8() & 0x7) * 0x2000, 1 << (r.u8() % 7), r.u8());
        break;
    }
    checkPciState(device, t);
  }
  return { device, msis };
}
