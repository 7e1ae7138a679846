// What a built-in workload is: a setup and a per-frame step, both drawing through the driver.
import type { PvgDriver, DisplayModeInfo } from '../driver.js';
import type { GuestInput } from '../guest-input.js';
import type { Rng } from '../rng.js';

export interface GuestEnv {
  driver: PvgDriver;
  rng: Rng;
  /** The display's modes as probed; the workload starts in `mode`. */
  modes: DisplayModeInfo[];
  /** Every display's modes as probed (displayModes[0] is `modes`). */
  displayModes: DisplayModeInfo[][];
  mode: number;
  /** Share of the frame the band workload redraws and presents each frame (percent). */
  damagePercent: number;
  /** Bad MMIO for the hostile workload: raw accesses through the vCPU's bus. */
  rawRead(address: number, size: number): number;
  rawWrite(address: number, size: number, value: number): void;
  gfxBase: number;
  /** The display's keyboard and tablet (null: the VM gave this display none). */
  input: GuestInput | null;
  /** Halts until an interrupt comes (at most `ms`), handling it: for workloads that wait for input. */
  idle(ms: number): void;
}

export interface Workload {
  readonly name: string;
  readonly description: string;
  /** The guest drives the display's input devices for it (when the VM has them): other workloads leave them to whoever else may. */
  readonly usesInput?: boolean;
  setup(env: GuestEnv): void;
  /** Draws frame n (0-based) and presents it. */
  frame(env: GuestEnv, n: number): void;
  /**
   * State the workload keeps between frames outside `env` (a snapshot of the guest: program-
   * snapshot.ts), as numbers, and back into an env that was not set up. A workload that keeps
   * none (everything from `env` and the frame number) leaves both out. loadState returns a reason
   * when the numbers cannot be its state.
   */
  saveState?(env: GuestEnv): number[];
  loadState?(env: GuestEnv, words: readonly number[]): string | null;
}

/** For loadState: `count` safe integers, or why not. */
export function checkWords(words: readonly number[], count: number): string | null {
  if (words.length !== count) return `${words.length} words, ${count} expected`;
  return words.every((w) => Number.isSafeInteger(w)) ? null : 'a word that is not an integer';
}

export const WORKLOAD_CTX = 1;
export const WORKLOAD_CTX_BYTES = 64 * 1024 * 1024;

/** Writes a w×h ARGB image produced by `pixel` into guest RAM at gpa. */
export function writeImage(env: GuestEnv, gpa: number, w: number, h: number, pixel: (x: number, y: number) => number): void {
  const t = env.driver.memory.translate(gpa, w * h * 4, 'write');
  if (!t.ok) throw new Error(t.error.message);
  const view = new DataView(env.driver.memory.sab, t.offset, w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) view.setUint32((y * w + x) * 4, pixel(x, y) >>> 0, true);
}

/** A context with `bytes` of fresh guest RAM mapped at va 0; returns the RAM's address. */
export function mappedBuffer(env: GuestEnv, ctx: number, bytes: number): number {
  const size = Math.ceil(bytes / 4096) * 4096;
  const gpa = env.driver.pages.allocate(size);
  env.driver.ctxCreate(ctx, WORKLOAD_CTX_BYTES);
  env.driver.map(ctx, 0, [{ gpa, length: size }]);
  return gpa;
}

export function current(env: GuestEnv): DisplayModeInfo {
  return env.modes[env.mode]!;
}
