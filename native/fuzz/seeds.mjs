#!/usr/bin/env node
// Writes the checked-in seed corpora (native/fuzz/corpus/<target>/<name>): small inputs that each
// mean something — a valid command stream, one refusal per error kind, a reset mid-way — encoded
// the way the harnesses decode them (native/fuzz/targets/*.cpp, values.h, commands.h,
// registers.h). Values are written raw (selector 0xF0, then the bits) so a seed says exactly what
// it sends. Run it again after changing an input format: node native/fuzz/seeds.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const corpus = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus');

const le = (v, bytes) => Array.from({ length: bytes }, (_, i) => Number((BigInt(v) >> BigInt(8 * i)) & 0xffn));
const u16 = (v) => le(v, 2);
const u32 = (v) => le(v >>> 0, 4);
const r32 = (v) => [0xf0, ...u32(v)]; // a 32-bit field, raw
const r64 = (v) => [0xf0, ...le(BigInt.asUintN(64, BigInt(v)), 8)]; // a 64-bit field, raw

// Guest layout (layout.h).
const KiB = 1024, MiB = 1024 * 1024;
const RAM = 0x4000_0000, DATA = RAM + MiB, SURFACE = DATA + 0x10000, BYTES = DATA + 0x8000, ARENA = DATA + 0x20000;
const HOLE = RAM + 2 * MiB, ROM = HOLE + 64 * KiB;

// ------------------------------------------------------------------ engine-commands
const OPS = ['NOP', 'CTX_CREATE', 'CTX_DESTROY', 'MAP', 'UNMAP', 'READ_MEM', 'SET_MODE', 'FILL_RECT', 'COPY_RECT', 'BLIT',
  'BLIT_SURFACE', 'PRESENT', 'CURSOR_DEFINE', 'CURSOR_SHOW', 'CURSOR_MOVE', 'FENCE'];
const EXACT = 0x05; // mutation byte: the header tells the truth
// One command step: selector (kOps index), argument fields, mutation byte.
const cmd = (op, fields, mutation = [EXACT]) => [OPS.indexOf(op), ...fields.flat(), ...mutation];
const c = {
  ctxCreate: (ctx, size) => cmd('CTX_CREATE', [r32(ctx), r64(size)]),
  ctxDestroy: (ctx) => cmd('CTX_DESTROY', [r32(ctx)]),
  // count byte: MAP counts decode as s % 4 + 1 (s < 6 mod 8): 1 range → 0, 2 → 1.
  map: (ctx, va, flags, ranges) => cmd('MAP', [r32(ctx), r64(va), r32(flags), [ranges.length - 1], ...ranges.map(([g, l]) => [r64(g), r64(l)])]),
  unmap: (ctx, va, len) => cmd('UNMAP', [r32(ctx), r64(va), r64(len)]),
  readMem: (ctx, va, gpa, len) => cmd('READ_MEM', [r32(ctx), r64(va), r64(gpa), r32(len)]),
  setMode: (d, m) => cmd('SET_MODE', [r32(d), r32(m)]),
  fill: (d, x, y, w, h, argb) => cmd('FILL_RECT', [r32(d), r32(x), r32(y), r32(w), r32(h), r32(argb)]),
  copy: (d, sx, sy, dx, dy, w, h) => cmd('COPY_RECT', [r32(d), r32(sx), r32(sy), r32(dx), r32(dy), r32(w), r32(h)]),
  blit: (d, ctx, va, stride, x, y, w, h, flags) => cmd('BLIT', [r32(d), r32(ctx), r64(va), r32(stride), r32(x), r32(y), r32(w), r32(h), r32(flags)]),
  blitSurface: (d, s, sx, sy, dx, dy, w, h, flags) =>
    cmd('BLIT_SURFACE', [r32(d), r32(s), r32(sx), r32(sy), r32(dx), r32(dy), r32(w), r32(h), r32(flags)]),
  // PRESENT counts decode as s % 4 (s < 6 mod 8).
  present: (d, rects = []) => cmd('PRESENT', [r32(d), [rects.length], ...rects.map((r) => r.map(r32))]),
  cursorDefine: (d, ctx, va, w, h, bpp, stride, hx, hy) =>
    cmd('CURSOR_DEFINE', [r32(d), r32(ctx), r64(va), r32(w), r32(h), r32(bpp), r32(stride), r32(hx), r32(hy)]),
  cursorShow: (d, show) => cmd('CURSOR_SHOW', [r32(d), r32(show)]),
  cursorMove: (d, x, y) => cmd('CURSOR_MOVE', [r32(d), r32(x), r32(y)]),
  fence: (v, flags) => cmd('FENCE', [r32(v), r32(flags)]),
  rawOp: (op, words) => [0xe0, ...u16(op), words.length, ...words.flatMap(u32), EXACT],
  doorbell: [0xc0],
  badDoorbellOdd: [0xd0], // tail + 2
  badDoorbellEnd: [0xd1], // the payload size
  partialDoorbell: (words) => [0xd4, words],
  encode: (surface, generation, x, y, w, h) => [0xd8, surface, generation, ...[x, y, w, h].map(r32)],
  poke: (word, value) => [0xe8, ...u16(word), ...u32(value)],
  errorAck: [0xec],
  irqAck: (v) => [0xed, v],
  irqMask: (v) => [0xee, v],
  padToEnd: (words) => [0xef, words],
  reset: [0xf0],
  ringRestart: [0xf8],
  ringStartTwice: [0xfc],
};
// config: bit 0 permissive host, bit 1 refusals follow, bits 2-4 ring size 4 KiB << n, bit 7 no prelude.
const ec = (config, ...steps) => [config, ...steps.flat()];
const ring64k = 4 << 2;

const engineCommands = {
  'draw-frame': ec(ring64k, c.fill(0, 0, 0, 96, 64, 0xff203040), c.blit(0, 1, 0, 256, 8, 8, 64, 48, 0), c.blit(0, 1, 0, 256, 20, 4, 32, 32, 1),
    c.copy(0, 0, 0, 40, 20, 32, 32), c.present(0), c.fence(1, 1), c.doorbell, c.encode(0, 1, 0, 0, 96, 64), c.doorbell,
    c.present(0, [[0, 0, 16, 16], [80, 48, 16, 16]]), c.fence(2, 0), c.doorbell),
  'modes': ec(ring64k, c.setMode(0, 1), c.fill(0, 0, 0, 48, 32, 0xff00ff00), c.present(0), c.setMode(0, 2), c.fill(0, 100, 80, 28, 16, 0xffff0000),
    c.present(0), c.encode(0, 1, 0, 0, 128, 96), c.setMode(0, 3), c.fill(0, 0, 0, 1, 1, 0xffffffff), c.present(0), c.setMode(1, 0),
    c.fill(1, 0, 0, 16, 8, 0xff0000ff), c.present(1), c.doorbell),
  'cursor': ec(ring64k, c.cursorDefine(0, 1, 0x4000, 16, 16, 32, 64, 2, 3), c.cursorShow(0, 1), c.cursorMove(0, 40, 30),
    c.cursorDefine(0, 1, 0x4000, 16, 16, 24, 48, 0, 0), c.cursorDefine(0, 1, 0x4000, 16, 16, 16, 32, 15, 15),
    c.cursorDefine(0, 1, 0x4000, 16, 16, 8, 16, 8, 8), c.cursorDefine(0, 1, 0, 256, 64, 32, 1024, 255, 63), c.cursorMove(0, -5, 70),
    c.cursorShow(0, 0), c.doorbell),
  'contexts': ec(ring64k, c.ctxCreate(3, MiB), c.map(3, 0, 0, [[ARENA, 8192], [ARENA + 0x10000, 4096]]), c.readMem(3, 0x1000, BYTES, 4096),
    c.map(3, 0x10000, 1, [[ROM, 4096]]), c.blit(0, 3, 0, 64, 0, 0, 16, 16, 0), c.unmap(3, 0, 12288), c.ctxDestroy(3), c.ctxCreate(4095, 4096),
    c.ctxDestroy(4095), c.doorbell),
  // A row that straddles two mappings is gathered through the bounce buffer.
  'blit-straddles-mappings': ec(ring64k, c.ctxCreate(3, MiB), c.map(3, 0, 0, [[DATA, 4096], [BYTES, 4096]]),
    c.blit(0, 3, 4096 - 128, 256, 0, 0, 64, 4, 0), c.blit(0, 3, 4096 - 2, 256, 0, 8, 2, 2, 1), c.doorbell),
  // More damage rectangles than an encode can carry: the engine merges them.
  // (First an encode takes the whole-frame damage SET_MODE left, so the small rectangles count.)
  'damage-merge': ec(ring64k, c.encode(0, 1, 0, 0, 96, 64), cmd('NOP', [[0]]), c.doorbell,
    ...[0, 1, 2, 3, 4].map((k) => c.present(0, [0, 1, 2].map((j) => [k * 18, j * 20, 8, 8]))),
    c.present(0, [[90, 58, 4, 4], [0, 60, 2, 2], [50, 0, 3, 3]]), c.doorbell, c.encode(0, 1, 0, 0, 96, 64), c.doorbell),
  'blit-surface': ec(ring64k, c.blitSurface(0, 0, 0, 0, 0, 0, 64, 64, 0), c.blitSurface(0, 0, 16, 16, 60, 40, 32, 24, 1), c.present(0), c.doorbell),
  'wrap-4k': ec(0, c.padToEnd(2), c.fill(0, 0, 0, 8, 8, 0xff112233), c.fence(7, 1), c.padToEnd(1), c.present(0, [[0, 0, 8, 8]]),
    c.padToEnd(0), c.blit(0, 1, 0, 256, 0, 0, 8, 8, 0), c.doorbell),
  'partial-doorbell': ec(0, c.fill(0, 0, 0, 8, 8, 0xff112233), c.fence(3, 0), c.partialDoorbell(3), c.partialDoorbell(1), c.doorbell),
  'reset-midway': ec(ring64k, c.fill(0, 0, 0, 96, 64, 0xff445566), c.present(0), c.doorbell, c.reset, c.fill(0, 0, 0, 8, 8, 0xff000000),
    c.present(0), c.fence(9, 1), c.doorbell, c.ringRestart, c.fence(10, 0), c.doorbell),
  'irq-and-acks': ec(ring64k, c.irqMask(7), c.fence(1, 1), c.ctxDestroy(77), c.doorbell, c.irqAck(7), c.errorAck, c.fence(2, 1), c.doorbell),
  'guest-writes': ec(ring64k, c.poke(0, 0x80ff0000), c.poke(0x1000, 0x12345678), c.blit(0, 1, 0, 256, 0, 0, 4, 4, 1), c.doorbell),
  // One refusal per error kind (docs/protocol.md §5).
  'error-bad-command': ec(ring64k, c.rawOp(0x77, [1, 2]), cmd('FENCE', [r32(1), r32(0)], [0x01]), cmd('FILL_RECT', [r32(0), r32(0), r32(0), r32(1), r32(1), r32(0)], [0x03]),
    c.fence(5, 4), c.doorbell, c.badDoorbellOdd, c.badDoorbellEnd, cmd('NOP', [[0]], [0x02, 7]), c.doorbell),
  'error-bad-ring-setup': ec(ring64k, c.ringStartTwice),
  'error-bad-context': ec(ring64k, c.ctxCreate(1, MiB), c.ctxCreate(0, MiB), c.ctxCreate(5, 4097), c.ctxCreate(6, 64 * MiB), c.ctxDestroy(9), c.doorbell),
  'error-bad-mapping': ec(ring64k, c.map(1, 0x10000, 0, [[HOLE, 4096]]), c.map(1, 0x10000, 0, [[ROM, 4096]]), c.map(1, 0x10000, 0, [[ARENA + 8, 4096]]),
    c.map(1, 0, 0, [[ARENA, 4096]]), c.map(1, MiB - 4096, 0, [[ARENA, 8192]]), c.doorbell),
  'error-bad-unmap': ec(ring64k, c.unmap(1, 0x80000, 4096), c.unmap(1, 0x1000, 4096), c.doorbell),
  'error-access-fault': ec(ring64k, c.readMem(2, 0, BYTES, 64), c.readMem(1, 0x20000, BYTES, 64), c.blit(0, 1, 0xf000, 256, 0, 0, 64, 64, 0),
    c.readMem(1, 0, HOLE, 64), c.doorbell),
  'error-bad-display': ec(ring64k, c.setMode(0, 9), c.setMode(5, 0), c.cursorShow(7, 1), c.doorbell),
  'error-bad-rect': ec(ring64k, c.fill(0, 90, 60, 20, 20, 0), c.copy(0, 0xfffffff0, 0, 0, 0, 32, 1), c.present(0, [[0, 0, 97, 1]]),
    c.fill(1, 0, 0, 1, 1, 0), c.doorbell),
  'error-bad-cursor': ec(ring64k, c.cursorDefine(0, 1, 0x4000, 257, 16, 32, 1028, 0, 0), c.cursorDefine(0, 1, 0x4000, 16, 16, 7, 64, 0, 0),
    c.cursorDefine(0, 1, 0x4000, 16, 16, 32, 63, 0, 0), c.cursorDefine(0, 1, 0x4000, 16, 16, 32, 64, 16, 0), c.doorbell),
  'error-bad-surface': ec(ring64k, c.blitSurface(0, 5, 0, 0, 0, 0, 8, 8, 0), c.blitSurface(0, 0, 60, 0, 0, 0, 8, 8, 0), c.blitSurface(0, 40, 0, 0, 0, 0, 1, 1, 0),
    c.doorbell),
  'error-host-refused': ec(ring64k | 2, u32(1), c.fence(1, 0), c.doorbell), // the ring task's createTask is refused
  'host-refuses-some': ec(ring64k | 2, u32(0b1010_0000), c.ctxCreate(3, MiB), c.map(3, 0, 0, [[ARENA, 4096]]), c.readMem(3, 0, BYTES, 64), c.doorbell),
  'permissive-host': ec(ring64k | 1, c.map(1, 0x8000, 0, [[ARENA, 4096]]), c.map(1, 0x100001, 0, [[ARENA, 4096]]), c.unmap(1, 0x800, 4096),
    c.readMem(1, 0x2000, HOLE, 256), c.blit(0, 1, 0x100001, 256, 0, 0, 4, 4, 0), c.doorbell),
};

// ------------------------------------------------------------------ iosfc-window
const IOSFC = ['ID', 'STATUS', 'ERROR_CODE', 'ERROR_ACK', 'SURFACE', 'GPA_LO', 'GPA_HI', 'WIDTH', 'HEIGHT', 'STRIDE', 'FLAGS', 'COMMAND',
  'MAPPED', 'IRQ_STATUS', 'IRQ_ACK', 'IRQ_MASK'];
const ireg = (name) => IOSFC.indexOf(name);
// iosfcValue: GPA_LO takes a raw 64-bit gpa, GPA_HI one byte (< 0xE0: 0), the others a raw 32-bit value.
const iw = (name, value) => [ireg(name), ...(name === 'GPA_LO' ? r64(value) : name === 'GPA_HI' ? [0] : r32(value))];
const i = {
  write: iw,
  read: (name) => [0x80 + ireg(name)],
  command: (v) => [0xa0, ...r32(v)],
  blit: (d, s, sx, sy, dx, dy, w, h, flags) => [0xb0, ...r32(d), ...r32(s), ...[sx, sy, dx, dy, w, h].map(r32).flat(), ...r32(flags)],
  setMode: (m) => [0xb8, ...r32(m)],
  badRead: (choice, offset) => [0xbd, choice, ...(choice === 3 ? u16(offset) : [offset])],
  badWrite: (choice, offset, value) => [0xbc, choice, ...(choice === 3 ? u16(offset) : [offset]), ...u32(value)],
  // Map in one step (odd selector: stride = 4 × width).
  mapSurface: (s, gpa, w, h, flags) => [0xc1, ...r32(s), ...r64(gpa), ...r32(w), ...r32(h), ...r32(flags)],
  mapStride: (s, gpa, w, h, stride, flags) => [0xc0, ...r32(s), ...r64(gpa), ...r32(w), ...r32(h), ...r32(stride), ...r32(flags)],
  reset: [0xc8],
  hostReset: [0xcc],
  poke: (word, value) => [0xd0, ...u16(word), ...u32(value)],
  checkAll: [0xd4],
};
const io = (config, ...steps) => [config, ...steps.flat()];

const iosfcWindow = {
  'map-blit-unmap': io(0, i.mapSurface(0, SURFACE, 64, 64, 1), i.checkAll, i.blit(0, 0, 0, 0, 0, 0, 64, 64, 0), i.blit(0, 0, 8, 8, 40, 20, 32, 32, 0),
    i.write('SURFACE', 0), i.command(2), i.checkAll),
  'registers': io(0, i.write('SURFACE', 3), i.write('GPA_LO', ARENA), i.write('GPA_HI', 0), i.write('WIDTH', 16), i.write('HEIGHT', 8),
    i.write('STRIDE', 64), i.write('FLAGS', 1), ...IOSFC.map(i.read), i.command(1), i.write('WIDTH', 99), i.read('WIDTH'), i.read('MAPPED'),
    i.write('IRQ_MASK', 1), i.write('IRQ_ACK', 1), i.read('IRQ_STATUS'), i.write('ID', 5), i.checkAll),
  'two-surfaces-blend': io(0, i.mapSurface(1, SURFACE, 32, 32, 1), i.mapStride(2, ARENA, 16, 16, 128, 0), i.poke(3, 0x80ff00ff),
    i.blit(0, 1, 0, 0, 10, 10, 32, 32, 1), i.blit(0, 2, 0, 0, 0, 0, 16, 16, 0), i.setMode(1), i.blit(0, 1, 0, 0, 0, 0, 32, 32, 0), i.checkAll),
  'rom-surface': io(0, i.mapSurface(0, ROM, 64, 16, 1), i.mapSurface(1, ROM, 64, 16, 0), i.blit(0, 0, 0, 0, 0, 0, 64, 16, 0), i.checkAll),
  'bad-geometry': io(0, i.mapSurface(0, SURFACE, 0, 64, 1), i.mapSurface(0, SURFACE, 4097, 1, 1), i.mapStride(0, SURFACE, 64, 64, 255, 1),
    i.mapSurface(0, HOLE, 16, 16, 1), i.mapSurface(0, RAM + 2 * MiB - 4096, 64, 64, 1), i.mapStride(0, SURFACE, 4096, 4096, 0xfffffffc, 1),
    i.write('SURFACE', 32), i.command(3), i.command(2), i.checkAll),
  'map-twice': io(0, i.mapSurface(0, SURFACE, 64, 64, 1), i.command(1), i.write('GPA_LO', ARENA), i.read('GPA_LO'), i.checkAll),
  'blit-out-of-bounds': io(0, i.mapSurface(0, SURFACE, 64, 64, 1), i.blit(0, 0, 60, 0, 0, 0, 8, 8, 0), i.blit(0, 0, 0, 0, 90, 60, 8, 8, 0),
    i.blit(0, 9, 0, 0, 0, 0, 1, 1, 0), i.blit(0, 0, 0, 0, 0, 0, 8, 8, 2), i.blit(0, 0, 64, 64, 0, 0, 0, 0, 0), i.checkAll),
  'reset-with-mapped': io(0, i.mapSurface(0, SURFACE, 64, 64, 1), i.mapSurface(5, ARENA, 8, 8, 0), i.write('IRQ_MASK', 1), i.reset, i.checkAll,
    i.mapSurface(0, SURFACE, 64, 64, 1), i.hostReset, i.checkAll),
  'refused-accesses': io(0, i.badRead(0, 0), i.badRead(1, 4), i.badRead(2, 8), i.badRead(3, 0x10), i.badRead(4, 3), i.badWrite(0, 0x10, 1),
    i.badWrite(3, 0, 7), i.checkAll),
  'host-refuses-map': io(2, u32(0b100), // callbacks 0 and 1 start the ring; 2 is the first map
    i.mapSurface(0, SURFACE, 64, 64, 1), i.checkAll, i.mapSurface(0, SURFACE, 64, 64, 1), i.checkAll),
  'permissive-host': io(1, i.mapSurface(0, ROM, 64, 16, 0), i.blit(0, 0, 0, 0, 0, 0, 64, 16, 0), i.checkAll),
};

// ------------------------------------------------------------------ mmio-sequences
const GFX = ['ID', 'VERSION', 'FEATURES', 'STATUS', 'ERROR_CODE', 'ERROR_COUNT', 'ERROR_ACK', 'IRQ_STATUS', 'IRQ_ACK', 'IRQ_MASK',
  'RING_GPA_LO', 'RING_GPA_HI', 'RING_SIZE', 'RING_CONTROL', 'DOORBELL', 'RING_HEAD', 'DISPLAY_COUNT', 'DISPLAY_SELECT', 'MODE_COUNT',
  'MODE_SELECT', 'MODE_WIDTH', 'MODE_HEIGHT', 'MODE_REFRESH', 'CURRENT_MODE', 'FENCE_COMPLETED', 'RESET', 'NONE_01C', 'NONE_3FFC'];
const SIZE4 = 0x00; // size byte < 0xD0
// Selector bytes: even = gfx, odd = iosfc (never ≡ 31 mod 32: that is a missing window).
const gfxOff = (name) => GFX.indexOf(name);
const m = {
  gfxWrite: (name, value) => [0x00, gfxOff(name), SIZE4, ...r32(value)],
  gfxRead: (name) => [0x80, gfxOff(name), SIZE4],
  iosfcWrite: (name, value) => [0x01, ireg(name), SIZE4, ...(name === 'GPA_LO' ? r64(value) : name === 'GPA_HI' ? [0] : r32(value))],
  iosfcRead: (name) => [0x81, ireg(name), SIZE4],
  // Not a plain access: size byte ≥ 0xD0 picks [1, 2, 8, 0, 3, 16, 5][z % 7]; value u64 follows for writes.
  oddSizeRead: (name, z) => [0x80, gfxOff(name), z],
  oddSizeWrite: (name, z, value) => [0x00, gfxOff(name), z, ...le(BigInt(value), 8)],
  wildRead: (offset) => [0x80, 0xf0, ...le(BigInt(offset), 8), SIZE4],
  unalignedRead: (offset) => [0x80, 0xe0, ...u16(offset), SIZE4],
  noWindowRead: (odd) => [0x9f, odd ? 1 : 0, 0, SIZE4],
  doorbellWords: (k) => [0xe0, k],
  reset: [0xe4],
  hostReset: [0xe6],
  encode: (surface, generation) => [0xe7, 0, surface, generation, 0, 0, 96, 64],
  ramWrite: (word, count, value) => [0xe8, ...u16(word), count - 1, ...u32(value)],
  startRing: (sizeIndex) => [0xf0, sizeIndex],
  check: [0xf8],
};
const mm = (config, ...steps) => [config, ...steps.flat()];

const mmioSequences = {
  'read-all-registers': mm(0, ...GFX.map(m.gfxRead), ...IOSFC.map(m.iosfcRead), m.check),
  'ring-walk': mm(0, m.startRing(4), m.doorbellWords(14), m.check, m.doorbellWords(50), m.doorbellWords(100), m.gfxRead('RING_HEAD'),
    m.gfxRead('FENCE_COMPLETED'), m.gfxRead('CURRENT_MODE'), m.encode(0, 1), m.doorbellWords(200), m.check),
  'ring-by-registers': mm(0, m.gfxWrite('RING_GPA_LO', RAM), m.gfxWrite('RING_GPA_HI', 0), m.gfxWrite('RING_SIZE', 4096), m.gfxWrite('RING_CONTROL', 1),
    m.gfxRead('STATUS'), m.gfxWrite('DOORBELL', 56), m.gfxRead('RING_HEAD'), m.gfxWrite('RING_CONTROL', 0), m.gfxRead('RING_CONTROL'), m.check),
  'bad-ring-setups': mm(0, m.gfxWrite('RING_SIZE', 4095), m.gfxWrite('RING_CONTROL', 1), m.gfxWrite('RING_SIZE', 2 * MiB), m.gfxWrite('RING_CONTROL', 1),
    m.gfxWrite('RING_GPA_LO', ROM), m.gfxWrite('RING_SIZE', 4096), m.gfxWrite('RING_CONTROL', 1), m.gfxWrite('RING_GPA_LO', RAM + 0x800),
    m.gfxWrite('RING_CONTROL', 1), m.gfxWrite('RING_GPA_LO', RAM + 2 * MiB - 4096), m.gfxWrite('RING_SIZE', 8192), m.gfxWrite('RING_CONTROL', 1), m.check),
  'display-select': mm(0, m.gfxWrite('DISPLAY_SELECT', 0), ...[0, 1, 2, 3, 4].flatMap((k) => [m.gfxWrite('MODE_SELECT', k), m.gfxRead('MODE_WIDTH'),
    m.gfxRead('MODE_HEIGHT'), m.gfxRead('MODE_REFRESH')]), m.gfxWrite('DISPLAY_SELECT', 1), m.gfxRead('MODE_COUNT'), m.gfxRead('MODE_WIDTH'),
    m.gfxWrite('DISPLAY_SELECT', 7), m.gfxRead('MODE_COUNT'), m.gfxRead('CURRENT_MODE')),
  'refused-accesses': mm(0, m.oddSizeRead('ID', 0xd0), m.oddSizeRead('STATUS', 0xd1), m.oddSizeRead('ID', 0xd2), m.oddSizeWrite('IRQ_MASK', 0xd3, 7),
    m.wildRead(0x1_0000_0000), m.wildRead(0x4000), m.unalignedRead(0x13), m.noWindowRead(0), m.noWindowRead(1), m.check),
  'errors-and-acks': mm(0, m.gfxWrite('ID', 1), m.gfxWrite('RESET', 1), m.gfxWrite('IRQ_MASK', 7), m.gfxRead('ERROR_CODE'), m.gfxRead('IRQ_STATUS'),
    m.gfxWrite('IRQ_ACK', 2), m.gfxWrite('ERROR_ACK', 0), m.gfxRead('STATUS'), m.check),
  'resets': mm(0, m.startRing(0), m.doorbellWords(30), m.iosfcWrite('WIDTH', 8), m.iosfcWrite('HEIGHT', 8), m.iosfcWrite('STRIDE', 32),
    m.iosfcWrite('GPA_LO', SURFACE), m.iosfcWrite('COMMAND', 1), m.reset, m.startRing(1), m.doorbellWords(60), m.hostReset, m.check),
  'guest-rewrites-ring': mm(0, m.startRing(0), m.ramWrite(16, 4, 0xffff0011), m.doorbellWords(24), m.ramWrite(40, 8, 0x00030030), m.doorbellWords(60), m.check),
  'host-refuses': mm(2, u32(0b10), // the first ring's mapMemory is refused
    m.startRing(2), m.startRing(2), m.doorbellWords(40), m.check),
};

// ------------------------------------------------------------------ engine-state
// Whole states in the layout of native/src/engine/soft/engine_state.cpp (raw form), and patches
// to a driven engine's state (patched form: offset u32, kind byte, value).
const u64 = (v) => le(BigInt(v), 8);
const display = (mode, generation, frameSeq, flags, damage, pixels) => [
  u32(mode), u32(generation), u32(frameSeq), u32(flags), u32(3), u32(-4), u32(damage.length), ...damage.map((r) => r.map(u32)),
  u64(pixels.length * 4), ...pixels.map(u32),
];
const iosfcState = [u32(0), u32(0), u32(0), u32(0), u64(0), Array.from({ length: 32 }, () => [u64(0), u32(0), u32(0), u32(0), u32(0), u32(0)])];
const stateHeader = [u32(0x53474e45), u32(1), u32(2), u32(1)];
const noRing = [Array(12).fill(u32(0)), u32(0), u32(0), u32(0), u32(0), u32(0)];
const engineState = {
  'raw-new-engine': [0, 0, stateHeader, noRing, display(-1, 0, 0, 0, [], []), display(-1, 0, 0, 0, [], []), iosfcState],
  'raw-small-modes': [0, 0, stateHeader, noRing, display(3, 1, 5, 2, [[0, 0, 1, 1]], [0xff102030]),
    display(0, 2, 9, 1, [[1, 1, 4, 4]], Array.from({ length: 16 * 8 }, (_, i) => 0xff000000 + i)), iosfcState],
  'patched-none': [0, 1],
  'patched-flip': [0, 1, u32(100), 0, 0x40],
  'patched-words': [0, 1, u32(16), 1, u32(3), u32(68), 1, u32(7), u32(200), 2, u64(1n << 40n)],
  'patched-cut': [0, 1, u32(300), 3],
};

// ------------------------------------------------------------------ write them
const targets = { 'engine-commands': engineCommands, 'engine-state': engineState, 'iosfc-window': iosfcWindow, 'mmio-sequences': mmioSequences };
for (const [target, seeds] of Object.entries(targets)) {
  const dir = path.join(corpus, target);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(seeds)) fs.writeFileSync(path.join(dir, name), Uint8Array.from(bytes.flat(Infinity)));
  console.log(`${target}: ${Object.keys(seeds).length} seeds`);
}
