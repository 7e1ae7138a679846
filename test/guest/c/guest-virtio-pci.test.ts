// The machine-code guest's virtio-pci input driver, built for the host (guest/c/sim/virtio_pci_dump.c
// with sim/host_io.h in place of io.h) against a stand-in virtio-input-pci keyboard and tablet
// laid out as shared/virtio/pci-transport.ts lays them out: the functions found where
// machine/memory-map.ts puts them, BAR0 placed, MSI-X programmed with this machine's vectors,
// VERSION_1 negotiated, the event queue set up and ready, every access at its field's width; a
// function that lies about its layout or refuses a step is refused (FAIL 1, PVG_FAIL_DRIVER);
// and desktop's cursor (desktop_cursor.c fed by guest_input.c) against desktop.ts for the same
// events. KVM runs the real thing: test/vmm/kvm-paint.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MSI_ADDRESS_BASE } from '../../../abi/generated/machine.js';
import { InputAbs, InputCode, InputEv, VIRTIO_INPUT_ABS_MAX } from '../../../abi/generated/virtio.js';
import type { RawInputEvent } from '../../../guest/ts/virtio-input.js';
import { desktop } from '../../../guest/ts/workloads/desktop.js';
import { virtioPciBarBase, virtioPciEcamBase, virtioPciVectors } from '../../../machine/memory-map.js';
import { packageRoot } from '../../../shared/package-root.js';
import { foreignProcessEnv } from '../../support/foreign-env.js';
import { standInGuestEnv } from '../../support/stand-in-guest-env.js';

const guest = path.join(packageRoot, 'guest', 'c');
const work = mkdtempSync(path.join(tmpdir(), 'pvg-guest-virtio-pci-'));
const exe = path.join(work, 'virtio_pci_dump');
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(() => {
  const sources = [
    'sim/virtio_pci_dump.c',
    'virtio_pci.c',
    'virtio_mmio.c',
    'virtio_transport.c',
    'virtio_input.c',
    'guest_input.c',
    'input_queue.c',
    'input_report.c',
    'desktop_cursor.c',
    'jsmath.c',
    'fail.c',
    'pages.c',
  ].map((f) => path.join(guest, f));
  const flags = ['-O2', '-std=gnu11', '-Wall', '-Werror', '-ffp-contract=off', '-fno-math-errno', '-include', path.join(guest, 'sim', 'host_io.h')];
  execFileSync('cc', [...flags, `-I${guest}`, '-o', exe, ...sources], { env: foreignProcessEnv() });
});

/** The guest's run: argv (misbehaviour, binding), stdin lines; its output lines. */
const run = (odd: string, binding: number, input: string[] = []): string[] =>
  // No stdin when there is nothing to say: a guest that refuses its devices exits before it reads any.
  execFileSync(exe, [odd, String(binding)], {
    ...(input.length > 0 ? { input: input.join('\n') + '\n' } : { stdio: ['ignore', 'pipe', 'pipe'] }),
    env: foreignProcessEnv(),
  })
    .toString()
    .trim()
    .split('\n');

/** "setup I key value key value ..." as a map (msixN takes four values). */
function setupFacts(line: string): Map<string, string> {
  const words = line.split(' ');
  const facts = new Map<string, string>();
  for (let i = 2; i < words.length;) {
    const key = words[i]!;
    const n = key.startsWith('msix') && key !== 'msixflags' ? 4 : key === 'name' ? 3 : 1;
    facts.set(key, words.slice(i + 1, i + 1 + n).join(' '));
    i += 1 + n;
  }
  return facts;
}

describe('the C guest virtio-pci input driver (host build)', () => {
  it.each([0, 2, 7])('binding %i: both functions found, BAR0 placed, MSI-X to this vCPU with the machine’s vectors, the queue set up, DRIVER_OK', (k) => {
    const out = run('none', k);
    expect(out.filter((l) => !l.startsWith('setup '))).toEqual([]);
    for (const [i, name] of [
      [0, 'PVG Virtio Keyboard'],
      [1, 'PVG Virtio Tablet'],
    ] as const) {
      const device = 2 * k + i;
      const f = setupFacts(out[i]!);
      const vectors = virtioPciVectors(device);
      const address = `0x${((MSI_ADDRESS_BASE | (3 << 12)) >>> 0).toString(16)}`;
      expect(Object.fromEntries(f)).toEqual({
        bar: `0x${virtioPciBarBase(device).toString(16)}`,
        command: '6', // memory space and bus mastering
        msixflags: '0x8002', // Enable, Function Mask off, 3 entries
        status: '0xf', // ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK
        name,
        qsize: '64',
        qenabled: '1',
        qvector: '1',
        configvector: '0',
        areas: '1', // desc, avail and used where the driver's page has them
        msix0: `${address} 0x0 0x${vectors.config.toString(16)} 0`,
        msix1: `${address} 0x0 0x${vectors.queues.toString(16)} 0`,
        msix2: `${address} 0x0 0x${vectors.queues.toString(16)} 0`,
      });
    }
    // The stand-in decodes config space at the ECAM function memory-map.ts names (it answers nothing else).
    expect(virtioPciEcamBase(2 * k)).toBe(0xb000_0000 + (16 + 2 * k) * 0x8000);
  });

  it.each([
    ['wrong-device', /no virtio-pci device of this type/],
    ['bar-size', /BAR0 reports a bad size/],
    ['bar-io', /BAR0 is not a 32-bit memory BAR/],
    ['header', /loops or points into the header/],
    ['loop', /loops or points into the header/],
    ['no-msix', /no MSI-X capability/],
    ['msix-one', /MSI-X table has a single entry/],
    ['msix-outside', /MSI-X table or PBA does not fit BAR0/],
    ['pba-bar1', /MSI-X table or PBA is not in BAR0/],
    ['common-outside', /structure does not fit BAR0/],
    ['common-short', /structure does not fit BAR0/],
    ['no-isr', /structure capability is missing/],
    ['device-short', /configuration byte past the device structure/],
    ['doorbell-outside', /doorbell is outside the notify structure/],
    ['no-version1', /no VIRTIO_F_VERSION_1/],
    ['features-refused', /FEATURES_OK refused/],
    ['queue-small', /smaller than 64 entries/],
    ['enable-refused', /refused its event queue/],
    ['vector-refused', /refused a queue's vector/],
  ])('a function with %s is refused (FAIL 1, PVG_FAIL_DRIVER)', (odd, why) => {
    const out = run(odd, 1);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^FAIL 1 virtio device at 0xb00[0-9a-f]{5}: /);
    expect(out[0]).toMatch(why);
  });
});

type Ev = RawInputEvent & { dev: 'k' | 't' };

/** A seeded run of frames of keyboard and tablet events, some of them what a tablet should not send. */
function randomFrames(seed: number, count: number): Ev[][] {
  let s = seed >>> 0;
  const rnd = (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s % n);
  const frames: Ev[][] = [];
  for (let i = 0; i < count; i++) {
    const frame: Ev[] = [];
    for (let n = rnd(4); n > 0; n--) {
      if (rnd(3) === 0) frame.push({ dev: 'k', type: InputEv.Key, code: 1 + rnd(100), value: rnd(3) });
      else {
        const axis = () => (rnd(10) === 0 ? rnd(2) * 0x10000 - 0x100 : rnd(VIRTIO_INPUT_ABS_MAX + 1));
        if (rnd(2)) frame.push({ dev: 't', type: InputEv.Abs, code: InputAbs.X, value: axis() });
        if (rnd(2)) frame.push({ dev: 't', type: InputEv.Abs, code: InputAbs.Y, value: axis() });
        if (rnd(4) === 0) frame.push({ dev: 't', type: InputEv.Key, code: InputCode.BtnLeft, value: rnd(2) });
        if (rnd(6) !== 0) frame.push({ dev: 't', type: InputEv.Syn, code: InputCode.SynReport, value: 0 });
      }
    }
    frames.push(frame);
  }
  return frames;
}

/** desktop.ts's CURSOR_MOVEs, one per frame, for the same events through stand-in input drivers. */
function tsDesktopMoves(width: number, height: number, frames: Ev[][]): string[] {
  const moves: string[] = [];
  const { env, queued } = standInGuestEnv(
    width,
    height,
    { cursorMove: (_d: number, x: number, y: number) => moves.push(`move ${x >>> 0} ${y >>> 0}`) },
    64 * 1024,
  );
  desktop.setup(env);
  frames.forEach((events, n) => {
    for (const e of events) queued[e.dev].push({ type: e.type, code: e.code, value: e.value });
    desktop.frame(env, n);
  });
  return moves;
}

describe('desktop follows the pointer (host build over virtio-pci)', () => {
  it.each([
    [1, 640, 480],
    [2, 1920, 1080],
    [3, 65, 64],
    [4, 8192, 8192],
  ])('seed %i at %ix%i: the same CURSOR_MOVE as desktop.ts every frame, every event taken and its buffer given back', (seed, width, height) => {
    const frames = randomFrames(seed, 300);
    const lines: string[] = [];
    frames.forEach((events, n) => {
      for (const e of events) lines.push(`${e.dev} ${e.type} ${e.code} ${e.value}`);
      lines.push(`frame ${n} ${width} ${height}`);
    });
    const out = run('none', 0, lines).filter((l) => !l.startsWith('setup '));
    expect(out).toHaveLength(frames.length);
    expect(out.map((l) => l.split(' taken')[0])).toEqual(tsDesktopMoves(width, height, frames));
    // Each frame takes what the devices wrote since the last, and notifies once per device that had any.
    let notifies = [0, 0];
    out.forEach((l, n) => {
      const [, taken, k, t] = /taken (\d+) notifies (\d+) (\d+)$/.exec(l)!;
      expect(Number(taken)).toBe(frames[n]!.length);
      notifies = [notifies[0]! + (frames[n]!.some((e) => e.dev === 'k') ? 1 : 0), notifies[1]! + (frames[n]!.some((e) => e.dev === 't') ? 1 : 0)];
      expect([Number(k), Number(t)]).toEqual(notifies);
    });
  });

  it('with no pointer report yet the cursor stays on its path; the first report moves it there', () => {
    const out = run('none', 0, ['frame 0 640 480', 'frame 1 640 480', 't 3 0 32767', 't 3 1 0', 'frame 2 640 480', 't 3 0 0', 'frame 3 640 480']);
    const moves = out.filter((l) => l.startsWith('move')).map((l) => l.split(' taken')[0]);
    // Frames 0 and 1 on the Lissajous path; frame 2's events lack a SYN_REPORT, so no report yet; frame 3 neither.
    expect(moves).toEqual(tsDesktopMoves(640, 480, [[], [], [], []]).slice(0, 4));
    const synced = run('none', 0, ['t 3 0 32767', 't 3 1 0', 't 0 0 0', 'frame 0 640 480']).filter((l) => l.startsWith('move'));
    expect(synced[0]).toMatch(/^move 639 0 /);
  });
});
