// Which guest image a KVM machine runs: the CRC-32 of its ROM as loaded. A snapshot's vCPUs
// point into that image (RIP, return addresses on their stacks), so a restore runs only on the
// same image, loaded the same way (vmm/snapshot/machine.ts compares it before any thread starts).
import { crc32 } from 'node:zlib';

import type { GuestMemory } from '../../../shared/guest-memory/index.js';
import { ROM_BASE, ROM_BYTES } from './machine.js';

export function guestImageCrc(memory: GuestMemory): number {
  return crc32(memory.view(ROM_BASE, ROM_BYTES, 'read')) >>> 0;
}
