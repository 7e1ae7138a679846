// A one-shot gate in a SharedArrayBuffer, for tests that must order what another thread does
// against what the test does by a positive signal rather than by a time window: the thread
// says it has arrived (and waits), the test sees that and opens the gate.
const enum Word {
  Open = 0,
  Arrived = 1,
}

export function createGate(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * 4);
}

/** On the held thread: says it has arrived, then waits (interruptibly, for Worker.terminate) until opened. */
export function holdAtGate(gate: SharedArrayBuffer): void {
  const words = new Int32Array(gate);
  Atomics.store(words, Word.Arrived, 1);
  Atomics.notify(words, Word.Arrived);
  while (Atomics.load(words, Word.Open) === 0) Atomics.wait(words, Word.Open, 0);
}

export function hasArrived(gate: SharedArrayBuffer): boolean {
  return Atomics.load(new Int32Array(gate), Word.Arrived) === 1;
}

export function openGate(gate: SharedArrayBuffer): void {
  const words = new Int32Array(gate);
  Atomics.store(words, Word.Open, 1);
  Atomics.notify(words, Word.Open);
}
