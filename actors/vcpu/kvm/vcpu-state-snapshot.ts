// A KVM vCPU's state in a snapshot section (docs/snapshots.md, "Component states"): the codec
// only; what a state may hold is vcpu-state-check.ts. The bytes are a file's: every field is read
// at its width, the count of everything is fixed, nothing may follow, and the decoded state is
// checked whole before anyone may load it into KVM.
//
// Layout (little-endian): magic 'KVCP', version u32, finished u32 (0/1), image CRC-32 u32; the 18
// general registers (u64, kvm_regs order); 8 segments (cs ds es fs gs ss tr ldt), each base u64,
// limit u32, selector u32 and the 9 attributes u32 (type present dpl db s l g avl unusable); gdt
// and idt, each base u64, limit u32; cr0 cr2 cr3 cr4 cr8 efer apic_base (u64); the interrupt
// bitmap (4 × u64); the FPU: fpr (128 bytes), fcw fsw ftwx last_opcode (u32), last_ip last_dp
// (u64), xmm (256 bytes), mxcsr u32; the events: exception injected nr has_error_code pending
// error_code, interrupt injected nr soft shadow, nmi injected pending masked (u32 each).
import { StateReader, StateWriter } from '../../../shared/snapshot/state-bytes.js';
import { checkKvmCpuState, type KvmStateLimits } from './vcpu-state-check.js';
import {
  KVM_CONTROL_NAMES,
  KVM_REG_NAMES,
  KVM_SEGMENT_FLAGS,
  KVM_SEGMENT_NAMES,
  type KvmCpuState,
  type KvmSegment,
  type KvmTable,
  type KvmVcpuSaved,
} from './vcpu-state.js';

const MAGIC = 0x5043564b; // 'KVCP'
const VERSION = 1;
const FPR_BYTES = 128;
const XMM_BYTES = 256;

export function encodeKvmVcpu(saved: KvmVcpuSaved): Uint8Array {
  const { cpu } = saved;
  const w = new StateWriter()
    .u32(MAGIC)
    .u32(VERSION)
    .u32(saved.finished ? 1 : 0)
    .u32(saved.imageCrc);
  for (const name of KVM_REG_NAMES) w.big64(cpu.regs[name]);
  for (const name of KVM_SEGMENT_NAMES) {
    const s = cpu.sregs[name];
    w.big64(s.base).u32(s.limit).u32(s.selector);
    for (const flag of KVM_SEGMENT_FLAGS) w.u32(s[flag]);
  }
  for (const t of [cpu.sregs.gdt, cpu.sregs.idt]) w.big64(t.base).u32(t.limit);
  for (const name of KVM_CONTROL_NAMES) w.big64(cpu.sregs[name]);
  for (let i = 0; i < 4; i++) w.big64(cpu.sregs.interruptBitmap[i] ?? 0n);
  const f = cpu.fpu;
  w.bytes(f.fpr).u32(f.fcw).u32(f.fsw).u32(f.ftwx).u32(f.lastOpcode).big64(f.lastIp).big64(f.lastDp).bytes(f.xmm).u32(f.mxcsr);
  const { exception: x, interrupt: i, nmi: n } = cpu.events;
  w.u32(x.injected).u32(x.nr).u32(x.hasErrorCode).u32(x.pending).u32(x.errorCode);
  w.u32(i.injected).u32(i.nr).u32(i.soft).u32(i.shadow);
  w.u32(n.injected).u32(n.pending).u32(n.masked);
  return w.finish();
}

/** A u32 field that must fit KVM's narrower one (a wider value would not reach KVM as written). */
function narrow(r: StateReader, what: string, bits: 8 | 16): number {
  const v = r.u32();
  if (v >= 2 ** bits) r.fail(`${what} is ${v}, wider than its ${bits} bits`);
  return v;
}

function segment(r: StateReader, name: string): KvmSegment {
  r.at(`sregs.${name}`);
  const base = r.big64();
  const limit = r.u32();
  const selector = narrow(r, 'selector', 16);
  const s = { base, limit, selector } as KvmSegment;
  for (const flag of KVM_SEGMENT_FLAGS) s[flag] = narrow(r, flag, 8);
  return s;
}

function table(r: StateReader, name: string): KvmTable {
  r.at(`sregs.${name}`);
  return { base: r.big64(), limit: narrow(r, 'limit', 16) };
}

/** Decodes and checks (vcpu-state-check.ts) a KVM vCPU section; throws StateFormatError naming the field. */
export function decodeKvmVcpu(bytes: Uint8Array, limits: KvmStateLimits, component = 'kvm vcpu'): KvmVcpuSaved {
  const r = new StateReader(bytes, component);
  r.header(MAGIC, VERSION);
  r.at('finished');
  const finished = r.flag('finished');
  r.at('image');
  const imageCrc = r.u32();
  r.at('regs');
  const regs = {} as KvmCpuState['regs'];
  for (const name of KVM_REG_NAMES) regs[name] = r.big64();
  const sregs = {} as KvmCpuState['sregs'];
  for (const name of KVM_SEGMENT_NAMES) sregs[name] = segment(r, name);
  sregs.gdt = table(r, 'gdt');
  sregs.idt = table(r, 'idt');
  r.at('sregs');
  for (const name of KVM_CONTROL_NAMES) sregs[name] = r.big64();
  sregs.interruptBitmap = [r.big64(), r.big64(), r.big64(), r.big64()];
  r.at('fpu');
  const fpu = {
    fpr: r.bytes(FPR_BYTES),
    fcw: narrow(r, 'fcw', 16),
    fsw: narrow(r, 'fsw', 16),
    ftwx: narrow(r, 'ftwx', 8),
    lastOpcode: narrow(r, 'lastOpcode', 16),
    lastIp: r.big64(),
    lastDp: r.big64(),
    xmm: r.bytes(XMM_BYTES),
    mxcsr: r.u32(),
  };
  r.at('events');
  const exception = {
    injected: narrow(r, 'exception.injected', 8),
    nr: narrow(r, 'exception.nr', 8),
    hasErrorCode: narrow(r, 'exception.hasErrorCode', 8),
    pending: narrow(r, 'exception.pending', 8),
    errorCode: r.u32(),
  };
  const interrupt = {
    injected: narrow(r, 'interrupt.injected', 8),
    nr: narrow(r, 'interrupt.nr', 8),
    soft: narrow(r, 'interrupt.soft', 8),
    shadow: narrow(r, 'interrupt.shadow', 8),
  };
  const nmi = { injected: narrow(r, 'nmi.injected', 8), pending: narrow(r, 'nmi.pending', 8), masked: narrow(r, 'nmi.masked', 8) };
  r.end();
  const cpu: KvmCpuState = { regs, sregs, fpu, events: { exception, interrupt, nmi } };
  checkKvmCpuState(cpu, limits, component);
  return { finished, imageCrc, cpu };
}
