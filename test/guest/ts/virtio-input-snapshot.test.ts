// The guest's virtio-input driver state in a snapshot is a file's: a queue page outside the RAM
// the guest allocated, indices its driver could not have, or a virtio-pci layout outside BAR0 is
// refused (a reason, or DriverError) before the restored guest makes a single access.
import { describe, expect, it } from 'vitest';

import { VIRTIO_ID_INPUT, VIRTIO_PCI_BAR_BYTES } from '../../../abi/generated/virtio.js';
import { DriverError } from '../../../guest/ts/driver.js';
import { checkSavedDriver, type VirtioInputDriverState } from '../../../guest/ts/virtio-input.js';
import { GuestVirtioPci } from '../../../guest/ts/virtio-pci-guest.js';

const RAM = { base: 0x4000_0000, next: 0x4001_0000 };
const good: VirtioInputDriverState = { name: 'k', queueGpa: 0x4000_3000, lastUsed: 0xfff0, availIdx: 0x30, eventsTaken: 9, transport: [] };
const BAR = 0xc010_0000;
const PLACE = { ecam: 0xb008_0000, bar: BAR, msiAddress: 0xfee0_0000, vectors: { config: 0x60, queues: 0x61 } };
const untouchable = {
  read: () => {
    throw new Error('a restored transport touched the device');
  },
  write: () => {
    throw new Error('a restored transport touched the device');
  },
};

describe("a restored guest's virtio-input driver", () => {
  it('takes a state its driver could have, and refuses one it could not', () => {
    expect(checkSavedDriver(good, RAM)).toBeNull();
    expect(checkSavedDriver({ ...good, queueGpa: RAM.next }, RAM)).toMatch(/outside the guest's allocated RAM/);
    expect(checkSavedDriver({ ...good, queueGpa: 0x4000_3800 }, RAM)).toMatch(/outside/);
    expect(checkSavedDriver({ ...good, queueGpa: RAM.base - 0x1000 }, RAM)).toMatch(/outside/);
    expect(checkSavedDriver({ ...good, availIdx: 0x31 }, RAM)).toMatch(/queue indices/);
    expect(checkSavedDriver({ ...good, lastUsed: 0x10000 }, RAM)).toMatch(/queue indices/);
    expect(checkSavedDriver({ ...good, eventsTaken: -1 }, RAM)).toMatch(/events taken/);
  });

  it('a virtio-pci layout is taken without touching the device when it lies inside BAR0, refused otherwise', () => {
    // common, isr, device, device length, notify base and length, multiplier, MSI-X table size, doorbells (count, then index and address each).
    const words = [BAR, BAR + 0x1000, BAR + 0x2000, 0x88, BAR + 0x3000, 8, 4, 3, 1, 0, BAR + 0x3000];
    expect(new GuestVirtioPci(untouchable, PLACE, VIRTIO_ID_INPUT, words).saveState()).toEqual(words);
    const bad: number[][] = [
      words.slice(0, 10),
      [BAR + VIRTIO_PCI_BAR_BYTES, ...words.slice(1)],
      [...words.slice(0, 3), VIRTIO_PCI_BAR_BYTES, ...words.slice(4)],
      [...words.slice(0, 7), 1, ...words.slice(8)],
      [...words.slice(0, 10), BAR + 0x3007],
      [...words.slice(0, 9), 0x10000, BAR + 0x3000],
    ];
    for (const w of bad) expect(() => new GuestVirtioPci(untouchable, PLACE, VIRTIO_ID_INPUT, w)).toThrow(DriverError);
  });
});
