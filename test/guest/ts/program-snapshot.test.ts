// The TypeScript guest's program state: for every workload, a program run N steps, saved and
// loaded into a fresh program (over a copy of its RAM and of the device's state), makes exactly
// the MMIO accesses, ring commands and RAM writes the uninterrupted program makes from there on.
// Hostile bytes are refused with StateFormatError.
import { describe, expect, it } from 'vitest';

import type { VcpuServices } from '../../../actors/vcpu/cpu-backend.js';
import { mmioGfxBase } from '../../../machine/memory-map.js';
import { GuestProgram, type GuestProgramConfig } from '../../../guest/ts/program.js';
import { decodeGuestProgramState, encodeGuestProgramState, loadGuestProgram, saveGuestProgram } from '../../../guest/ts/program-snapshot.js';
import { WORKLOAD_NAMES } from '../../../guest/ts/workloads/index.js';
import { createGuestMemory, type GuestMemory } from '../../../shared/guest-memory/index.js';
import { createVcpuIrqBuffer, VcpuIrqState } from '../../../shared/irq/vcpu-irq.js';
import { StateFormatError } from '../../../shared/snapshot/state-bytes.js';
import { FakePvgDevice } from '../../support/fake-pvg-device.js';

const MiB = 1024 * 1024;

function services(memory: GuestMemory, device: FakePvgDevice): VcpuServices {
  return {
    vcpu: 0,
    memory,
    irq: new VcpuIrqState(createVcpuIrqBuffer()),
    mmioRead: (a, s) => device.read(a, s),
    mmioWrite: (a, s, v) => device.write(a, s, v),
    mmioReadHalves: (a, s, into) => {
      into[0] = device.read(a, s);
      into[1] = 0;
    },
    mmioWriteHalves: (a, s, lo) => device.write(a, s, lo),
    endOfInterrupt: () => {},
  };
}

function config(workload: string, frames: number): GuestProgramConfig {
  return { device: 0, variant: 'apple-gfx-mmio', workload, frames, seed: 7, mode: 0, damagePercent: 30, ramBase: MiB, ramEnd: 16 * MiB };
}

interface Run {
  memory: GuestMemory;
  device: FakePvgDevice;
  program: GuestProgram;
}
function machine(workload: string, frames: number): Run {
  const memory = createGuestMemory({ regions: [{ name: 'ram', base: 0, size: 16 * MiB }] });
  const device = new FakePvgDevice(memory, mmioGfxBase(0));
  return { memory, device, program: new GuestProgram(services(memory, device), config(workload, frames)) };
}

function steps(program: GuestProgram, n: number): string[] {
  return Array.from({ length: n }, () => program.step());
}

const sameRam = (a: GuestMemory, b: GuestMemory): boolean => Buffer.from(a.sab).equals(Buffer.from(b.sab));

describe('guest program snapshot: a restored program continues exactly as the original', () => {
  for (const workload of WORKLOAD_NAMES) {
    for (const at of [0, 1, 7]) {
      it(`${workload}, saved after ${at} steps`, () => {
        const frames = 12;
        const a = machine(workload, frames);
        steps(a.program, at);
        const saved = saveGuestProgram(a.program);

        // The restored machine: RAM and device state as at the save, a program that never ran.
        const memory = createGuestMemory({ regions: [{ name: 'ram', base: 0, size: 16 * MiB }] });
        new Uint8Array(memory.sab).set(new Uint8Array(a.memory.sab));
        const device = a.device.clone(memory);
        const program = new GuestProgram(services(memory, device), config(workload, frames));
        loadGuestProgram(program, saved);
        expect(saveGuestProgram(program)).toEqual(saved);

        const before = a.device.log.length;
        const outcomesA = steps(a.program, frames + 4 - at);
        const outcomesB = steps(program, frames + 4 - at);
        expect(outcomesB).toEqual(outcomesA);
        expect(outcomesA.at(-1)).toBe('done');
        expect(device.log).toEqual(a.device.log.slice(before));
        expect(device.log.length).toBeGreaterThan(0);
        expect(sameRam(memory, a.memory)).toBe(true);
        expect(program.stats()).toEqual(a.program.stats());
      });
    }
  }
});

describe('guest program snapshot: hostile bytes', () => {
  const a = machine('desktop', 12);
  steps(a.program, 4);
  const good = saveGuestProgram(a.program);
  const state = decodeGuestProgramState(good);

  function refusal(bytes: Uint8Array, workload = 'desktop'): StateFormatError {
    try {
      loadGuestProgram(machine(workload, 12).program, bytes);
    } catch (e) {
      if (e instanceof StateFormatError) return e;
      throw e;
    }
    throw new Error('accepted');
  }
  const edited = (patch: object): Uint8Array => encodeGuestProgramState({ ...state, ...patch });

  it('refuses a state that cannot be this program, naming why', () => {
    expect(refusal(edited({ frame: 13 })).reason).toMatch(/frame 13 of a 12-frame/);
    expect(refusal(edited({ mode: 5 })).reason).toMatch(/mode 5/);
    expect(refusal(edited({ booted: false })).reason).toMatch(/progress before the boot/);
    expect(refusal(edited({ displayModes: [] })).reason).toMatch(/no display modes/);
    expect(refusal(edited({ pagesNext: 64 * MiB })).reason).toMatch(/allocator/);
    expect(refusal(edited({ driver: { ...state.driver, payload: 5000 } })).reason).toMatch(/ring of/);
    expect(refusal(edited({ driver: { ...state.driver, tail: 2 } })).reason).toMatch(/tail/);
    expect(refusal(edited({ driver: { ...state.driver, ringGpa: 16 * MiB - 4096 } })).reason).toMatch(/ring memory/);
    expect(refusal(edited({ workload: [1] })).reason).toMatch(/1 words, 5 expected/);
    expect(refusal(good, 'fullframe').reason).toMatch(/workload words for a workload that keeps none/);
    expect(refusal(Uint8Array.from([...good, 0])).part).toBe('guest program: end');
    for (let n = 0; n < good.length; n++) expect(refusal(good.subarray(0, n))).toBeInstanceOf(StateFormatError);
  });

  it('loads only into a program that has not run', () => {
    const b = machine('desktop', 12);
    b.program.step();
    expect(() => loadGuestProgram(b.program, good)).toThrow(/already run/);
  });

  it('every single-byte corruption is refused with StateFormatError or loads (never another error)', () => {
    for (let at = 0; at < good.length; at++) {
      const bad = good.slice();
      bad[at]! ^= 0x41;
      try {
        loadGuestProgram(machine('desktop', 12).program, bad);
      } catch (e) {
        expect(e).toBeInstanceOf(StateFormatError);
      }
    }
  });
});
