// A TypeScript guest environment for comparing a workload's commands with the machine-code
// guest's: a driver that records only the calls given (every other call does nothing) and
// stand-in input drivers whose events the test queues per device ('k' keyboard, 't' tablet).
import type { PvgDriver } from '../../guest/ts/driver.js';
import { GuestInputDevices } from '../../guest/ts/guest-input.js';
import type { RawInputEvent, VirtioInputGuestDriver } from '../../guest/ts/virtio-input.js';
import type { GuestEnv } from '../../guest/ts/workloads/workload.js';

export type InputDev = 'k' | 't';

export interface StandInGuestEnv {
  env: GuestEnv;
  /** Events the next frame's input drivers hand out, per device. */
  queued: Record<InputDev, RawInputEvent[]>;
  /** The guest memory the driver's pages come from (all at offset 0). */
  sab: SharedArrayBuffer;
}

export function standInGuestEnv(width: number, height: number, calls: Record<string, unknown>, sabBytes = 4096): StandInGuestEnv {
  const sab = new SharedArrayBuffer(sabBytes);
  const record: Record<string, unknown> = {
    pages: { allocate: () => 0 },
    memory: { translate: () => ({ ok: true, offset: 0 }), sab },
    ...calls,
  };
  const driver = new Proxy(record, { get: (t, p: string) => (p in t ? t[p] : () => undefined) }) as unknown as PvgDriver;
  const queued: Record<InputDev, RawInputEvent[]> = { k: [], t: [] };
  const stand = (dev: InputDev) =>
    ({
      take: (into: RawInputEvent[]) => void into.push(...queued[dev].splice(0)),
      pending: () => queued[dev].length > 0,
    }) as unknown as VirtioInputGuestDriver;
  const input = new GuestInputDevices(
    stand('k'),
    stand('t'),
    () => undefined,
    () => false,
  );
  const mode = { width, height, refresh: 60 };
  const env = { driver, modes: [mode], displayModes: [[mode]], mode: 0, input, idle: () => undefined } as unknown as GuestEnv;
  return { env, queued, sab };
}
