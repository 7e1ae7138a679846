// hostile: every frame the guest does one malformed thing — bad commands, out-of-range and
// overlapping mappings, read-only violations, bad MMIO offsets and sizes — and then draws a
// valid frame. It must produce errors and counters only: the VM keeps running.
import { Op, Reg, commandHeader } from '../protocol.js';
import { WORKLOAD_CTX, checkWords, current, mappedBuffer, type GuestEnv, type Workload } from './workload.js';

const RO_CTX = 2;
const OUTSIDE_RAM = 0x1000;

type Attack = (env: GuestEnv, ro: number) => void;

const ATTACKS: { name: string; run: Attack }[] = [
  { name: 'unknown opcode', run: (e) => e.driver.submitRaw([commandHeader(0x7f as Op, 1)]) },
  { name: 'overlapping map', run: (e, ro) => e.driver.map(WORKLOAD_CTX, 0, [{ gpa: ro, length: 4096 }]) },
  { name: 'read-only violation', run: (e, ro) => e.driver.readMem(RO_CTX, 0, ro, 64) },
  { name: 'mapping outside RAM', run: (e) => e.driver.map(WORKLOAD_CTX, 0x40_0000, [{ gpa: OUTSIDE_RAM, length: 4096 }]) },
  { name: 'MMIO read of size 2', run: (e) => void e.rawRead(e.gfxBase + Reg.Status, 2) },
  { name: 'MMIO write to no register', run: (e) => e.rawWrite(e.gfxBase + 0x3000, 4, 1) },
  { name: 'MMIO read of unassigned space', run: (e) => void e.rawRead(0x1000, 4) },
  { name: 'map past the context window', run: (e, ro) => e.driver.map(WORKLOAD_CTX, 0x3fff_f000, [{ gpa: ro, length: 8192 }]) },
  { name: 'zero-length command header', run: (e) => e.driver.submitRaw([0]) },
  { name: 'fill outside the frame', run: (e) => e.driver.fill(0, 0xfffffff0, 0, 0x20, 1, 0) },
  { name: 'unmap what is not mapped', run: (e) => e.driver.unmap(WORKLOAD_CTX, 0x80_0000, 4096) },
  { name: 'context created twice', run: (e) => e.driver.ctxCreate(WORKLOAD_CTX, 4096) },
  { name: 'cursor of 12 bpp', run: (e) => e.driver.cursorDefine(0, WORKLOAD_CTX, 0, 16, 16, 12, 64, 0, 0) },
  { name: 'READ_MEM too long', run: (e, ro) => e.driver.readMem(WORKLOAD_CTX, 0, ro, 1 << 20) },
  { name: 'present 17 rectangles', run: (e) => e.driver.submitRaw([commandHeader(Op.Present, 3), 0, 17]) },
  { name: 'MMIO read of size 8, not 8-aligned', run: (e) => void e.rawRead(e.gfxBase + Reg.Version, 8) },
  { name: 'misaligned MMIO write', run: (e) => e.rawWrite(e.gfxBase + Reg.IrqMask + 1, 4, 1) },
  { name: 'doorbell beyond the ring', run: (e) => e.rawWrite(e.gfxBase + Reg.Doorbell, 4, 0x7fff_fff0) },
];

const ro = new WeakMap<GuestEnv, number>();

export const hostile: Workload = {
  name: 'hostile',
  description: 'malformed commands, bad mappings, read-only violations, bad MMIO offsets and sizes; errors only',
  setup(env) {
    mappedBuffer(env, WORKLOAD_CTX, 64 * 1024);
    const page = env.driver.pages.allocate(4096);
    env.driver.ctxCreate(RO_CTX, 1 << 20);
    env.driver.map(RO_CTX, 0, [{ gpa: page, length: 4096 }], true);
    ro.set(env, page);
    env.driver.setMode(0, env.mode);
  },
  saveState: (env) => [ro.get(env)!],
  loadState(env, words) {
    const bad = checkWords(words, 1);
    if (bad === null) ro.set(env, words[0]!);
    return bad;
  },
  frame(env, n) {
    const attack = ATTACKS[n % ATTACKS.length]!;
    attack.run(env, ro.get(env)!);
    // A zero-length header makes the device drop the rest of the batch: ring it out on its own.
    env.driver.waitIdle();
    const { width, height } = current(env);
    env.driver.fill(0, 0, 0, width, height, 0xff000000 | ((n * 0x123457) & 0xffffff));
    env.driver.present(0, []);
  },
};

export const HOSTILE_ATTACKS = ATTACKS.map((a) => a.name);
