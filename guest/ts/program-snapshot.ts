// The TypeScript guest's program state in a snapshot (GuestProgramState: where the workload is,
// the fence it waits for, its ring, allocator, RNG, probed modes, the workload's own numbers and
// its statistics), as bytes. The bytes are a file's: the framing and every count are checked
// here, and GuestProgram.loadState checks the rest against the program's configuration and RAM;
// the first problem is refused with StateFormatError.
//
// Layout (little-endian): magic 'GPRG', version u32, booted u32, frame u64, finished u32, fence
// wait u32 (0/1), its value u32 and last u32, display count u32 and per display a mode count u32
// and modes (width, height, refresh u32), mode u32, RNG u32, allocator u64, driver (ring u32,
// ring gpa u64, payload, tail, head, dirty u32), workload word count u32 and words (u64), the
// virtio-input drivers u32 (0/1) and if 1 the keyboard's and the tablet's (name: length u32 and
// UTF-8; queue page u64, last used, available index u32, events taken u64, transport word count
// u32 and words u64) and the tablet decoder (x, y as int32 bits, buttons, changed u32),
// statistics (frames done, interrupts handled, device errors seen, halts u64; last error: length
// u32, 0xFFFFFFFF for none, and UTF-8; interrupts by vector: count u32 and (vector u32, count u64)).
import { StateFormatError, StateReader, StateWriter } from '../../shared/snapshot/state-bytes.js';
import type { DisplayModeInfo } from './driver.js';
import type { GuestInputState } from './guest-input.js';
import type { VirtioInputDriverState } from './virtio-input.js';
import type { GuestProgram, GuestProgramState } from './program.js';

const MAGIC = 0x47525047; // 'GPRG'
/** 2: the virtio-input drivers after the workload's words, and up to MAX_WORKLOAD_WORDS of those. */
const VERSION = 2;
const NONE = 0xffffffff;
const MAX_DISPLAYS = 16;
const MAX_MODES = 64;
/** paint keeps its text box (three lines of up to 510 characters at 8192 wide, 4 a word). */
const MAX_WORKLOAD_WORDS = 1024;
const MAX_NAME_BYTES = 128;
const MAX_TRANSPORT_WORDS = 40;
const MAX_ERROR_BYTES = 1024;

export function encodeGuestProgramState(s: GuestProgramState): Uint8Array {
  const w = new StateWriter()
    .u32(MAGIC)
    .u32(VERSION)
    .u32(s.booted ? 1 : 0)
    .u64(s.frame)
    .u32(s.finished ? 1 : 0);
  w.u32(s.fenceWait ? 1 : 0)
    .u32(s.fenceWait?.value ?? 0)
    .u32(s.fenceWait?.last ? 1 : 0);
  w.u32(s.displayModes.length);
  for (const modes of s.displayModes) {
    w.u32(modes.length);
    for (const m of modes) w.u32(m.width).u32(m.height).u32(m.refresh);
  }
  w.u32(s.mode).u32(s.rng).u64(s.pagesNext);
  const d = s.driver;
  w.u32(d.ring ? 1 : 0)
    .u64(d.ringGpa)
    .u32(d.payload)
    .u32(d.tail)
    .u32(d.head)
    .u32(d.dirty ? 1 : 0);
  w.u32(s.workload.length);
  for (const x of s.workload) w.u64(x);
  w.u32(s.input ? 1 : 0);
  if (s.input) {
    for (const d of [s.input.keyboard, s.input.tablet]) writeDriver(w, d);
    const p = s.input.pointer;
    w.u32(p.x)
      .u32(p.y)
      .u32(p.buttons)
      .u32(p.changed ? 1 : 0);
  }
  const t = s.stats;
  w.u64(t.framesDone).u64(t.interruptsHandled).u64(t.deviceErrorsSeen).u64(t.halts);
  if (t.lastError === null) w.u32(NONE);
  else {
    const text = new TextEncoder().encode(t.lastError).subarray(0, MAX_ERROR_BYTES);
    w.u32(text.length).bytes(text);
  }
  const byVector = Object.entries(t.interruptsByVector ?? {});
  w.u32(byVector.length);
  for (const [v, n] of byVector) w.u32(Number(v)).u64(n);
  return w.finish();
}

export function decodeGuestProgramState(bytes: Uint8Array, component = 'guest program'): GuestProgramState {
  const r = new StateReader(bytes, component);
  r.header(MAGIC, VERSION);
  r.at('progress');
  const booted = r.flag('booted');
  const frame = r.u64();
  const finished = r.flag('finished');
  const waiting = r.flag('fence wait');
  const value = r.u32();
  const last = r.flag('last fence');
  r.at('modes');
  const displayModes: DisplayModeInfo[][] = [];
  const displays = r.count('displays', 4, MAX_DISPLAYS);
  for (let i = 0; i < displays; i++) {
    const modes: DisplayModeInfo[] = [];
    const n = r.count('modes', 12, MAX_MODES);
    for (let k = 0; k < n; k++) modes.push({ width: r.u32(), height: r.u32(), refresh: r.u32() });
    displayModes.push(modes);
  }
  const mode = r.u32();
  const rng = r.u32();
  const pagesNext = r.u64();
  r.at('driver');
  const ring = r.flag('ring');
  const driver = { ring, ringGpa: r.u64(), payload: r.u32(), tail: r.u32(), head: r.u32(), dirty: r.flag('dirty') };
  r.at('workload');
  const workload: number[] = [];
  const words = r.count('words', 8, MAX_WORKLOAD_WORDS);
  for (let i = 0; i < words; i++) workload.push(r.u64());
  r.at('input');
  let input: GuestInputState | null = null;
  if (r.flag('input')) {
    const keyboard = readDriver(r.at('input: keyboard'));
    const tablet = readDriver(r.at('input: tablet'));
    r.at('input: pointer');
    input = { keyboard, tablet, pointer: { x: r.u32() | 0, y: r.u32() | 0, buttons: r.u32(), changed: r.flag('changed') } };
  }
  r.at('statistics');
  const framesDone = r.u64();
  const interruptsHandled = r.u64();
  const deviceErrorsSeen = r.u64();
  const halts = r.u64();
  const length = r.u32();
  let lastError: string | null = null;
  if (length !== NONE) {
    if (length > MAX_ERROR_BYTES) r.fail(`last error of ${length} bytes`);
    lastError = new TextDecoder().decode(r.bytes(length));
  }
  const interruptsByVector: Record<number, number> = {};
  const vectors = r.count('vectors', 12, 256);
  for (let i = 0; i < vectors; i++) {
    const v = r.u32();
    if (v > 255 || v in interruptsByVector) r.fail(`vector ${v} out of range or twice`);
    interruptsByVector[v] = r.u64();
  }
  r.end();
  return {
    booted,
    frame,
    finished,
    fenceWait: waiting ? { value, last } : null,
    displayModes,
    mode,
    rng,
    pagesNext,
    driver,
    workload,
    input,
    stats: { framesDone, interruptsHandled, interruptsByVector, deviceErrorsSeen, halts, lastError },
  };
}

function writeDriver(w: StateWriter, d: VirtioInputDriverState): void {
  const name = new TextEncoder().encode(d.name).subarray(0, MAX_NAME_BYTES);
  w.u32(name.length).bytes(name).u64(d.queueGpa).u32(d.lastUsed).u32(d.availIdx).u64(d.eventsTaken).u32(d.transport.length);
  for (const x of d.transport) w.u64(x);
}

function readDriver(r: StateReader): VirtioInputDriverState {
  const length = r.u32();
  if (length > MAX_NAME_BYTES) r.fail(`a name of ${length} bytes`);
  const name = new TextDecoder().decode(r.bytes(length));
  const queueGpa = r.u64();
  const lastUsed = r.u32();
  const availIdx = r.u32();
  const eventsTaken = r.u64();
  const transport: number[] = [];
  const n = r.count('transport words', 8, MAX_TRANSPORT_WORDS);
  for (let i = 0; i < n; i++) transport.push(r.u64());
  return { name, queueGpa, lastUsed, availIdx, eventsTaken, transport };
}

export function saveGuestProgram(program: GuestProgram): Uint8Array {
  return encodeGuestProgramState(program.saveState());
}

/** Decodes `bytes` and loads them into a program that has not stepped yet; StateFormatError when refused. */
export function loadGuestProgram(program: GuestProgram, bytes: Uint8Array, component = 'guest program'): void {
  const bad = program.loadState(decodeGuestProgramState(bytes, component));
  if (bad !== null) throw new StateFormatError(component, bad);
}
