// A virtio-input device's state in a snapshot (one section per device, docs/snapshots.md): the
// events that wait for the driver's buffers, the tablet's last reported pointer, the
// configuration selection, and its transport's state (shared/virtio/transport-snapshot.ts). The
// bytes are a file's: counts are checked here, the values by VirtioInputDevice.loadState and the
// transport's; the first problem is refused with StateFormatError naming where.
//
// Layout (little-endian u32s): magic 'VINP', version, kind (0 keyboard, 1 tablet), select
// (select | subsel << 8), pointer x + 1, y + 1 (0: none yet), buttons, waiting event count and
// per event type, code, value; then the transport's state.
import { StateFormatError, StateReader, StateWriter } from '../../shared/snapshot/state-bytes.js';
import { readTransportState, writeTransportState } from '../../shared/virtio/transport-snapshot.js';
import { PENDING_EVENTS_MAX, type InputDeviceState, type VirtioInputDevice } from './virtio-input.js';

const MAGIC = 0x504e4956; // 'VINP'
const VERSION = 1;
const KINDS = ['keyboard', 'tablet'] as const;

export function encodeInputDeviceState(s: InputDeviceState): Uint8Array {
  const w = new StateWriter().u32(MAGIC).u32(VERSION).u32(KINDS.indexOf(s.kind)).u32(s.select);
  w.u32(s.pointer.x + 1)
    .u32(s.pointer.y + 1)
    .u32(s.pointer.buttons)
    .u32(s.pending.length / 3);
  for (const v of s.pending) w.u32(v);
  writeTransportState(w, s.transport);
  return w.finish();
}

export function decodeInputDeviceState(bytes: Uint8Array, component = 'input device'): InputDeviceState {
  const r = new StateReader(bytes, component);
  r.header(MAGIC, VERSION);
  r.at('device');
  const k = r.u32();
  const kind = KINDS[k] ?? r.fail(`kind ${k}, not 0 (keyboard) or 1 (tablet)`);
  const select = r.u32();
  const pointer = { x: r.u32() - 1, y: r.u32() - 1, buttons: r.u32() };
  r.at('events');
  const n = r.count('events', 12, PENDING_EVENTS_MAX);
  const pending: number[] = [];
  for (let i = 0; i < 3 * n; i++) pending.push(r.u32());
  const transport = readTransportState(r);
  r.end();
  return { kind, transport, select, pending, pointer };
}

export function saveInputDevice(device: VirtioInputDevice): Uint8Array {
  return encodeInputDeviceState(device.saveState());
}

/** Decodes `bytes` into a device that has not run; StateFormatError when refused. */
export function loadInputDevice(device: VirtioInputDevice, bytes: Uint8Array, component = 'input device'): void {
  device.loadState(decodeInputDeviceState(bytes, component), component);
}

/** Every device's saved state, in order, into devices that have not run; the first refusal, or null. */
export function loadInputDevices(devices: readonly VirtioInputDevice[], saved: readonly Uint8Array[]): { index: number; part: string; reason: string } | null {
  if (saved.length !== devices.length) return { index: 0, part: 'input device', reason: `${saved.length} saved devices, the machine has ${devices.length}` };
  for (const [i, d] of devices.entries()) {
    try {
      loadInputDevice(d, saved[i]!);
    } catch (err) {
      if (err instanceof StateFormatError) return { index: i, part: err.part, reason: err.reason };
      throw err;
    }
  }
  return null;
}
