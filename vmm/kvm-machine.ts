// The host side of a VM whose vCPUs are KVM vCPUs: guest memory laid out on host pages with the
// read-only ROM the machine-code guest is loaded into, the KVM VM over that memory (its id is
// what each vCPU actor creates its vCPU in), and its teardown.
import { readFileSync } from 'node:fs';

import { guestImagePath } from '../actors/vcpu/kvm/availability.js';
import { loadElfImage } from '../actors/vcpu/kvm/elf.js';
import { ROM_BASE, ROM_BYTES } from '../actors/vcpu/kvm/machine.js';
import { RAM_BASE } from '../machine/memory-map.js';
import { createGuestMemory, type GuestMemory } from '../shared/guest-memory/index.js';
import { native } from '../shared/native/addon.js';

export class KvmMachine {
  private constructor(
    readonly vm: number,
    readonly entry: number,
  ) {}

  /** Guest RAM (and the ROM) for a KVM VM: each region on a host page boundary. */
  static createMemory(ramBytes: number): GuestMemory {
    return createGuestMemory(
      {
        regions: [
          { name: 'ram', base: RAM_BASE, size: ramBytes },
          { name: 'rom', base: ROM_BASE, size: ROM_BYTES, readOnly: true },
        ],
      },
      { hostPageOffset: (bytes) => native.pageOffsetOf(bytes) },
    );
  }

  /** Loads the machine-code guest into the ROM and registers the memory with a new KVM VM. */
  static create(memory: GuestMemory): KvmMachine {
    const image = loadElfImage(readFileSync(guestImagePath()), memory, ROM_BASE, ROM_BYTES);
    const vm = native.kvmCreateVm(
      memory.bytes,
      memory.regions.map((r) => ({ gpa: r.base, offset: r.offset, size: r.size, readOnly: r.readOnly })),
      process.env.PVG_KVM_DEVICE ?? '/dev/kvm',
    );
    return new KvmMachine(vm, image.entry);
  }

  /** Drops the memory slots (after every vCPU has stopped); the guest RAM may then be freed. */
  destroy(): void {
    native.kvmDestroyVm(this.vm);
  }
}
