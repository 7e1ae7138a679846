// Presents per second of a running VM's display, measured from the engine's present count: the
// moment the count moves is found at both ends of the window (polled), so the window holds a
// whole number of presents and its edges are known to about one stats round trip, not to a
// whole frame interval.
import type { Vm } from '../vmm/vm.js';

export interface PresentRate {
  presents: number;
  seconds: number;
  per_second: number;
  /** The longest stats round trip at the window's edges (ms): how well each edge is known. */
  edge_uncertainty_ms: number;
}

async function presents(vm: Vm, device: number): Promise<number> {
  const engine = (await vm.stats()).devices[device]!.engine;
  if (!engine) throw new Error(`device ${device} has no engine stats`);
  return engine.presents;
}

/** Waits for the present count to move; returns it and when it was seen (mid round trip). */
async function nextPresent(vm: Vm, device: number, timeoutMs: number): Promise<{ count: number; at: number; roundTripMs: number }> {
  const first = await presents(vm, device);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const before = performance.now();
    const count = await presents(vm, device);
    const after = performance.now();
    if (count !== first) return { count, at: (before + after) / 2, roundTripMs: after - before };
    if (after > deadline) throw new Error(`no present on device ${device} for ${timeoutMs} ms`);
  }
}

/** Presents per second over about `seconds` of the guest's run (it must present for longer). */
export async function measurePresentRate(vm: Vm, seconds: number, device = 0): Promise<PresentRate> {
  const start = await nextPresent(vm, device, 5000);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const end = await nextPresent(vm, device, 5000);
  const s = (end.at - start.at) / 1000;
  const n = end.count - start.count;
  return { presents: n, seconds: s, per_second: n / s, edge_uncertainty_ms: Math.max(start.roundTripMs, end.roundTripMs) };
}
