// A snapshot as a whole: which sections a file must have, and parsing one all the way to the
// point where it could be applied. parseSnapshot checks every byte of the file (container,
// sections present exactly once, options, RAM size) and decodes the RAM into memory of its own
// before it returns, so a caller that gets a result can apply it; one that gets
// SnapshotFormatError has had nothing applied.
import { encodeContainer, parseContainer, sectionName } from './container.js';
import { SnapshotFormatError } from './errors.js';
import { MACHINE_WIDE_KINDS, SECTION_NAMES, SectionKind } from './layout.js';
import { decodeMachineOptions, encodeMachineOptions, type MachineOptions } from './machine-options.js';
import { decodeRam, encodeRam, ramSectionBytes, type RamCompression, type RamEncodeStats } from './ram.js';
import type { ResolvedConfig } from '../config.js';
import { RAM_BASE } from '../../machine/memory-map.js';
import { createGuestMemory, type GuestMemory } from '../../shared/guest-memory/index.js';
import { checkMachineState } from './machine-state-check.js';
import { collectMachineState, machineStateSections, type MachineState } from './machine-state.js';

/** The sections every snapshot of this format version has (one each, index 0). */
const REQUIRED: readonly SectionKind[] = [SectionKind.Config, SectionKind.Ram];

export interface SnapshotContents {
  options: MachineOptions;
  /** Guest RAM, all of it (the 'ram' region's bytes). */
  ram: Uint8Array;
  /** The components' state (absent: a machine no guest has run on). */
  state?: MachineState | null;
}

export interface EncodedSnapshot {
  parts: Uint8Array[];
  bytes: number;
  ram: RamEncodeStats;
}

export function encodeSnapshot(contents: SnapshotContents, vmmVersion: string, compression: RamCompression = 'auto'): EncodedSnapshot {
  return withSections(contents, encodeRam(contents.ram, compression), vmmVersion);
}

function withSections(contents: SnapshotContents, ram: ReturnType<typeof encodeRam>, vmmVersion: string): EncodedSnapshot {
  const parts = encodeContainer(
    [
      { kind: SectionKind.Config, index: 0, parts: [encodeMachineOptions(contents.options)] },
      { kind: SectionKind.Ram, index: 0, parts: ram.parts },
      ...(contents.state ? machineStateSections(contents.state) : []),
    ],
    vmmVersion,
  );
  return { parts, bytes: parts.reduce((n, p) => n + p.length, 0), ram: ram.stats };
}

/** What a loaded snapshot says about the machine (its RAM is in the memory it was loaded into). */
export interface LoadedSnapshot {
  formatVersion: number;
  vmmVersion: string;
  options: MachineOptions;
  config: ResolvedConfig;
  /** The components' state, its sections present and complete (their contents: checkMachineState); null: no guest has run. */
  state: MachineState | null;
}

export interface ParsedSnapshot extends LoadedSnapshot {
  /** The 'ram' section, checked (its CRC and size); decode with decodeRam. */
  ramSection: Uint8Array;
}

export interface ParseSnapshotOptions {
  vmmVersion: string;
  /** Refuse a snapshot whose machine has more RAM than this (the fuzz target keeps it small). */
  maxRamBytes?: number;
}

/** Checks the file and its sections; the RAM is checked for size here and decoded by loadSnapshot. */
export function parseSnapshotSections(file: Uint8Array, options: ParseSnapshotOptions): ParsedSnapshot {
  const container = parseContainer(file, { vmmVersion: options.vmmVersion });
  const byKind = requiredSections(container.sections);
  const { options: machine, config } = decodeMachineOptions(byKind.get(SectionKind.Config)!.bytes);
  const ramSection = byKind.get(SectionKind.Ram)!.bytes;
  checkRamSize(ramSectionBytes(ramSection), config, options);
  const state = collectMachineState(container.sections, config);
  return { formatVersion: container.formatVersion, vmmVersion: container.vmmVersion, options: machine, config, ramSection, state };
}

/** The machine-wide sections (index 0 only) by kind, each one this version needs present. */
export function requiredSections<S extends { kind: number; index: number }>(sections: readonly S[]): Map<number, S> {
  const byKind = new Map<number, S>();
  for (const s of sections) {
    if (!MACHINE_WIDE_KINDS.includes(s.kind)) continue; // a component's: collectMachineState
    if (s.index !== 0) throw new SnapshotFormatError('section table', `${sectionName(s.kind, s.index)}: a ${SECTION_NAMES[s.kind]} section has index 0 only`);
    byKind.set(s.kind, s);
  }
  for (const kind of REQUIRED) if (!byKind.has(kind)) throw new SnapshotFormatError('section table', `no ${SECTION_NAMES[kind]} section`);
  return byKind;
}

export function checkRamSize(ramBytes: number, config: ResolvedConfig, options: ParseSnapshotOptions): void {
  if (ramBytes !== config.ramBytes) throw new SnapshotFormatError('section ram', `${ramBytes} bytes of RAM, the config says ${config.ramBytes}`);
  if (options.maxRamBytes !== undefined && ramBytes > options.maxRamBytes)
    throw new SnapshotFormatError('section ram', `${ramBytes} bytes of RAM, more than the ${options.maxRamBytes} allowed`);
}

/**
 * Everything checked and the RAM decoded into `ram` (fresh, all zero, of the config's size: a
 * GuestMemory's 'ram' region). The components' sections are checked against guest memory of the
 * config's layout (`memory`, or one made here).
 */
export function loadSnapshot(file: Uint8Array, options: ParseSnapshotOptions, ram: (bytes: number) => Uint8Array, memory?: GuestMemory): ParsedSnapshot {
  const parsed = parseSnapshotSections(file, options);
  const into = ram(parsed.config.ramBytes);
  decodeRam(parsed.ramSection, into, true);
  if (parsed.state) {
    const layout = memory ?? createGuestMemory({ regions: [{ name: 'ram', base: RAM_BASE, size: parsed.config.ramBytes }] });
    checkMachineState(parsed.state, parsed.config, layout);
  }
  return parsed;
}
