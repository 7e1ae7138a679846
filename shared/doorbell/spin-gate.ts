// A cap on how many of a VM's threads spin at once (docs/doorbells.md, "The spin gate"). Spinning
// before parking saves a wake-up only while the spinner has a core of its own; with several
// devices a VM has three or more spinners per device (device actor, MMIO dispatcher, vCPU),
// and past the machine's cores they take turns on the cores the working threads need (bench
// scaling at 16 devices on 16 cores: 15.5 cores busy, 0.08 efficiency). A thread that finds
// the gate full parks at once instead of spinning. Native threads share the same two words
// (native/src/core/spin_gate.h).
//
// Each worker thread installs its VM's gate once at start (actor boot); a thread with none
// installed spins as asked (tests, the main thread).

/** Word indices in the gate's SharedArrayBuffer. */
export const SPIN_GATE_SPINNING = 0;
export const SPIN_GATE_LIMIT = 1;
export const SPIN_GATE_WORDS = 2;

export function createSpinGateBuffer(limit: number): SharedArrayBuffer {
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`spin gate limit must be an integer ≥ 0 (got ${limit})`);
  const sab = new SharedArrayBuffer(SPIN_GATE_WORDS * 4);
  new Int32Array(sab)[SPIN_GATE_LIMIT] = limit;
  return sab;
}

let words: Int32Array | null = null;

/** This thread's gate from now on (null: none, spin freely). */
export function installSpinGate(sab: SharedArrayBuffer | null): void {
  words = sab ? new Int32Array(sab) : null;
}

/** Takes a spinning place if one is free; every true must be paired with leaveSpin(). */
export function enterSpin(): boolean {
  if (!words) return true;
  if (Atomics.add(words, SPIN_GATE_SPINNING, 1) < Atomics.load(words, SPIN_GATE_LIMIT)) return true;
  Atomics.sub(words, SPIN_GATE_SPINNING, 1);
  return false;
}

export function leaveSpin(): void {
  if (words) Atomics.sub(words, SPIN_GATE_SPINNING, 1);
}

/** The spin budget a waiter may use now: `budget`, or 0 when the gate is full. Pair with spinDone(). */
export function spinBudgetNow(budget: number): number {
  return budget > 0 && enterSpin() ? budget : 0;
}

/** Ends a spin that spinBudgetNow granted (a budget of 0 took no place). */
export function spinDone(granted: number): void {
  if (granted > 0) leaveSpin();
}
