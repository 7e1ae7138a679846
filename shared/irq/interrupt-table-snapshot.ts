// The interrupt table in a snapshot: each line's state (masked, an edge pulse latched while
// masked, a level line's input and in-service bit) and the deliveries per vCPU and vector not yet
// EOI'd. The lines' configuration (route, trigger, configured mask) is not in it: it comes from
// the machine's configuration, which builds the table before the restore. The bytes are a
// file's: every field is checked against the table (line and vCPU counts, which bits each
// trigger can have, vectors x86 allows) and the first problem is refused with StateFormatError.
//
// Layout (little-endian): magic 'IRQS', version u32, line count u32 and a state u32 per line,
// vCPU count u32, outstanding-entry count u32, then per entry: vCPU u32, vector u32, count u32
// (by vCPU, then vector; counts non-zero).
import { StateReader, StateWriter } from '../snapshot/state-bytes.js';
import { FIRST_VALID_VECTOR, type InterruptTable, type InterruptTableState, LINE_STATE_BITS } from './interrupt-table.js';

const MAGIC = 0x53515249; // 'IRQS'
const VERSION = 1;
const B = LINE_STATE_BITS;
const ALL_BITS = B.masked | B.latched | B.level | B.inService;

export function saveInterruptTable(table: InterruptTable): Uint8Array {
  const s = table.saveState();
  const w = new StateWriter().u32(MAGIC).u32(VERSION).u32(s.lines.length);
  for (const l of s.lines) w.u32(l);
  w.u32(table.vcpuCount).u32(s.outstanding.length);
  for (const o of s.outstanding) w.u32(o.vcpu).u32(o.vector).u32(o.count);
  return w.finish();
}

/** The state in `bytes`, checked against `table` (its configuration as this machine builds it). */
export function decodeInterruptTableState(
  bytes: Uint8Array,
  table: Pick<InterruptTable, 'lineCount' | 'vcpuCount' | 'isEdge'>,
  component = 'interrupt table',
): InterruptTableState {
  const r = new StateReader(bytes, component);
  r.header(MAGIC, VERSION);
  r.at('lines');
  const n = r.u32();
  if (n !== table.lineCount) r.fail(`${n} lines, the machine has ${table.lineCount}`);
  if (n * 4 > r.left()) r.fail('truncated');
  const lines: number[] = [];
  for (let line = 0; line < n; line++) {
    r.at(`line ${line}`);
    const s = r.u32();
    if ((s & ~ALL_BITS) !== 0) r.fail(`state 0x${s.toString(16)} has bits no line uses`);
    if (table.isEdge(line) && (s & (B.level | B.inService)) !== 0) r.fail('an edge line with a level or in-service bit');
    if (!table.isEdge(line) && (s & B.latched) !== 0) r.fail('a level line with a latched pulse');
    lines.push(s);
  }
  r.at('outstanding');
  const vcpus = r.u32();
  if (vcpus !== table.vcpuCount) r.fail(`${vcpus} vCPUs, the machine has ${table.vcpuCount}`);
  const count = r.count('entries', 12, vcpus * (256 - FIRST_VALID_VECTOR));
  const outstanding: { vcpu: number; vector: number; count: number }[] = [];
  let last = -1;
  for (let i = 0; i < count; i++) {
    const vcpu = r.u32();
    const vector = r.u32();
    const c = r.u32();
    if (vcpu >= vcpus || vector < FIRST_VALID_VECTOR || vector > 255) r.fail(`vCPU ${vcpu} vector ${vector} does not exist`);
    if (vcpu * 256 + vector <= last) r.fail(`vCPU ${vcpu} vector ${vector} out of order or twice`);
    last = vcpu * 256 + vector;
    if (c === 0 || c > 0x7fffffff) r.fail(`vCPU ${vcpu} vector ${vector}: ${c} deliveries outstanding`);
    outstanding.push({ vcpu, vector, count: c });
  }
  r.end();
  return { lines, outstanding };
}

/** Checks `bytes` against the table and loads them into it (before any source or vCPU runs). */
export function loadInterruptTable(table: InterruptTable, bytes: Uint8Array, component = 'interrupt table'): void {
  table.loadState(decodeInterruptTableState(bytes, table, component));
}
