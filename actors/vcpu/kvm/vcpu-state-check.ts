// Every field of a KVM vCPU's saved state checked as hostile input, in one place (docs/kvm.md,
// "Snapshots"), before the state may reach KVM_SET_*: what KVM would refuse (its
// kvm_is_valid_sregs, kvm_valid_efer, the CR0/CR4 rules, KVM_SET_VCPU_EVENTS's checks in
// arch/x86/kvm/x86.c) and what a VM entry would fail on (the segment limit/granularity rule of
// the Intel SDM's guest-state checks) is refused here with a StateFormatError naming the field,
// and so is anything the machine-code guest cannot be in: it runs in 64-bit long mode, from its
// read-only image, with its page tables, GDT and stacks in guest RAM, and this machine never
// raises an NMI. Values that only the guest itself sees (general registers, CR2, the FPU's
// registers) may be anything.
import { StateFormatError } from '../../../shared/snapshot/state-bytes.js';
import { FIRST_VALID_VECTOR } from '../../../shared/irq/interrupt-table.js';
import { KVM_SEGMENT_NAMES, type KvmCpuState, type KvmSegment } from './vcpu-state.js';

/** Where this machine's guest lives: its RAM and its image (the ROM). */
export interface KvmStateLimits {
  ramBase: number;
  ramEnd: number;
  romBase: number;
  romEnd: number;
}

const bit = (n: number) => 1n << BigInt(n);

const CR0 = { PE: bit(0), MP: bit(1), EM: bit(2), TS: bit(3), ET: bit(4), NE: bit(5), WP: bit(16), AM: bit(18), NW: bit(29), CD: bit(30), PG: bit(31) };
const CR0_KNOWN = Object.values(CR0).reduce((a, b) => a | b);
const CR4 = {
  VME: bit(0),
  PVI: bit(1),
  TSD: bit(2),
  DE: bit(3),
  PSE: bit(4),
  PAE: bit(5),
  MCE: bit(6),
  PGE: bit(7),
  PCE: bit(8),
  OSFXSR: bit(9),
  OSXMMEXCPT: bit(10),
};
/** Bits that need no state a snapshot does not keep (no OSXSAVE: XCR0 is not saved; no LA57, PCIDE, PKE, CET, VMXE, SMXE). */
const CR4_ALLOWED = Object.values(CR4).reduce((a, b) => a | b);
const EFER = { SCE: bit(0), LME: bit(8), LMA: bit(10), NXE: bit(11) };
const EFER_ALLOWED = Object.values(EFER).reduce((a, b) => a | b);
/** RFLAGS: bit 1 always set; bits 3, 5, 15 and 22–63 reserved; VM (17) would leave long mode. */
const RFLAGS_FIXED = bit(1);
const RFLAGS_RESERVED = bit(3) | bit(5) | bit(15) | ~((1n << 22n) - 1n);
const RFLAGS_VM = bit(17);
/** IA32_APIC_BASE: bits 0–7 and 9 reserved, the address below 2^52; x2APIC (10) only with the enable bit (11). */
const APIC_BASE_RESERVED = 0xffn | bit(9) | ~((1n << 52n) - 1n);
const U64 = (1n << 64n) - 1n;

function canonical(v: bigint): boolean {
  return v < 1n << 47n || v >= U64 - (1n << 47n) + 1n;
}

class Checker {
  constructor(readonly component: string) {}
  fail(field: string, reason: string): never {
    throw new StateFormatError(`${this.component}: ${field}`, reason);
  }
  that(ok: boolean, field: string, reason: string): void {
    if (!ok) this.fail(field, reason);
  }
  hex(v: bigint): string {
    return `0x${v.toString(16)}`;
  }
}

/** The SDM's rule for a usable segment: G clear allows no limit above 0xfffff, G set needs limit bits 11:0 all ones. */
function segment(c: Checker, name: string, s: KvmSegment): void {
  const f = `sregs.${name}`;
  for (const flag of ['present', 'db', 's', 'l', 'g', 'avl', 'unusable'] as const) c.that(s[flag] <= 1, `${f}.${flag}`, `${s[flag]}, not 0 or 1`);
  c.that(s.type <= 15, `${f}.type`, `${s.type}, a 4-bit field`);
  c.that(s.dpl <= 3, `${f}.dpl`, `${s.dpl}, a privilege level is 0–3`);
  c.that(canonical(s.base), `${f}.base`, `${c.hex(s.base)} is not canonical`);
  if (s.unusable) return;
  c.that(s.present === 1, `${f}.present`, 'a usable segment must be present');
  if (s.g) c.that((s.limit & 0xfff) === 0xfff, `${f}.limit`, `0x${s.limit.toString(16)} with G set: bits 11:0 must be all ones`);
  else c.that(s.limit <= 0xfffff, `${f}.limit`, `0x${s.limit.toString(16)} with G clear: at most 0xfffff`);
}

export function checkKvmCpuState(cpu: KvmCpuState, limits: KvmStateLimits, component = 'kvm vcpu'): void {
  const c = new Checker(component);
  const { regs, sregs, fpu, events } = cpu;
  const ram = (v: bigint, bytes = 1n) => v >= BigInt(limits.ramBase) && v + bytes <= BigInt(limits.ramEnd);

  // The guest runs only its image, with its stacks in RAM.
  c.that(regs.rip >= BigInt(limits.romBase) && regs.rip < BigInt(limits.romEnd), 'regs.rip', `${c.hex(regs.rip)} is outside the guest image`);
  c.that(regs.rsp >= BigInt(limits.ramBase) && regs.rsp <= BigInt(limits.ramEnd), 'regs.rsp', `${c.hex(regs.rsp)} is outside guest RAM`);
  c.that((regs.rflags & RFLAGS_FIXED) !== 0n, 'regs.rflags', `${c.hex(regs.rflags)}: bit 1 must be set`);
  c.that((regs.rflags & RFLAGS_RESERVED) === 0n, 'regs.rflags', `${c.hex(regs.rflags)}: reserved bits set`);
  c.that((regs.rflags & RFLAGS_VM) === 0n, 'regs.rflags', `${c.hex(regs.rflags)}: virtual-8086 mode in long mode`);

  // Long mode with paging: what kvm_is_valid_sregs asks (LME and PG need PAE and LMA), with no
  // CR0/CR4/EFER bit KVM would refuse or this machine does not save the state of.
  const { cr0, cr3, cr4, cr8, efer } = sregs;
  c.that((cr0 & ~CR0_KNOWN) === 0n, 'sregs.cr0', `${c.hex(cr0)}: reserved bits set`);
  c.that((cr0 & CR0.PE) !== 0n && (cr0 & CR0.PG) !== 0n, 'sregs.cr0', `${c.hex(cr0)}: the guest runs with protection and paging on`);
  c.that((cr0 & CR0.NW) === 0n || (cr0 & CR0.CD) !== 0n, 'sregs.cr0', `${c.hex(cr0)}: NW without CD`);
  c.that((cr0 & CR0.EM) === 0n, 'sregs.cr0', `${c.hex(cr0)}: EM set (the guest's SSE would fault)`);
  c.that((cr4 & ~CR4_ALLOWED) === 0n, 'sregs.cr4', `${c.hex(cr4)}: bits outside ${c.hex(CR4_ALLOWED)}`);
  c.that((cr4 & CR4.PAE) !== 0n && (cr4 & CR4.OSFXSR) !== 0n, 'sregs.cr4', `${c.hex(cr4)}: long mode needs PAE, the guest's SSE OSFXSR`);
  c.that((efer & ~EFER_ALLOWED) === 0n, 'sregs.efer', `${c.hex(efer)}: bits outside ${c.hex(EFER_ALLOWED)}`);
  c.that((efer & EFER.LME) !== 0n && (efer & EFER.LMA) !== 0n, 'sregs.efer', `${c.hex(efer)}: long mode needs LME and LMA`);
  c.that((cr3 & 0xfe7n) === 0n, 'sregs.cr3', `${c.hex(cr3)}: flag bits other than PWT and PCD`);
  c.that(ram(cr3 & ~0xfffn, 4096n), 'sregs.cr3', `${c.hex(cr3)}: the page tables are not in guest RAM`);
  c.that(cr8 <= 15n, 'sregs.cr8', `${c.hex(cr8)}: the TPR has 4 bits`);
  const apic = sregs.apicBase;
  c.that((apic & APIC_BASE_RESERVED) === 0n, 'sregs.apicBase', `${c.hex(apic)}: reserved bits set`);
  c.that((apic & bit(10)) === 0n || (apic & bit(11)) !== 0n, 'sregs.apicBase', `${c.hex(apic)}: x2APIC without the enable bit`);

  for (const name of KVM_SEGMENT_NAMES) segment(c, name, sregs[name]);
  const { cs, tr, ldt } = sregs;
  c.that(!cs.unusable && cs.s === 1 && (cs.type & 8) !== 0, 'sregs.cs', 'not a usable code segment');
  c.that(cs.l === 1 && cs.db === 0, 'sregs.cs', 'not a 64-bit code segment (L set, D clear)');
  // SS is left out: an interrupt into ring 0 loads a null SS, whose attributes KVM reports as
  // the hardware left them.
  for (const name of ['ds', 'es', 'fs', 'gs'] as const) {
    const s = sregs[name];
    c.that(s.unusable === 1 || (s.s === 1 && (s.type & 8) === 0), `sregs.${name}`, 'a data segment that is not one');
  }
  c.that(!tr.unusable && tr.s === 0 && tr.type === 11, 'sregs.tr', 'not a busy 64-bit TSS');
  c.that(tr.limit >= 0x67 && ram(tr.base, 0x68n), 'sregs.tr', `TSS at ${c.hex(tr.base)} (limit 0x${tr.limit.toString(16)}) is not a whole TSS in guest RAM`);
  c.that(ldt.unusable === 1 || (ldt.s === 0 && ldt.type === 2), 'sregs.ldt', 'not an LDT');
  c.that(ram(sregs.gdt.base, BigInt(sregs.gdt.limit) + 1n), 'sregs.gdt', `${c.hex(sregs.gdt.base)} + 0x${sregs.gdt.limit.toString(16)} is not in guest RAM`);
  c.that(canonical(sregs.idt.base), 'sregs.idt', `${c.hex(sregs.idt.base)} is not canonical`);

  // The interrupt KVM is delivering: reported in both the bitmap and the events (KVM's
  // get_sregs sets its bit for an injected, not soft, interrupt); a file must agree with itself.
  const { exception, interrupt, nmi } = events;
  const bitmap = sregs.interruptBitmap;
  const expected = [0n, 0n, 0n, 0n];
  if (interrupt.injected && !interrupt.soft) expected[interrupt.nr >> 6] = bit(interrupt.nr & 63);
  c.that(
    bitmap.length === 4 && bitmap.every((w, i) => w === expected[i]),
    'sregs.interruptBitmap',
    'does not name exactly the interrupt the events say is injected',
  );
  for (const [name, v] of [
    ['exception.injected', exception.injected],
    ['exception.pending', exception.pending],
    ['exception.hasErrorCode', exception.hasErrorCode],
    ['interrupt.injected', interrupt.injected],
    ['interrupt.soft', interrupt.soft],
    ['nmi.masked', nmi.masked],
  ] as const)
    c.that(v <= 1, `events.${name}`, `${v}, not 0 or 1`);
  // KVM_SET_VCPU_EVENTS's own rule. (Without the payload capability, which we never enable,
  // KVM reports a pending exception as injected, and loadState hands it back that way.)
  if (exception.injected || exception.pending)
    c.that(exception.nr < 32 && exception.nr !== 2, 'events.exception.nr', `${exception.nr} is not an exception vector`);
  c.that(interrupt.shadow <= 3, 'events.interrupt.shadow', `${interrupt.shadow}: only the MOV SS and STI shadows`);
  if (interrupt.injected && !interrupt.soft)
    c.that(interrupt.nr >= FIRST_VALID_VECTOR, 'events.interrupt.nr', `external interrupt ${interrupt.nr} is an exception vector`);
  c.that(nmi.injected === 0 && nmi.pending === 0, 'events.nmi', 'an NMI in flight, which this machine never raises');

  c.that(fpu.mxcsr <= 0xffff, 'fpu.mxcsr', `0x${fpu.mxcsr.toString(16)}: reserved bits set (FXRSTOR faults)`);
  c.that(fpu.lastOpcode <= 0x7ff, 'fpu.lastOpcode', `0x${fpu.lastOpcode.toString(16)}: an x87 opcode has 11 bits`);
}
