// The guests' frame count at the point a snapshot was saved: their own statistic, which the
// snapshot keeps (the guest program's state), unlike the actors' counters, which a restored
// machine starts at zero (docs/snapshots.md, "Counters after a restore").
import { decodeGuestProgramState } from '../../guest/ts/program-snapshot.js';
import type { MachineState } from './machine-state.js';

/** Frames every guest had finished when `state` was saved (0: saved before any guest ran). */
export function guestFramesAtSave(state: MachineState | null): number {
  if (state === null) return 0;
  return state.vcpus.reduce((n, v) => n + (v.program ? decodeGuestProgramState(v.program).stats.framesDone : 0), 0);
}
