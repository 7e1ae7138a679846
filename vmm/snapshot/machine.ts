// A VM's snapshot, saved and restored (docs/snapshots.md): what vm.saveSnapshot() writes and what
// Vm.restore() reads back into fresh guest memory, its component sections checked, before any
// actor exists.
import { readFileSync } from 'node:fs';

import { guestImagePath, kvmUnavailableReason } from '../../actors/vcpu/kvm/availability.js';
import { loadElfImage } from '../../actors/vcpu/kvm/elf.js';
import { guestImageCrc } from '../../actors/vcpu/kvm/image-crc.js';
import { ROM_BASE, ROM_BYTES } from '../../actors/vcpu/kvm/machine.js';
import { RAM_BASE } from '../../machine/memory-map.js';
import { createGuestMemory, type GuestMemory } from '../../shared/guest-memory/index.js';
import { VmConfigError, type OutputOptions, type ResolvedConfig, type VmOptions } from '../config.js';
import { KvmMachine } from '../kvm-machine.js';
import { onlyKnownKeys, optionsObject } from '../config-values.js';
import { loadSnapshotFile } from './file-load.js';
import { defaultRamReaders } from './ram-readers.js';
import { MACHINE_KEYS, type MachineOptions } from './machine-options.js';
import type { RamCompression, RamEncodeStats } from './ram.js';
import { saveSnapshotFile } from './snapshot-save.js';
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
  /** Encoding the sections (zero-page scan, deflate, checksums), ms: until the last RAM chunk was encoded, the writes overlapping it. */
  encodeMs: number;
  /** Writing and syncing the file after that (what was still to write, the section table, sync, rename), ms. */
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
  /** Compositor actors (VmOptions.compositorShards; default as there): the file keeps displays, not shards. */
  compositorShards?: number;
}

const RESTORE_KEYS = ['outputs', 'trace', 'start', 'engine', 'compositorShards'] as const satisfies readonly (keyof RestoreOptions)[];

/**
 * The file's machine options win: a restore that names one (input, devices, workload, …) is
 * refused, whatever its value, so a caller never believes it changed the restored machine.
 */
function refuseMachineOptions(restore: object): void {
  const named = Object.keys(restore).find((k) => (MACHINE_KEYS as readonly string[]).includes(k));
  if (named !== undefined)
    throw new VmConfigError(
      `restore options.${named}`,
      "the machine comes from the snapshot file, as saved; a restore takes only this host's outputs, trace, start, engine and compositorShards",
    );
}

/**
 * A machine of KVM vCPUs restores only where KVM runs (the file says which backend ran; a restore
 * cannot name another: refuseMachineOptions). Refused with VmConfigError and the reason, as
 * Vm.create({ cpu: 'kvm' }) is, before any RAM is made for it.
 */
function refuseHostCpu(config: ResolvedConfig): void {
  if (config.cpu !== 'kvm') return;
  const why = kvmUnavailableReason();
  if (why) throw new VmConfigError('cpu', `the snapshot's vCPUs are KVM vCPUs, which cannot run here: ${why}`);
}

/**
 * Saved KVM vCPUs point into the guest image they ran (RIP, return addresses): this host's image,
 * loaded into the new memory's ROM as the VM will load it, must be that one.
 */
function refuseOtherGuestImage(saved: readonly number[], memory: GuestMemory): void {
  if (saved.length === 0) return;
  loadElfImage(readFileSync(guestImagePath()), memory, ROM_BASE, ROM_BYTES);
  const here = guestImageCrc(memory);
  const other = saved.find((crc) => crc !== here);
  if (other !== undefined)
    throw new VmConfigError(
      'cpu',
      `the snapshot's KVM vCPUs ran another guest image (CRC-32 0x${other.toString(16)}, ${guestImagePath()} is 0x${here.toString(16)}): a saved vCPU goes on only in the image it ran`,
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
  const saved = await saveSnapshotFile(file, { options: machine, ram, state }, vmmVersion(), compression);
  return { file, bytes: saved.bytes, encodeMs: saved.encodeMs, writeMs: saved.writeMs, ram: saved.ram };
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

export async function loadMachine(file: string, restore: RestoreOptions, readerThreads = defaultRamReaders()): Promise<LoadedMachine> {
  optionsObject(restore, 'restore options', {});
  refuseMachineOptions(restore);
  onlyKnownKeys(restore, RESTORE_KEYS, 'restore options');
  if (restore.start !== undefined && restore.start !== 'running' && restore.start !== 'paused') {
    throw new VmConfigError('restore options.start', `must be running or paused, got ${JSON.stringify(restore.start)}`);
  }
  let memory: GuestMemory | null = null;
  const parsed = await loadSnapshotFile(
    file,
    { vmmVersion: vmmVersion() },
    (bytes, config) => {
      refuseHostCpu(config);
      memory = config.cpu === 'kvm' ? KvmMachine.createMemory(bytes) : createGuestMemory({ regions: [{ name: 'ram', base: RAM_BASE, size: bytes }] });
      return ramBytesOf(memory, bytes);
    },
    readerThreads,
  );
  const checked = parsed.state ? checkMachineState(parsed.state, parsed.config, memory!) : null;
  if (checked) refuseOtherGuestImage(checked.kvmImageCrcs, memory!);
  const options: VmOptions = {
    ...parsed.options,
    ...(restore.outputs !== undefined ? { outputs: restore.outputs } : {}),
    ...(restore.trace !== undefined ? { trace: restore.trace } : {}),
    ...(restore.engine !== undefined ? { engine: restore.engine } : {}),
    ...(restore.compositorShards !== undefined ? { compositorShards: restore.compositorShards } : {}),
    start: 'paused',
  };
  return { options, memory: memory!, state: parsed.state, start: restore.start ?? 'running' };
}
