// Presents per second of a running VM's display.
//  - Paced (measurePacedRate): from the engine's count of paced presents and the time the last
//    one went out, read as one pair; two reads some seconds apart give the presents between two
//    known present times, exact to the engine's wake-up whatever the reads' own latency.
//  - Any display (measurePresentRate): from the engine's present count, polled: the moment the
//    count moves is found at both ends of the window, so the window holds a whole number of
//    presents and its edges are known to about one stats round trip.
import type { Vm } from '../vmm/vm.js';

export interface PresentRate {
  presents: number;
  seconds: number;
  per_second: number;
  /** How well each edge of the window is known (ms): a stats round trip when polled, 0 for the paced pair. */
  edge_uncertainty_ms: number;
}

export interface PacedRate extends PresentRate {
  /** Refresh ticks between the window's two presents that carried no frame (the guest was late). */
  missed: number;
}

async function engine(vm: Vm, device: number) {
  const e = (await vm.stats()).devices[device]!.engine;
  if (!e) throw new Error(`device ${device} has no engine stats`);
  return e;
}

/** Waits for the present count to move; returns it and when it was seen (mid round trip). */
async function nextPresent(vm: Vm, device: number, timeoutMs: number): Promise<{ count: number; at: number; roundTripMs: number }> {
  const first = (await engine(vm, device)).presents;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const before = performance.now();
    const count = (await engine(vm, device)).presents;
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

/** A paced display's presents per second over about `seconds`, between two presents' own times. */
export async function measurePacedRate(vm: Vm, seconds: number, device = 0): Promise<PacedRate> {
  const start = await engine(vm, device);
  if (start.vblankWaits === 0) throw new Error(`device ${device} has presented nothing paced yet`);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const end = await engine(vm, device);
  const s = (end.lastVblankUs - start.lastVblankUs) / 1e6;
  const n = end.vblankWaits - start.vblankWaits;
  // Counted when the late present comes: the misses before each present of the window.
  return { presents: n, seconds: s, per_second: n / s, edge_uncertainty_ms: 0, missed: end.vblankMissed - start.vblankMissed };
}
