// Prepares one vCPU's boot area in guest RAM for the machine-code guest (docs/kvm.md): identity
// page tables for 0..4 GiB (2 MiB pages, user-accessible: the program runs in ring 3), a GDT with
// ring-0 and ring-3 code and data segments and a TSS (whose RSP0 interrupts from ring 3 switch
// to), and the boot block that tells the guest what to run. Returns where the vCPU starts.
import type { GuestMemory } from '../../../shared/guest-memory/index.js';
import { BOOT_ABI_VERSION, BOOT_MAGIC, Boot, BootArea, GuestState, NO_INPUT } from './machine.js';

export interface BootRequest {
  vcpu: number;
  device: number;
  variant: 'apple-gfx-mmio' | 'apple-gfx-pci';
  workload: number;
  frames: number;
  seed: number;
  mode: number;
  damagePercent: number;
  /** The vCPU's RAM slice: the boot area at its start, the guest's own pages after. */
  sliceBase: number;
  sliceEnd: number;
  testMode: number;
  /** binding k: the guest's keyboard and tablet are virtio devices 2k and 2k + 1 on `transport` (KvmInputTransport); null: none. */
  input: { binding: number; transport: number } | null;
}

export interface LongModeEntry {
  rip: number;
  rsp: number;
  rdi: number;
  gsBase: number;
  cr3: number;
  gdtBase: number;
  gdtLimit: number;
  tssBase: number;
}

const GIB = 0x4000_0000;
const MIB2 = 0x20_0000;
const TABLE = 0x27n; // present, writable, user, accessed
const LARGE_PAGE = 0xe7n; // present, writable, user, accessed, dirty, 2 MiB (no A/D writes by the walker)
const TSS_BYTES = 0x68;
/** null, ring-0 code (64-bit), ring-0 data, ring-3 data, ring-3 code (64-bit); the TSS follows. */
const GDT = [0n, 0x00af_9b00_0000_ffffn, 0x00cf_9300_0000_ffffn, 0x00cf_f300_0000_ffffn, 0x00af_fb00_0000_ffffn];

/** A 16-byte available 64-bit TSS descriptor for [base, base + TSS_BYTES). */
function tssDescriptor(base: number): [bigint, bigint] {
  const b = BigInt(base);
  const low = BigInt(TSS_BYTES - 1) | ((b & 0xff_ffffn) << 16n) | (0x89n << 40n) | (((b >> 24n) & 0xffn) << 56n);
  return [low, b >> 32n];
}

/** A DataView over [gpa, gpa + bytes) of guest RAM. */
export function ramView(memory: GuestMemory, gpa: number, bytes: number): DataView {
  const t = memory.translate(gpa, bytes, 'write');
  if (!t.ok) throw new Error(`boot area at 0x${gpa.toString(16)}: ${t.error.message}`);
  return new DataView(memory.sab, t.offset, bytes);
}

export function prepareBoot(memory: GuestMemory, entry: number, r: BootRequest): LongModeEntry {
  const base = r.sliceBase;
  if (r.sliceEnd - base < BootArea.bytes + 16 * 4096) throw new Error(`vcpu${r.vcpu}: its RAM slice is too small for the KVM guest`);
  const area = ramView(memory, base, BootArea.bytes);
  new Uint8Array(area.buffer, area.byteOffset, BootArea.bytes).fill(0);

  area.setBigUint64(BootArea.pml4, BigInt(base + BootArea.pdpt) | TABLE, true);
  for (let i = 0; i < 4; i++) {
    const pd = BootArea.pd + i * 4096;
    area.setBigUint64(BootArea.pdpt + i * 8, BigInt(base + pd) | TABLE, true);
    for (let j = 0; j < 512; j++) area.setBigUint64(pd + j * 8, BigInt(i * GIB + j * MIB2) | LARGE_PAGE, true);
  }
  const gdt = [...GDT, ...tssDescriptor(base + BootArea.tss)];
  gdt.forEach((d, i) => area.setBigUint64(BootArea.gdt + i * 8, d, true));
  area.setBigUint64(BootArea.tss + 4, BigInt(base + BootArea.kernelStackTop), true); // RSP0
  area.setUint16(BootArea.tss + 0x66, TSS_BYTES, true); // no I/O permission bitmap

  const b = BootArea.block;
  area.setBigUint64(b + Boot.self, BigInt(base + b), true);
  area.setUint32(b + Boot.magic, BOOT_MAGIC, true);
  area.setUint32(b + Boot.abiVersion, BOOT_ABI_VERSION, true);
  area.setUint32(b + Boot.vcpu, r.vcpu, true);
  area.setUint32(b + Boot.device, r.device, true);
  area.setUint32(b + Boot.variant, r.variant === 'apple-gfx-pci' ? 1 : 0, true);
  area.setUint32(b + Boot.workload, r.workload, true);
  area.setUint32(b + Boot.frames, r.frames >>> 0, true);
  area.setUint32(b + Boot.seed, r.seed >>> 0, true);
  area.setUint32(b + Boot.mode, r.mode, true);
  area.setUint32(b + Boot.damagePercent, r.damagePercent, true);
  area.setBigUint64(b + Boot.ramBase, BigInt(base + BootArea.bytes), true);
  area.setBigUint64(b + Boot.ramEnd, BigInt(r.sliceEnd), true);
  area.setBigUint64(b + Boot.idt, BigInt(base + BootArea.idt), true);
  area.setUint32(b + Boot.testMode, r.testMode, true);
  area.setUint32(b + Boot.inputBinding, r.input?.binding ?? NO_INPUT, true);
  area.setUint32(b + Boot.inputTransport, r.input?.transport ?? 0, true);
  area.setUint32(b + Boot.state, GuestState.Booting, true);
  area.setBigUint64(b + Boot.userStackTop, BigInt(base + BootArea.userStackTop), true);

  return {
    rip: entry,
    rsp: base + BootArea.kernelStackTop,
    rdi: base + b,
    gsBase: base + b,
    cr3: base + BootArea.pml4,
    gdtBase: base + BootArea.gdt,
    gdtLimit: gdt.length * 8 - 1,
    tssBase: base + BootArea.tss,
  };
}
