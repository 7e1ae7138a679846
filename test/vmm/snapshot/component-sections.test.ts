// The component sections of a snapshot are hostile input: each kind (engine, task space, PCI
// config, interrupt table, guest program, vCPU pending vectors, compositor display, input device), cut short,
// grown or with its magic broken (checksums made right again, so the damage reaches its decoder),
// is refused by Vm.restore with a SnapshotFormatError naming that section before any actor is
// started (the engine's through the addon's checkEngineState). An engine whose tasks disagree
// with its task space is refused naming both. A file missing a section its configuration needs,
// or with one for a part the machine does not have, is refused by the section table. And random
// damage to any of them (the loader the fuzz target drives) is refused only with
// SnapshotFormatError, never another error.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { RAM_BASE } from '../../../machine/memory-map.js';
import { createGuestMemory } from '../../../shared/guest-memory/index.js';
import { encodeContainer, parseContainer, sectionName, type Section } from '../../../vmm/snapshot/container.js';
import { SnapshotFormatError } from '../../../vmm/snapshot/errors.js';
import { SectionKind } from '../../../vmm/snapshot/layout.js';
import { isComponentKind } from '../../../vmm/snapshot/machine-state.js';
import { loadSnapshot } from '../../../vmm/snapshot/snapshot.js';
import { vmmVersion } from '../../../vmm/snapshot/version.js';
import { Vm } from '../../../vmm/vm.js';
import { Supervisor } from '../../../actors/runtime/supervisor.js';
import { engineTaskSpacePart } from '../../../vmm/snapshot/engine-check.js';
import { decodeTaskSpaceState, encodeTaskSpaceState } from '../../../actors/device/task-space-snapshot.js';
import { TaskSpace, type TaskSpaceState } from '../../../actors/device/task-space.js';

const OPTIONS = {
  ramMiB: 16,
  vcpus: 2,
  devices: [{ displayModes: ['320x200@60'] }, { variant: 'pci' as const, displayModes: ['320x200@60'] }],
  workload: { name: 'mapchurn', frames: 12, seed: 2 },
  input: [{ device: 1 }],
  trace: false,
};

let sections: Section[] = [];
const dir = mkdtempSync(path.join(tmpdir(), 'pvg-sections-'));
let vm: Vm | null = null;

beforeAll(async () => {
  vm = await Vm.create({ ...OPTIONS, start: 'paused' });
  const held = vm.pauseAtFrame(4);
  await vm.resume();
  await held;
  const file = path.join(dir, 'good.snap');
  await vm.saveSnapshot(file);
  await vm.stop();
  vm = null;
  sections = parseContainer(readFileSync(file), { vmmVersion: vmmVersion() }).sections.map((s) => ({ ...s, bytes: Uint8Array.from(s.bytes) }));
}, 60_000);
afterAll(async () => {
  await vm?.stop();
});

/** A file of `list` with every checksum right. */
const fileOf = (list: readonly Section[]) =>
  Buffer.concat(
    encodeContainer(
      list.map((s) => ({ kind: s.kind, index: s.index, parts: [s.bytes] })),
      vmmVersion(),
    ),
  );
const ports = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;

async function refusedBy(list: readonly Section[], part: string, reason?: RegExp): Promise<void> {
  const file = path.join(dir, 'bad.snap');
  writeFileSync(file, fileOf(list));
  const before = ports();
  const spawn = vi.spyOn(Supervisor.prototype, 'spawn');
  const err = await Vm.restore(file, { start: 'paused', trace: false }).then(
    async (restored) => {
      await restored.stop();
      return null;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SnapshotFormatError);
  expect((err as SnapshotFormatError).part).toBe(part);
  if (reason) expect((err as SnapshotFormatError).reason).toMatch(reason);
  // Refused on the loading thread: no actor was ever started (the engine's section included,
  // checked by the addon's checkEngineState), and nothing is left open.
  expect(spawn).not.toHaveBeenCalled();
  spawn.mockRestore();
  // At most as many as before: a port of earlier work (the saved VM's) may close meanwhile.
  await vi.waitFor(() => expect(ports()).toBeLessThanOrEqual(before), { timeout: 5_000, interval: 20 });
}

describe('component sections', () => {
  it('the saved file has every component kind this machine needs', () => {
    const kinds = new Set(sections.filter((s) => isComponentKind(s.kind)).map((s) => s.kind));
    expect([...kinds].sort()).toEqual(
      [
        SectionKind.Engine,
        SectionKind.TaskSpace,
        SectionKind.PciConfig,
        SectionKind.InterruptTable,
        SectionKind.GuestProgram,
        SectionKind.VcpuPending,
        SectionKind.CompositorDisplay,
        SectionKind.InputDevice,
      ].sort(),
    );
  });

  it('each one cut short, grown or with its magic broken is refused naming it', async () => {
    const damage: [string, (b: Uint8Array) => Uint8Array][] = [
      ['magic', (b) => Uint8Array.from(b, (x, i) => (i === 0 ? x ^ 0xff : x))],
      ['cut', (b) => b.slice(0, b.length - 1)],
      ['grown', (b) => Uint8Array.from([...b, 0])],
    ];
    for (const [k, s] of sections.entries()) {
      if (!isComponentKind(s.kind)) continue;
      for (const [, harm] of damage) {
        const list = sections.map((x, j) => (j === k ? { ...x, bytes: harm(x.bytes) } : x));
        await refusedBy(list, sectionName(s.kind, s.index));
      }
    }
  }, 120_000);

  it('a missing section or one for a part the machine lacks is refused by the section table', async () => {
    const without = (kind: number, index: number) => sections.filter((s) => !(s.kind === kind && s.index === index));
    await refusedBy(without(SectionKind.Engine, 1), 'section table', /no engine 1 section/);
    await refusedBy(without(SectionKind.PciConfig, 1), 'section table', /no pci config 1 section/);
    await refusedBy(without(SectionKind.CompositorDisplay, 256), 'section table', /no compositor display 1\.0 section/);
    await refusedBy(without(SectionKind.InputDevice, 1), 'section table', /no input device 1 section/);
    const inputDevice = sections.find((s) => s.kind === SectionKind.InputDevice)!;
    await refusedBy([...sections, { ...inputDevice, index: 2 }], 'section table', /input device 2: the machine's configuration has no such part/);
    const program = sections.find((s) => s.kind === SectionKind.GuestProgram)!;
    await refusedBy([...sections, { ...program, index: 5 }], 'section table', /guest program 5: the machine's configuration has no such part/);
    const pci = sections.find((s) => s.kind === SectionKind.PciConfig)!;
    await refusedBy([...sections, { ...pci, index: 0 }], 'section table', /pci config 0: the machine's configuration has no such part/);
  }, 60_000);

  it("an engine whose tasks disagree with its device's task space is refused naming both", async () => {
    const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM_BASE, size: OPTIONS.ramMiB << 20 }] });
    const k = sections.findIndex((s) => s.kind === SectionKind.TaskSpace && s.index === 0);
    const state = decodeTaskSpaceState(sections[k]!.bytes, new TaskSpace(memory, {}, 'strict'), memory);
    const withTasks = (tasks: TaskSpaceState['tasks'], freeSlots = state.freeSlots) =>
      sections.map((s, j) => (j === k ? { ...s, bytes: encodeTaskSpaceState({ ...state, tasks, freeSlots }) } : s));
    const mapped = state.tasks.findIndex((t) => t.mappings.length > 0);
    expect(mapped).toBeGreaterThanOrEqual(0);
    const part = 'section engine 0 and section task space 0';
    // Each file's task space alone is one the device could have had; only the pair disagrees.
    const dropMapping = state.tasks.map((t, i) => (i === mapped ? { ...t, mappings: t.mappings.slice(1) } : t));
    await refusedBy(withTasks(dropMapping), part, /task \d+: mapping 0 is .* in the engine, .* in the task space/);
    const moved = state.tasks.map((t, i) => (i === mapped ? { ...t, mappings: t.mappings.map((m, n) => (n === 0 ? { ...m, readOnly: !m.readOnly } : m)) } : t));
    await refusedBy(withTasks(moved), part, /task \d+: mapping 0/);
    const resized = state.tasks.map((t, i) => (i === mapped ? { ...t, vmSize: t.vmSize + 0x1000 } : t));
    await refusedBy(withTasks(resized), part, /bytes in the engine, .* in the task space/);
    // A task gone, its window slot free again (as a destroy leaves it).
    await refusedBy(withTasks(state.tasks.slice(1), [...state.freeSlots, state.tasks[0]!.slot]), part, /the engine has tasks \[.*\], the task space \[.*\]/);
  }, 60_000);

  it('random damage to any component section but the engine is refused only with SnapshotFormatError', () => {
    const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM_BASE, size: OPTIONS.ramMiB << 20 }] });
    const ram = new Uint8Array(OPTIONS.ramMiB << 20);
    const targets = sections.flatMap((s, k) => (isComponentKind(s.kind) && s.kind !== SectionKind.Engine ? [k] : []));
    let refused = 0;
    fc.assert(
      fc.property(fc.constantFrom(...targets), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (k, hits) => {
        const bytes = Uint8Array.from(sections[k]!.bytes);
        for (const [at, x] of hits) bytes[at % bytes.length]! ^= x;
        const list = sections.map((s, j) => (j === k ? { ...s, bytes } : s));
        try {
          loadSnapshot(fileOf(list), { vmmVersion: vmmVersion() }, () => ram, memory);
        } catch (err) {
          if (!(err instanceof SnapshotFormatError)) throw err;
          // A task space that still decodes may disagree with its engine instead: refused naming both.
          const { kind, index } = sections[k]!;
          expect([sectionName(kind, index), ...(kind === SectionKind.TaskSpace ? [engineTaskSpacePart(index)] : [])]).toContain(err.part);
          refused++;
        }
      }),
      { numRuns: 300 },
    );
    expect(refused).toBeGreaterThan(0);
  }, 120_000);
});
