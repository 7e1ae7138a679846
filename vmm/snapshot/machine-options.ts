// The config section: the options that rebuild the machine, as JSON. Only what shapes the
// machine is kept; host-side choices (outputs, tracing, start mode) belong to whoever restores,
// and test hooks never go into a file. On load the JSON is checked by resolveConfig, the same
// checks an embedder's options get, so a hostile file cannot ask for what a caller could not.
import { resolveConfig, VmConfigError, type ResolvedConfig, type VmOptions } from '../config.js';
import { SnapshotFormatError } from './errors.js';

/** VmOptions keys a snapshot keeps. */
export const MACHINE_KEYS = [
  'ramMiB',
  'vcpus',
  'devices',
  'workload',
  'profile',
  'pacing',
  'writeWindow',
  'enginePoolThreads',
  'limits',
  'callbackTimeoutMs',
  'threading',
  'cpu',
  'input',
  'inputTransport',
  'inputInterrupts',
] as const satisfies readonly (keyof VmOptions)[];
export type MachineOptions = Pick<VmOptions, (typeof MACHINE_KEYS)[number]>;

/** The options of `options` that shape the machine (a deep copy through JSON). */
export function machineOptions(options: VmOptions): MachineOptions {
  const out: Record<string, unknown> = {};
  for (const k of MACHINE_KEYS) if (options[k] !== undefined) out[k] = options[k];
  return JSON.parse(JSON.stringify(out)) as MachineOptions;
}

export function encodeMachineOptions(options: MachineOptions): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(options));
}

const PART = 'section config';
/** Longer than any real machine's options (16 devices with their modes is a few KiB). */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** The options, checked: valid JSON, only machine keys, and accepted by resolveConfig. */
export function decodeMachineOptions(bytes: Uint8Array): { options: MachineOptions; config: ResolvedConfig } {
  if (bytes.length > MAX_CONFIG_BYTES) throw new SnapshotFormatError(PART, `${bytes.length} bytes, more than ${MAX_CONFIG_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new SnapshotFormatError(PART, `not UTF-8 JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SnapshotFormatError(PART, 'not a JSON object');
  const unknown = Object.keys(value).filter((k) => !(MACHINE_KEYS as readonly string[]).includes(k));
  if (unknown.length) throw new SnapshotFormatError(PART, `keys a snapshot does not keep: ${unknown.join(', ')}`);
  const options = value as MachineOptions;
  // A save keeps the CPU as resolved; whether this host can run KVM is the restore's question.
  if (options.cpu === 'auto') throw new SnapshotFormatError(PART, 'cpu auto: a snapshot keeps the CPU a machine ran (ts or kvm)');
  try {
    return { options, config: resolveConfig(options, { probeHost: false }) };
  } catch (err) {
    if (err instanceof VmConfigError) throw new SnapshotFormatError(PART, err.message);
    throw err;
  }
}
