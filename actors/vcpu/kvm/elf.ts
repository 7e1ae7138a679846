// Loads the machine-code guest (an ELF64 x86-64 executable linked at ROM_BASE) into guest
// memory: every PT_LOAD segment copied to its physical address, the rest of it zeroed. The image
// is host-supplied, but it is still checked: segments must lie in the ROM region and none may
// be writable (the ROM is shared by every vCPU and read-only to them).
import type { GuestMemory } from '../../../shared/guest-memory/index.js';

export class GuestImageError extends Error {
  override readonly name = 'GuestImageError';
}

const PT_LOAD = 1;
const PF_W = 2;

export interface LoadedImage {
  entry: number;
  segments: { address: number; fileBytes: number; memoryBytes: number }[];
}

export function loadElfImage(image: Uint8Array, memory: GuestMemory, romBase: number, romBytes: number): LoadedImage {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const fail = (what: string): never => {
    throw new GuestImageError(`guest image: ${what}`);
  };
  if (image.byteLength < 64 || view.getUint32(0, false) !== 0x7f454c46) fail('not an ELF file');
  if (view.getUint8(4) !== 2 || view.getUint8(5) !== 1) fail('not a little-endian ELF64 file');
  if (view.getUint16(18, true) !== 62) fail('not an x86-64 executable');
  const entry = Number(view.getBigUint64(24, true));
  const phoff = Number(view.getBigUint64(32, true));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  if (phentsize < 56 || phoff + phnum * phentsize > image.byteLength) fail('program headers lie outside the file');
  const segments: LoadedImage['segments'] = [];
  const rom = memory.translate(romBase, romBytes, 'read');
  if (!rom.ok) fail(`no ROM region at 0x${romBase.toString(16)}: ${rom.error.message}`);
  const romOffset = rom.ok ? rom.offset : 0;
  memory.bytes.fill(0, romOffset, romOffset + romBytes);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const flags = view.getUint32(at + 4, true);
    const offset = Number(view.getBigUint64(at + 8, true));
    const address = Number(view.getBigUint64(at + 24, true)); // p_paddr
    const fileBytes = Number(view.getBigUint64(at + 32, true));
    const memoryBytes = Number(view.getBigUint64(at + 40, true));
    if (flags & PF_W) fail(`segment ${i} is writable (the guest must keep its state out of its image)`);
    if (fileBytes > memoryBytes || offset + fileBytes > image.byteLength) fail(`segment ${i} is malformed`);
    if (address < romBase || address + memoryBytes > romBase + romBytes) fail(`segment ${i} at 0x${address.toString(16)} lies outside the ROM`);
    // The ROM is read-only to the guest, not to us: write it through the raw bytes.
    memory.bytes.set(image.subarray(offset, offset + fileBytes), romOffset + (address - romBase));
    segments.push({ address, fileBytes, memoryBytes });
  }
  if (segments.length === 0) fail('no loadable segment');
  if (!segments.some((s) => entry >= s.address && entry < s.address + s.memoryBytes)) fail(`entry 0x${entry.toString(16)} is not in a loaded segment`);
  return { entry, segments };
}
