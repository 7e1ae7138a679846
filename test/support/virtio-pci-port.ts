// A vCPU's view of one virtio-pci function without a VM: its ECAM window at ECAM and BAR0 wherever
// the guest placed it (followed through the transport's onBar, as the vCPU's bus follows the BAR
// table), everything else unassigned (all ones). MSIs and INTA#'s level changes are recorded.
import type { GuestMemory } from '../../shared/guest-memory/index.js';
import { VirtioPciTransport } from '../../shared/virtio/pci-transport.js';
import type { VirtioDeviceModel } from '../../shared/virtio/virtio-core.js';
import type { VirtioPort } from '../../guest/ts/virtio-transport.js';
import { PCI_CLASS_INPUT_OTHER, VIRTIO_PCI_BAR_BYTES } from '../../abi/generated/virtio.js';

export const ECAM = 0xb008_0000;
export const BAR = 0xc010_0000;
export const MSI_ADDRESS = 0xfee0_0000;

export interface PciRig {
  transport: VirtioPciTransport;
  port: VirtioPort;
  msis: { address: number; data: number }[];
  bars: (number | null)[];
  /** INTA#'s level, each change in order. */
  intx: boolean[];
}

export function virtioPciRig(memory: GuestMemory, device: VirtioDeviceModel): PciRig {
  const msis: { address: number; data: number }[] = [];
  const bars: (number | null)[] = [];
  const intx: boolean[] = [];
  let bar: number | null = null;
  const transport = new VirtioPciTransport(memory, device, {
    classCode: PCI_CLASS_INPUT_OTHER << 8,
    msi: { msi: (address, data) => msis.push({ address, data }) },
    onBar: (address) => {
      bar = address;
      bars.push(address);
    },
    intx: (asserted) => intx.push(asserted),
  });
  const ones = (size: number) => (size >= 4 ? 0xffffffff : 2 ** (8 * size) - 1);
  const port: VirtioPort = {
    read(address, size) {
      if (address >= ECAM && address < ECAM + 4096) return transport.config.read(address - ECAM, size);
      if (bar !== null && address >= bar && address < bar + VIRTIO_PCI_BAR_BYTES) return transport.read(address - bar, size);
      return ones(size);
    },
    write(address, size, value) {
      if (address >= ECAM && address < ECAM + 4096) transport.config.write(address - ECAM, size, value);
      else if (bar !== null && address >= bar && address < bar + VIRTIO_PCI_BAR_BYTES) transport.write(address - bar, size, value);
    },
  };
  return { transport, port, msis, bars, intx };
}
