// A device actor's part of a snapshot (docs/snapshots.md): its engine, task space and (PCI
// variant) config space saved while the VM is paused, and loaded into a device no record has
// reached yet. The engine checks its own bytes (native engine_state); the task space and config
// space are checked by their codecs; the first refusal is returned, naming the component.
import type { GuestAddressMap } from '../../shared/guest-memory/index.js';
import type { NativeEngine } from '../../shared/native/types.js';
import { StateFormatError } from '../../shared/snapshot/state-bytes.js';
import type { DeviceStateBytes } from './messages.js';
import { loadPciConfig, savePciConfig } from '../../shared/pci/config-snapshot.js';
import type { PciConfigSpace } from '../../shared/pci/config-space.js';
import { loadTaskSpace, saveTaskSpace } from './task-space-snapshot.js';
import type { TaskSpace } from './task-space.js';

export interface DeviceStateParts {
  engine: NativeEngine;
  tasks: TaskSpace;
  pci: PciConfigSpace | null;
  memory: GuestAddressMap;
}

export function saveDeviceState(p: DeviceStateParts): DeviceStateBytes {
  return { engine: p.engine.saveState(), taskSpace: saveTaskSpace(p.tasks), pci: p.pci ? savePciConfig(p.pci) : null };
}

export function loadDeviceState(p: DeviceStateParts, s: DeviceStateBytes): { part: string; reason: string } | null {
  if ((s.pci === null) !== (p.pci === null)) return { part: 'pci config', reason: p.pci ? 'missing for a PCI device' : 'present for an MMIO device' };
  try {
    if (p.pci && s.pci) loadPciConfig(p.pci, s.pci);
    loadTaskSpace(p.tasks, p.memory, s.taskSpace);
  } catch (err) {
    if (err instanceof StateFormatError) return { part: err.part, reason: err.reason };
    throw err;
  }
  const refused = p.engine.loadState(s.engine);
  return refused && { part: `engine ${refused.part}`, reason: refused.reason };
}
