// A vCPU's pending interrupt vectors in a snapshot (words VcpuIrqWord.Pending … + 7 of its
// interrupt state): the deliveries it has not taken yet. The rest of the interrupt state is not
// machine state (the futex sequence, park flags and counters, the kick thread, the stop and pause
// words). The bytes are a file's: a vector x86 reserves for exceptions (0–15) pending is refused
// with StateFormatError, as is anything but the eight words.
//
// Layout (little-endian): magic 'VIRQ', version u32, then the 8 pending words (u32; bit v of word
// w is vector 32w + v).
import { StateReader, StateWriter } from '../snapshot/state-bytes.js';
import { FIRST_VALID_VECTOR } from './interrupt-table.js';
import { VCPU_IRQ_PENDING_WORDS, VcpuIrqWord } from './layout.js';
import type { VcpuIrqState } from './vcpu-irq.js';

const MAGIC = 0x51524956; // 'VIRQ'
const VERSION = 1;

export function saveVcpuPending(state: VcpuIrqState): Uint8Array {
  const words = new Int32Array(state.buffer);
  const w = new StateWriter().u32(MAGIC).u32(VERSION);
  for (let i = 0; i < VCPU_IRQ_PENDING_WORDS; i++) w.u32(Atomics.load(words, VcpuIrqWord.Pending + i));
  return w.finish();
}

/** Checks `bytes` and sets the pending vectors of a vCPU that does not run yet (they replace any there). */
export function loadVcpuPending(state: VcpuIrqState, bytes: Uint8Array, component = 'vcpu interrupts'): void {
  const r = new StateReader(bytes, component);
  r.header(MAGIC, VERSION);
  r.at('pending');
  const pending: number[] = [];
  for (let i = 0; i < VCPU_IRQ_PENDING_WORDS; i++) pending.push(r.u32());
  const reserved = pending[0]! & ((1 << FIRST_VALID_VECTOR) - 1);
  if (reserved !== 0) r.fail(`exception vectors pending (bits 0x${reserved.toString(16)})`);
  r.end();
  const words = new Int32Array(state.buffer);
  pending.forEach((p, i) => Atomics.store(words, VcpuIrqWord.Pending + i, p | 0));
}
