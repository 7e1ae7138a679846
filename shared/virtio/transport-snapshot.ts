// A virtio transport's state in a snapshot, written and read by one pair of functions for both
// transports, so a later field (virtio-pci's MSI-X table) is added in one place: the shared
// core's (device status, accepted features, each queue's registers and the device's positions in
// a ready queue's rings), then the transport's own registers — virtio-mmio's selects and
// InterruptStatus; virtio-pci's selects, ISR status, MSI-X entry numbers, its PCI
// configuration space (shared/pci/config-snapshot.ts bytes) and its MSI-X table and pending bits
// (shared/pci/msix.ts). The bytes are a file's: counts are
// checked here, values by the transport's loadState, which refuses with StateFormatError.
//
// Layout (little-endian u32s): transport (0 mmio, 1 pci); status, driver features (2 words);
// queue count, per queue num, desc lo/hi, driver lo/hi, device lo/hi, ready, last available,
// used index; mmio: device and driver feature selects, queue select, interrupt status; pci:
// device and driver feature selects, queue select, ISR, config vector, vector count and the
// queues' vectors, config-space length and bytes, MSI-X table word count and words, pending
// word count and words.
import { StateReader, StateWriter } from '../snapshot/state-bytes.js';
import type { VirtioCoreState } from './virtio-core.js';
import type { MsixTableState } from '../pci/msix.js';

export interface VirtioMmioState {
  transport: 'mmio';
  core: VirtioCoreState;
  deviceFeaturesSel: number;
  driverFeaturesSel: number;
  queueSel: number;
  interruptStatus: number;
}

export interface VirtioPciState {
  transport: 'pci';
  core: VirtioCoreState;
  deviceFeatureSel: number;
  driverFeatureSel: number;
  queueSel: number;
  isr: number;
  configVector: number;
  queueVectors: number[];
  /** The function's configuration space, as shared/pci/config-snapshot.ts saves it. */
  config: Uint8Array;
  /** Its MSI-X table and pending bits (Enable and Function Mask are in `config`). */
  msix: MsixTableState;
}

export type VirtioTransportState = VirtioMmioState | VirtioPciState;

/** More queues than any virtio device here has (virtio-input: 2). */
const MAX_QUEUES = 64;
const MAX_CONFIG_BYTES = 8192;
const QUEUE_BYTES = 40;

export function writeTransportState(w: StateWriter, s: VirtioTransportState): void {
  w.u32(s.transport === 'mmio' ? 0 : 1);
  const c = s.core;
  w.u32(c.status).u32(c.driverFeatures[0]).u32(c.driverFeatures[1]).u32(c.queues.length);
  for (const q of c.queues) {
    w.u32(q.num).u32(q.desc[0]).u32(q.desc[1]).u32(q.driver[0]).u32(q.driver[1]).u32(q.device[0]).u32(q.device[1]);
    w.u32(q.ready ? 1 : 0)
      .u32(q.ready?.lastAvail ?? 0)
      .u32(q.ready?.usedIdx ?? 0);
  }
  if (s.transport === 'mmio') {
    w.u32(s.deviceFeaturesSel).u32(s.driverFeaturesSel).u32(s.queueSel).u32(s.interruptStatus);
    return;
  }
  w.u32(s.deviceFeatureSel).u32(s.driverFeatureSel).u32(s.queueSel).u32(s.isr).u32(s.configVector).u32(s.queueVectors.length);
  for (const v of s.queueVectors) w.u32(v);
  w.u32(s.config.length).bytes(s.config);
  w.u32(s.msix.entries.length);
  for (const word of s.msix.entries) w.u32(word);
  w.u32(s.msix.pending.length);
  for (const word of s.msix.pending) w.u32(word);
}

export function readTransportState(r: StateReader): VirtioTransportState {
  r.at('transport');
  const kind = r.u32();
  if (kind > 1) r.fail(`transport ${kind}, not 0 (mmio) or 1 (pci)`);
  const status = r.u32();
  const driverFeatures: [number, number] = [r.u32(), r.u32()];
  const queues: VirtioCoreState['queues'] = [];
  const n = r.count('queues', QUEUE_BYTES, MAX_QUEUES);
  for (let i = 0; i < n; i++) {
    const num = r.u32();
    const desc: [number, number] = [r.u32(), r.u32()];
    const driver: [number, number] = [r.u32(), r.u32()];
    const device: [number, number] = [r.u32(), r.u32()];
    const ready = r.flag(`queue ${i} ready`);
    const lastAvail = r.u32();
    const usedIdx = r.u32();
    queues.push({ num, desc, driver, device, ready: ready ? { lastAvail, usedIdx } : null });
  }
  const core = { status, driverFeatures, queues };
  if (kind === 0) return { transport: 'mmio', core, deviceFeaturesSel: r.u32(), driverFeaturesSel: r.u32(), queueSel: r.u32(), interruptStatus: r.u32() };
  const deviceFeatureSel = r.u32();
  const driverFeatureSel = r.u32();
  const queueSel = r.u32();
  const isr = r.u32();
  const configVector = r.u32();
  const queueVectors: number[] = [];
  const vectors = r.count('queue vectors', 4, MAX_QUEUES);
  for (let i = 0; i < vectors; i++) queueVectors.push(r.u32());
  const config = r.bytes(r.count('config bytes', 1, MAX_CONFIG_BYTES));
  const entries: number[] = [];
  const entryWords = r.count('MSI-X table words', 4, 4 * (MAX_QUEUES + 1));
  for (let i = 0; i < entryWords; i++) entries.push(r.u32());
  const pending: number[] = [];
  const pendingWords = r.count('MSI-X pending words', 4, 1 + (MAX_QUEUES >> 5));
  for (let i = 0; i < pendingWords; i++) pending.push(r.u32());
  return { transport: 'pci', core, deviceFeatureSel, driverFeatureSel, queueSel, isr, configVector, queueVectors, config, msix: { entries, pending } };
}

/** A transport's state as bytes of its own (the transport's tests and fuzzing; a device codec embeds it). */
export function encodeTransportState(s: VirtioTransportState): Uint8Array {
  const w = new StateWriter();
  writeTransportState(w, s);
  return w.finish();
}

export function decodeTransportState(bytes: Uint8Array, component = 'virtio transport'): VirtioTransportState {
  const r = new StateReader(bytes, component);
  const s = readTransportState(r);
  r.end();
  return s;
}
