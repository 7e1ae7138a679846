// The C guest (guest/c) speaks the protocol of the TypeScript guest: its protocol header
// (generated from abi/schema, as the TS guest's constants are) and its hand-written memory-map
// helpers place devices where machine/memory-map.ts does; its boot block must keep the agreed layout; and the image the KVM backend loads
// must be a read-only ELF at 0x0100_0000 (no writable segment: several vCPUs share it as ROM).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { HOSTILE_ATTACKS } from '../../../guest/ts/workloads/hostile.js';
import * as layout from '../../../machine/memory-map.js';
import {
  BOOT_ABI_VERSION,
  Boot,
  HYPERCALL_BASE,
  Hypercall,
  KVM_BENCH_PROGRAMS,
  KVM_WORKLOADS,
  KvmInputTransport,
  KvmTestMode,
  NO_INPUT,
} from '../../../actors/vcpu/kvm/machine.js';
import { packageRoot } from '../../../shared/package-root.js';

const guestDir = path.join(packageRoot, 'guest', 'c');
const read = (...p: string[]) => readFileSync(path.join(...p), 'utf8');

/** `#define PVG_NAME 0x1234u` lines of a C header. */
function cDefines(file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of read(guestDir, file).matchAll(/^#define\s+(PVG_\w+)\s+(0x[0-9a-fA-F]+|\d+)u?\s*(?:\/\/.*)?$/gm)) {
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

// The constants themselves are generated into protocol.h and the TS modules from abi/schema
// (test/abi/generated.test.ts); these check what is still written by hand on both sides.
describe('the C guest protocol header agrees with the TypeScript guest', () => {
  const c = cDefines('protocol.h');

  it("the memory map and interrupt wiring of machine/memory-map.ts's functions", () => {
    const at = (name: string) => c.get(name) ?? Number.NaN;
    for (let d = 0; d < 16; d++) {
      expect(at('PVG_MMIO_GFX_BASE') + d * at('PVG_MMIO_DEVICE_STRIDE')).toBe(layout.mmioGfxBase(d));
      expect(at('PVG_MMIO_GFX_BASE') + d * at('PVG_MMIO_DEVICE_STRIDE') + at('PVG_MMIO_IOSFC_OFFSET')).toBe(layout.mmioIosfcBase(d));
      expect(at('PVG_ECAM_BASE') + d * at('PVG_ECAM_DEVICE_STRIDE')).toBe(layout.ecamBase(d));
      const v = layout.deviceVectors(d);
      const stride = at('PVG_VECTORS_PER_DEVICE');
      const msi = at('PVG_MSI_BLOCK_BASE') + d * at('PVG_MSI_VECTORS_ENABLED');
      expect([at('PVG_VECTOR_GFX_BASE') + d * stride, at('PVG_VECTOR_IOSFC_BASE') + d * stride, msi]).toEqual([v.gfx, v.iosfc, v.msi]);
    }
  });

  it("the hostile workload's attack count", () => {
    const attacks = /^#define ATTACKS (\d+)u$/m.exec(read(guestDir, 'wl_hostile.c'))?.[1];
    expect(Number(attacks)).toBe(HOSTILE_ATTACKS.length);
  });
});

describe('the boot block, generated for both sides from abi/schema/kvm-boot.ts, keeps its layout', () => {
  it('offsets, size and constants', () => {
    const text = read(guestDir, 'boot_abi.h');
    const offsets = Object.fromEntries([...text.matchAll(/offsetof\(struct pvg_boot, (\w+)\) == (0x[0-9a-fA-F]+)/g)].map((m) => [m[1]!, Number(m[2])]));
    expect(offsets).toEqual({
      self: 0x00,
      magic: 0x08,
      abi_version: 0x0c,
      vcpu: 0x10,
      device: 0x14,
      variant: 0x18,
      workload: 0x1c,
      frames: 0x20,
      seed: 0x24,
      mode: 0x28,
      damage_percent: 0x2c,
      ram_base: 0x30,
      ram_end: 0x38,
      idt: 0x40,
      test_mode: 0x48,
      input_binding: 0x4c,
      input_transport: 0x50,
      state: 0x54,
      frames_done: 0x58,
      interrupts_handled: 0x5c,
      device_errors_seen: 0x60,
      halts: 0x64,
      last_error: 0x68,
      input_events_taken: 0x6c,
      user_stack_top: 0x70,
      ring_gpa: 0x78,
      fail_message: 0x80,
    });
    // The host's mirror (actors/vcpu/kvm/machine.ts) agrees field by field.
    expect({
      self: Boot.self,
      magic: Boot.magic,
      abi_version: Boot.abiVersion,
      vcpu: Boot.vcpu,
      device: Boot.device,
      variant: Boot.variant,
      workload: Boot.workload,
      frames: Boot.frames,
      seed: Boot.seed,
      mode: Boot.mode,
      damage_percent: Boot.damagePercent,
      ram_base: Boot.ramBase,
      ram_end: Boot.ramEnd,
      idt: Boot.idt,
      test_mode: Boot.testMode,
      input_binding: Boot.inputBinding,
      input_transport: Boot.inputTransport,
      state: Boot.state,
      frames_done: Boot.framesDone,
      interrupts_handled: Boot.interruptsHandled,
      device_errors_seen: Boot.deviceErrorsSeen,
      halts: Boot.halts,
      last_error: Boot.lastError,
      input_events_taken: Boot.inputEventsTaken,
      user_stack_top: Boot.userStackTop,
      ring_gpa: Boot.ringGpa,
      fail_message: Boot.failMessage,
    }).toEqual(offsets);
    expect(text).toMatch(/sizeof\(struct pvg_boot\) == 0x100/);
    const abi = cDefines('boot_abi.h');
    expect(abi.get('PVG_BOOT_MAGIC')).toBe(Buffer.from('PVGB').readUInt32LE(0));
    expect(abi.get('PVG_IMAGE_BASE')).toBe(0x0100_0000);
    expect(abi.get('PVG_BOOT_ABI_VERSION')).toBe(BOOT_ABI_VERSION);
    expect(abi.get('PVG_HYPERCALL_BASE')).toBe(HYPERCALL_BASE);
    expect({
      eoi: abi.get('PVG_HC_EOI'),
      done: abi.get('PVG_HC_DONE'),
      fail: abi.get('PVG_HC_FAIL'),
      mark: abi.get('PVG_HC_MARK'),
      halt: abi.get('PVG_HC_HALT'),
    }).toEqual(Hypercall);
    expect({
      none: abi.get('PVG_TEST_NONE'),
      tripleFault: abi.get('PVG_TEST_TRIPLE_FAULT'),
      runawayLoop: abi.get('PVG_TEST_RUNAWAY_LOOP'),
      writeReadOnly: abi.get('PVG_TEST_WRITE_READ_ONLY'),
      unassignedMmio: abi.get('PVG_TEST_UNASSIGNED_MMIO'),
      divideByZero: abi.get('PVG_TEST_DIVIDE_BY_ZERO'),
    }).toEqual(KvmTestMode);
    expect({
      desktop: abi.get('PVG_WORKLOAD_DESKTOP'),
      fullframe: abi.get('PVG_WORKLOAD_FULLFRAME'),
      hostile: abi.get('PVG_WORKLOAD_HOSTILE'),
      paint: abi.get('PVG_WORKLOAD_PAINT'),
    }).toEqual(KVM_WORKLOADS);
    expect(abi.get('PVG_WORKLOAD_MMIOREAD')).toBe(KVM_BENCH_PROGRAMS.mmioread);
    expect(abi.get('PVG_NO_INPUT')).toBe(NO_INPUT);
    expect({ mmio: abi.get('PVG_INPUT_TRANSPORT_MMIO'), pci: abi.get('PVG_INPUT_TRANSPORT_PCI') }).toEqual(KvmInputTransport);
    expect([abi.get('PVG_STATE_BOOTING'), abi.get('PVG_STATE_RUNNING'), abi.get('PVG_STATE_DONE'), abi.get('PVG_STATE_FAILED')]).toEqual([0, 1, 2, 3]);
  });
});

describe('pvg-guest.elf', () => {
  const PT_LOAD = 1,
    PT_DYNAMIC = 2,
    PT_INTERP = 3,
    PT_TLS = 7,
    PF_X = 1,
    PF_W = 2,
    SHT_SYMTAB = 2;
  const IMAGE_BASE = 0x0100_0000n;

  it('is a static x86-64 executable at 0x0100_0000 with no writable segment, entered at _start', () => {
    const file = path.join(packageRoot, 'build', 'guest', 'pvg-guest.elf');
    expect(existsSync(file), `${file} is missing: run npm run build:native`).toBe(true);
    const elf = readFileSync(file);
    expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect([elf[4], elf[5]]).toEqual([2, 1]); // ELFCLASS64, little-endian
    expect(elf.readUInt16LE(16)).toBe(2); // ET_EXEC: not PIE
    expect(elf.readUInt16LE(18)).toBe(62); // EM_X86_64
    const entry = elf.readBigUInt64LE(24);

    const phoff = Number(elf.readBigUInt64LE(32)),
      phentsize = elf.readUInt16LE(54),
      phnum = elf.readUInt16LE(56);
    const segments = Array.from({ length: phnum }, (_, i) => {
      const at = phoff + i * phentsize;
      return {
        type: elf.readUInt32LE(at),
        flags: elf.readUInt32LE(at + 4),
        vaddr: elf.readBigUInt64LE(at + 16),
        paddr: elf.readBigUInt64LE(at + 24),
        filesz: elf.readBigUInt64LE(at + 32),
        memsz: elf.readBigUInt64LE(at + 40),
      };
    });
    expect(segments.filter((s) => [PT_DYNAMIC, PT_INTERP, PT_TLS].includes(s.type))).toEqual([]);
    const loads = segments.filter((s) => s.type === PT_LOAD);
    expect(loads.length).toBeGreaterThanOrEqual(1);
    expect(loads.length).toBeLessThanOrEqual(2);
    for (const s of loads) {
      expect(s.flags & PF_W, `segment at 0x${s.vaddr.toString(16)} is writable`).toBe(0);
      expect(s.paddr).toBe(s.vaddr);
      expect(s.memsz, 'zero-filled memory (bss) in a read-only image').toBe(s.filesz);
    }
    const start = loads.reduce((m, s) => (s.vaddr < m ? s.vaddr : m), loads[0]!.vaddr);
    const end = loads.reduce((m, s) => (s.vaddr + s.memsz > m ? s.vaddr + s.memsz : m), 0n);
    expect(start).toBe(IMAGE_BASE);
    expect(end - start).toBeLessThanOrEqual(0x10_0000n);
    expect(
      loads.some((s) => (s.flags & PF_X) !== 0 && entry >= s.vaddr && entry < s.vaddr + s.memsz),
      'entry in an executable segment',
    ).toBe(true);

    // The entry is _start: find it in the symbol table.
    const shoff = Number(elf.readBigUInt64LE(40)),
      shentsize = elf.readUInt16LE(58),
      shnum = elf.readUInt16LE(60);
    const section = (i: number) => {
      const at = shoff + i * shentsize;
      return {
        type: elf.readUInt32LE(at + 4),
        offset: Number(elf.readBigUInt64LE(at + 24)),
        size: Number(elf.readBigUInt64LE(at + 32)),
        link: elf.readUInt32LE(at + 40),
      };
    };
    const symtab = Array.from({ length: shnum }, (_, i) => section(i)).find((s) => s.type === SHT_SYMTAB);
    expect(symtab, 'a symbol table').toBeDefined();
    const strtab = section(symtab!.link);
    let startAddress: bigint | undefined;
    for (let at = symtab!.offset; at < symtab!.offset + symtab!.size; at += 24) {
      const nameAt = strtab.offset + elf.readUInt32LE(at);
      const name = elf.subarray(nameAt, elf.indexOf(0, nameAt)).toString('latin1');
      if (name === '_start') startAddress = elf.readBigUInt64LE(at + 8);
    }
    expect(startAddress).toBe(entry);
  });
});
