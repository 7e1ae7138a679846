// A VM's snapshot, saved and restored (docs/snapshots.md): what vm.saveSnapshot() writes and what
// Vm.restore() reads back into fresh guest memory, its component sections checked, before any
// actor exists.
import { RAM_BASE } from '../../actors/vcpu/layout.js';
import { createGuestMemory, type GuestMemory } from '../../shared/guest-memory/index.js';
import { VmConfigError, type OutputOptions, type VmOptions } from '../config.js';
import { onlyKnownKeys, optionsObject } from '../config-values.js';
import { SnapshotFormatError } from './errors.js';
import { writeSnapshotFile } from './file.js';
import { loadSnapshotFile } from './file-load.js';
import { MACHINE_KEYS, type MachineOptions } from './machine-options.js';
import type { RamCompression, RamEncodeStats } from './ram.js';
import { encodeSnapshot } from './snapshot.js';
import { vmmVersion } from './version.js';
import { checkMachineState } from './machine-state-check.js';
import type { MachineState } from './machine-state.js';

export interface SaveSnapshotOptions {
  /** 'auto' (default): zero pages skipped, chunks deflated where it pays; 'none': zero pages skipped only. */
  compression?: RamCompression;
}

export interface SaveSnapshotReport {
  file: string;
  /** The file's size. */
  bytes: number;
  /** Encoding the sections (zero-page scan, deflate, checksums), ms. */
  encodeMs: number;
  /** Writing and syncing the file, ms. */
  writeMs: number;
  /** How long the machine was held (nothing of pause, resume, reset or a workload ran), ms. */
  heldMs: number;
  ram: RamEncodeStats;
}

export interface RestoreOptions {
  /** Outputs to start with the restored VM (a snapshot keeps none: they are the host's). */
  outputs?: OutputOptions;
  /** Whether every thread records a trace from creation (default true). */
  trace?: boolean;
  /** 'running' (default): the restored machine runs on at once; 'paused': it waits for vm.resume(). */
  start?: 'running' | 'paused';
  /** Which engine backend draws (VmOptions.engine; default soft): the host's choice, the guest cannot tell them apart. */
  engine?: VmOptions['engine'];
}

const RESTORE_KEYS = ['outputs', 'trace', 'start', 'engine'] as const satisfies readonly (keyof RestoreOptions)[];

/**
 * The file's machine options win: a restore that names one (input, devices, workload, …) is
 * refused, whatever its value, so a caller never believes it changed the restored machine.
 */
function refuseMachineOptions(restore: object): void {
  const named = Object.keys(restore).find((k) => (MACHINE_KEYS as readonly string[]).includes(k));
  if (named !== undefined)
    throw new VmConfigError(
      `restore options.${named}`,
      "the machine comes from the snapshot file, as saved; a restore takes only this host's outputs, trace, start and engine",
    );
}

/** The 'ram' region's bytes of guest memory. */
export function ramBytesOf(memory: GuestMemory, ramBytes: number): Uint8Array {
  return memory.view(RAM_BASE, ramBytes, 'write');
}

/** The compression asked for, checked (before anything is queued). */
export function checkSaveOptions(options: SaveSnapshotOptions): RamCompression {
  optionsObject(options, 'save options', {});
  onlyKnownKeys(options, ['compression'], 'save options');
  const compression = options.compression ?? 'auto';
  if (compression !== 'auto' && compression !== 'none')
    throw new VmConfigError('save options.compression', `must be auto or none, got ${JSON.stringify(compression)}`);
  return compression;
}

export async function saveMachine(
  file: string,
  machine: MachineOptions,
  ram: Uint8Array,
  options: SaveSnapshotOptions,
  state: MachineState | null = null,
): Promise<Omit<SaveSnapshotReport, 'heldMs'>> {
  const compression = checkSaveOptions(options);
  const t0 = performance.now();
  const encoded = encodeSnapshot({ options: machine, ram, state }, vmmVersion(), compression);
  const t1 = performance.now();
  await writeSnapshotFile(file, encoded.parts);
  return { file, bytes: encoded.bytes, encodeMs: t1 - t0, writeMs: performance.now() - t1, ram: encoded.ram };
}

/**
 * Reads and checks the whole file and decodes its RAM into new guest memory; returns the options
 * to build the VM with (the snapshot's machine, the caller's host options, started paused).
 * Throws SnapshotFormatError before any VM exists.
 */
export interface LoadedMachine {
  options: VmOptions;
  memory: GuestMemory;
  /** The components' state, every section but the engines' checked (null: no guest had run). */
  state: MachineState | null;
  start: 'running' | 'paused';
}

export function loadMachine(file: string, restore: RestoreOptions): LoadedMachine {
  optionsObject(restore, 'restore options', {});
  refuseMachineOptions(restore);
  onlyKnownKeys(restore, RESTORE_KEYS, 'restore options');
  if (restore.start !== undefined && restore.start !== 'running' && restore.start !== 'paused') {
    throw new VmConfigError('restore options.start', `must be running or paused, got ${JSON.stringify(restore.start)}`);
  }
  let memory: GuestMemory | null = null;
  // Synchronous reads: nothing else of this VM exists yet to be kept waiting.
  const parsed = loadSnapshotFile(file, { vmmVersion: vmmVersion() }, (bytes) => {
    memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM_BASE, size: bytes }] });
    return ramBytesOf(memory, bytes);
  });
  // Only the TypeScript guest's memory layout is restored (a 'kvm' or 'auto' machine was never saved).
  if (parsed.config.cpu !== 'ts') throw new SnapshotFormatError('section config', `cpu ${parsed.config.cpu}: only TypeScript vCPUs are restored`);
  if (parsed.state) checkMachineState(parsed.state, parsed.config, memory!);
  const options: VmOptions = {
    ...parsed.options,
    ...(restore.outputs !== undefined ? { outputs: restore.outputs } : {}),
    ...(restore.trace !== undefined ? { trace: restore.trace } : {}),
    ...(restore.engine !== undefined ? { engine: restore.engine } : {}),
    start: 'paused',
  };
  return { options, memory: memory!, state: parsed.state, start: restore.start ?? 'running' };
}
