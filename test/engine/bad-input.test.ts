// Hostile guest input, command by command and register by register: each bad request sets the
// documented error code (docs/protocol.md §5), draws nothing, and the device goes on working.
import { afterEach, describe, expect, it } from 'vitest';

import { EngineOut, EngineWindow, OutModeChange } from '../../actors/device/engine-records.js';
import { Op, Reg, commandHeader } from '../../guest/ts/protocol.js';
import { EngineRig } from '../support/engine-rig.js';
import type { BadCase } from '../support/engine-scripts.js';
import { runGuest } from '../support/run-guest.js';

const E = {
  badRegister: 1,
  badRingSetup: 2,
  badCommand: 3,
  badContext: 4,
  badMapping: 5,
  badUnmap: 6,
  accessFault: 7,
  badDisplay: 8,
  badRect: 9,
  badCursor: 10,
  badSurface: 11,
} as const;

const BIG = 0xfffffff0;
const OUTSIDE_RAM = 0x1000_0000; // below the rig's RAM at 0x40000000

// [case, expected error code]; order matters where a case needs state (no mode yet, then a mode).
const CASES: [BadCase, number][] = [
  [{ name: 'fill before any mode', op: Op.FillRect, args: [0, 0, 0, 1, 1, 0] }, E.badRect],
  [{ name: 'unknown opcode', raw: [commandHeader(0x7f as Op, 1)] }, E.badCommand],
  [{ name: 'zero-length header', raw: [0] }, E.badCommand],
  [{ name: 'length past the tail', raw: [commandHeader(Op.Nop, 900)] }, E.badCommand],
  [{ name: 'ctx 0', op: Op.CtxCreate, args: [0, 4096, 0] }, E.badContext],
  [{ name: 'ctx above 4095', op: Op.CtxCreate, args: [5000, 4096, 0] }, E.badContext],
  [{ name: 'ctx size not page multiple', op: Op.CtxCreate, args: [9, 4097, 0] }, E.badContext],
  [{ name: 'ctx size zero', op: Op.CtxCreate, args: [9, 0, 0] }, E.badContext],
  [{ name: 'ctx size over the limit', op: Op.CtxCreate, args: [9, 0, 1] }, E.badContext],
  [{ name: 'ctx already exists', op: Op.CtxCreate, args: [1, 4096, 0] }, E.badContext],
  [{ name: 'ctx create wrong length', op: Op.CtxCreate, args: [9, 4096] }, E.badCommand],
  [{ name: 'destroy unknown ctx', op: Op.CtxDestroy, args: [99] }, E.badContext],
  [{ name: 'map unknown ctx', op: Op.Map, args: [99, 0, 0, 0, 1, 0x4000_0000, 0, 4096, 0] }, E.badContext],
  [{ name: 'map zero ranges', op: Op.Map, args: [1, 0, 0, 0, 0] }, E.badCommand],
  [{ name: 'map 65 ranges', op: Op.Map, args: [1, 0, 0, 0, 65] }, E.badCommand],
  [{ name: 'map count disagrees with length', op: Op.Map, args: [1, 0x10000, 0, 0, 2, 0x4000_0000, 0, 4096, 0] }, E.badCommand],
  [{ name: 'map range not page multiple', op: Op.Map, args: [1, 0x10000, 0, 0, 1, 0x4000_0000, 0, 100, 0] }, E.badMapping],
  [{ name: 'map range outside RAM', op: Op.Map, args: [1, 0x10000, 0, 0, 1, OUTSIDE_RAM, 0, 4096, 0] }, E.badMapping],
  [{ name: 'map past the context window', op: Op.Map, args: [1, 0x000f_f000, 0, 0, 1, 0x4000_0000, 0, 8192, 0] }, E.badMapping],
  [{ name: 'map over an existing mapping', op: Op.Map, args: [1, 0, 0, 0, 1, 0x4000_0000, 0, 4096, 0] }, E.badMapping],
  [{ name: 'map bad flags', op: Op.Map, args: [1, 0x10000, 0, 6, 1, 0x4000_0000, 0, 4096, 0] }, E.badCommand],
  [{ name: 'unmap unknown ctx', op: Op.Unmap, args: [99, 0, 0, 4096, 0] }, E.badContext],
  [{ name: 'read_mem length zero', op: Op.ReadMem, args: [1, 0, 0, 0x4000_0000, 0, 0] }, E.badCommand],
  [{ name: 'read_mem too long', op: Op.ReadMem, args: [1, 0, 0, 0x4000_0000, 0, 65537] }, E.badCommand],
  [{ name: 'read_mem into unmapped va', op: Op.ReadMem, args: [1, 0x80000, 0, 0x4000_0000, 0, 16] }, E.accessFault],
  [{ name: 'read_mem into read-only mapping', op: Op.ReadMem, args: [2, 0, 0, 0x4000_0000, 0, 16] }, E.accessFault],
  [{ name: 'read_mem from outside RAM', op: Op.ReadMem, args: [1, 0, 0, OUTSIDE_RAM, 0, 16] }, E.accessFault],
  [{ name: 'set_mode bad display', op: Op.SetMode, args: [7, 0] }, E.badDisplay],
  [{ name: 'set_mode bad mode', op: Op.SetMode, args: [0, 2] }, E.badDisplay],
  [{ name: 'set a mode', op: Op.SetMode, args: [0, 0] }, 0],
  [{ name: 'fill bad display', op: Op.FillRect, args: [3, 0, 0, 1, 1, 0] }, E.badDisplay],
  [{ name: 'fill outside', op: Op.FillRect, args: [0, 300, 0, 21, 1, 0] }, E.badRect],
  [{ name: 'fill overflowing rect', op: Op.FillRect, args: [0, BIG, 0, 0x20, 1, 0] }, E.badRect],
  [{ name: 'copy source outside', op: Op.CopyRect, args: [0, 310, 0, 0, 0, 20, 20] }, E.badRect],
  [{ name: 'copy wrong length', op: Op.CopyRect, args: [0, 0, 0, 0, 0, 20] }, E.badCommand],
  [{ name: 'blit unknown ctx', op: Op.Blit, args: [0, 99, 0, 0, 256, 0, 0, 64, 64, 0] }, E.badContext],
  [{ name: 'blit stride too small', op: Op.Blit, args: [0, 1, 0, 0, 100, 0, 0, 64, 64, 0] }, E.badCommand],
  [{ name: 'blit source unmapped', op: Op.Blit, args: [0, 1, 0x80000, 0, 256, 0, 0, 64, 64, 0] }, E.accessFault],
  [{ name: 'blit source runs off its mapping', op: Op.Blit, args: [0, 1, 0, 0, 256, 0, 0, 64, 65, 0] }, E.accessFault],
  [{ name: 'blit destination outside', op: Op.Blit, args: [0, 1, 0, 0, 256, 300, 0, 64, 64, 0] }, E.badRect],
  [{ name: 'blit bad flags', op: Op.Blit, args: [0, 1, 0, 0, 256, 0, 0, 64, 64, 2] }, E.badCommand],
  [{ name: 'blit_surface unmapped surface', op: Op.BlitSurface, args: [0, 5, 0, 0, 0, 0, 8, 8, 0] }, E.badSurface],
  [{ name: 'blit_surface surface number too big', op: Op.BlitSurface, args: [0, 1000, 0, 0, 0, 0, 8, 8, 0] }, E.badSurface],
  [{ name: 'present 17 rects', op: Op.Present, args: [0, 17] }, E.badCommand],
  [{ name: 'present rect outside', op: Op.Present, args: [0, 1, 0, 0, 321, 1] }, E.badRect],
  [{ name: 'present count disagrees with length', op: Op.Present, args: [0, 2, 0, 0, 1, 1] }, E.badCommand],
  [{ name: 'cursor zero width', op: Op.CursorDefine, args: [0, 1, 0, 0, 0, 16, 32, 256, 0, 0] }, E.badCursor],
  [{ name: 'cursor 257 wide', op: Op.CursorDefine, args: [0, 1, 0, 0, 257, 16, 32, 2048, 0, 0] }, E.badCursor],
  [{ name: 'cursor 12 bpp', op: Op.CursorDefine, args: [0, 1, 0, 0, 16, 16, 12, 256, 0, 0] }, E.badCursor],
  [{ name: 'cursor hotspot outside', op: Op.CursorDefine, args: [0, 1, 0, 0, 16, 16, 32, 64, 16, 0] }, E.badCursor],
  [{ name: 'cursor stride too small', op: Op.CursorDefine, args: [0, 1, 0, 0, 16, 16, 32, 32, 0, 0] }, E.badCursor],
  [{ name: 'cursor source unmapped', op: Op.CursorDefine, args: [0, 1, 0x80000, 0, 16, 16, 32, 64, 0, 0] }, E.accessFault],
  [{ name: 'cursor bad display', op: Op.CursorDefine, args: [4, 1, 0, 0, 16, 16, 32, 64, 0, 0] }, E.badDisplay],
  [{ name: 'cursor show bad display', op: Op.CursorShow, args: [4, 1] }, E.badDisplay],
  [{ name: 'cursor move bad display', op: Op.CursorMove, args: [4, 1, 1] }, E.badDisplay],
  [{ name: 'fence bad flags', op: Op.Fence, args: [1, 4] }, E.badCommand],
  [{ name: 'write to no register', reg: [0x300, 1] }, E.badRegister],
  [{ name: 'reset without the magic', reg: [Reg.Reset, 1] }, E.badRegister],
  [{ name: 'start the ring twice', reg: [Reg.RingControl, 1] }, E.badRingSetup],
];

let rig: EngineRig | null = null;
afterEach(async () => {
  await rig?.stop();
  rig = null;
});

describe('bad guest input', () => {
  it('every bad command and register write sets its error and the device keeps working', async () => {
    rig = new EngineRig();
    const out = await runGuest<{ codes: Record<string, number>; after: { count: number; code: number } }>(
      rig,
      'bad',
      CASES.map(([c]) => c),
    );
    const expected = Object.fromEntries(CASES.map(([c, code]) => [c.name, code]));
    expect(out.codes).toEqual(expected);
    expect(out.after, JSON.stringify(out)).toMatchObject({ code: 0 });
    // Every error was counted by kind; nothing drew outside a frame, nothing crashed.
    const stats = rig.engine.stats();
    const wanted = CASES.filter(([, code]) => code !== 0).length;
    expect(stats.errors.reduce((a, b) => a + b, 0)).toBe(wanted);
    const modes = await rig.waitFor(() => rig!.kinds(EngineOut.ModeChange).length === 2 && rig!.kinds(EngineOut.ModeChange));
    const generation = OutModeChange.generation(modes[modes.length - 1]!.words);
    expect(generation).toBe(2); // 'set a mode', then the good frame's mode
    const done = await rig.encode(0, 0, generation, 320, 200);
    expect(done.status).toBe(0);
    expect(rig.surfacePixels(0, 0).pixels.every((p) => p === 0xff336699)).toBe(true);
  });

  it('refuses a bad doorbell without losing the good one rung just before it', async () => {
    rig = new EngineRig();
    const out = await runGuest<{ codes: number[]; fence: number }>(rig, 'badDoorbell');
    expect(out.fence).toBe(50);
    expect(out.codes).toEqual(new Array(50).fill(E.badCommand));
  });

  it('refuses a host refusal cleanly (unmap the host does not accept)', async () => {
    rig = new EngineRig({ refuse: new Set([EngineOut.UnmapMemory]) });
    const out = await runGuest<{ codes: Record<string, number> }>(rig, 'bad', [{ name: 'unmap refused', op: Op.Unmap, args: [1, 0, 0, 4096, 0] }]);
    expect(out.codes['unmap refused']).toBe(E.badUnmap);
  });

  it('refuses every bad IOSurface-window request with bad-surface, and keeps a mapped surface fixed', async () => {
    rig = new EngineRig();
    const out = await runGuest<{ codes: Record<string, number>; widthWhileMapped: number; mapped: number; mappedAfter: number }>(rig, 'iosfcBad');
    expect(out.codes).toEqual({
      'surface number 32': E.badSurface,
      'width 0': E.badSurface,
      'stride below 4 x width': E.badSurface,
      'width over 4096': E.badSurface,
      'outside RAM': E.badSurface,
      'unmap of an unmapped surface': E.badSurface,
      'unknown command': E.badSurface,
      'a good map': 0,
      'map it again': E.badSurface,
      'unmap it': 0,
    });
    expect(out.widthWhileMapped).toBe(64);
    expect(out.mapped).toBe(1 << 1);
    expect(out.mappedAfter).toBe(0);
    expect(rig.kinds(EngineOut.IosfcMap)).toHaveLength(1);
    expect(rig.kinds(EngineOut.IosfcUnmap)).toHaveLength(1);
  });

  it('splits an aligned 8-byte access into two 4-byte ones, low half first, as QEMU does; refuses an unaligned one', async () => {
    rig = new EngineRig();
    const out = await runGuest<Record<string, number[] | number>>(rig, 'wideAccesses');
    expect(out).toEqual({
      idAndVersion: [0x31475650, 0x00010000],
      ringGpa: [0x12345000, 0x1],
      ringGpa8: [0x12345000, 0x1],
      unaligned: [0xffffffff, 0xffffffff],
      afterUnalignedWrite: 0x1,
    });
    // The unaligned read and the unaligned write; the aligned 8-byte accesses are not bad.
    expect(rig.engine.stats().badRegisterAccesses).toBe(2);
  });

  it('answers bad register accesses (size, alignment, window) with all ones and counts them', async () => {
    rig = new EngineRig();
    const out = await runGuest<{ reads: number[] }>(rig, 'registers', [
      [EngineWindow.Gfx, 0x0, 2],
      [EngineWindow.Gfx, 0x0, 1],
      [EngineWindow.Gfx, 0x2, 4],
      [EngineWindow.Gfx, 0x4000, 4],
      [EngineWindow.Iosfc, 0x10000, 4],
      [EngineWindow.Gfx, 0x0, 4],
    ]);
    expect(out.reads).toEqual([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x31475650]);
    expect(rig.engine.stats().badRegisterAccesses).toBe(5);
  });
});
