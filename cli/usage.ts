// Command-line errors: a bad flag or value is a UsageError (one line, exit status 2); something
// that went wrong while running is a CliError (one line, exit status 1). Neither prints the usage.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

import { CPU_CHOICES, type CpuChoice } from '../actors/vcpu/kvm/availability.js';
import { ENGINE_CHOICES, type EngineChoice } from '../vmm/engine-backend.js';
import { PACINGS, PROFILES, THREADING_MODELS, type Pacing, type Profile, type ThreadingModel } from '../vmm/config.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure while running (a port in use, a file that cannot be written): exit status 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/**
 * The arguments for parseArgs, with a value that starts with '-' and a digit joined to the long
 * flag before it (`--frames -3` → `--frames=-3`): the flag's own check then says "must be an
 * integer in …", where parseArgs would say "argument is ambiguous".
 */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    // No flag starts with a digit, so "-3" can only be a value (after a boolean flag, parseArgs
    // then says that flag takes no value).
    if (/^--[^=]+$/.test(a) && next !== undefined && /^-[\d.]/.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  return args;
}

export function integerFlag(flag: string, text: string | undefined, min: number, max: number): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be an integer in [${min}, ${max}], got "${text}"`);
  }
  return value;
}

export function percentFlag(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value) || value <= 0 || value > 100) {
    throw new UsageError(`${flag} must be a number in (0, 100], got "${text}"`);
  }
  return value;
}

export function cpuFlag(text: string | undefined): CpuChoice {
  if (!CPU_CHOICES.includes(text as CpuChoice)) throw new UsageError(`--cpu must be ${CPU_CHOICES.join(', ')}, got "${text}"`);
  return text as CpuChoice;
}

/** --engine soft|vulkan|auto (docs/vulkan.md): one definition for run, restore and trace (parseArgs' entry, help line, check). */
export const ENGINE_OPTION = { engine: { type: 'string', default: 'soft' } } as const;

export const ENGINE_HELP = `  --engine E          soft | vulkan | auto: the engine backend that draws the pixels; vulkan on a
                      GPU through the Vulkan loader found at run time (refused with the reason
                      where it cannot run), auto vulkan where it can, else soft (default soft)`;

export function engineFlag(text: string | undefined): EngineChoice {
  if (!ENGINE_CHOICES.includes(text as EngineChoice)) throw new UsageError(`--engine must be ${ENGINE_CHOICES.join(', ')}, got "${text}"`);
  return text as EngineChoice;
}

export function pacingFlag(text: string | undefined): Pacing | undefined {
  if (text === undefined) return undefined;
  if (!PACINGS.includes(text as Pacing)) throw new UsageError(`--pacing must be ${PACINGS.join(' or ')}, got "${text}"`);
  return text as Pacing;
}

export function profileFlag(text: string | undefined): Profile | undefined {
  if (text === undefined) return undefined;
  if (!PROFILES.includes(text as Profile)) throw new UsageError(`--profile must be ${PROFILES.join(' or ')}, got "${text}"`);
  return text as Profile;
}

/** --profile and --pacing as VmOptions fields, each only when given (the profile sets the rest). */
export function profileOptions(values: { profile?: string; pacing?: string }): { profile?: Profile; pacing?: Pacing } {
  const profile = profileFlag(values.profile);
  const pacing = pacingFlag(values.pacing);
  return { ...(profile ? { profile } : {}), ...(pacing ? { pacing } : {}) };
}

export const PROFILE_HELP = `  --profile P         native | pvg: native is this project's own protocol (damage rectangles,
                      posted MMIO writes, unpaced presents); pvg models a real PVG host: whole
                      frames read back (no damage), presents paced to the refresh, synchronous
                      MMIO writes (docs/fidelity.md; default native)
  --pacing P          refresh | none: presents wait for the display's refresh ticks (the @R of
                      the mode), as on a vsync'd display (default none; refresh under --profile pvg)`;

export function threadingFlag(text: string | undefined): ThreadingModel {
  if (!THREADING_MODELS.includes(text as ThreadingModel)) throw new UsageError(`--threading must be ${THREADING_MODELS.join(' or ')}, got "${text}"`);
  return text as ThreadingModel;
}

/**
 * A file the command will write once the run is over: checked now, so a typo in its folder fails
 * before the workload runs rather than after. The folder must exist and be writable, and the
 * path must not be a folder itself.
 */
export function outputFileFlag(flag: string, file: string): string {
  if (file.trim() === '') throw new UsageError(`${flag} needs a file name`);
  const dir = path.dirname(path.resolve(file));
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`${flag} ${file}: the folder ${dir} does not exist`);
  }
  if (!isDir) throw new UsageError(`${flag} ${file}: ${dir} is not a folder`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${flag} ${file}: the folder ${dir} is not writable`);
  }
  let target: ReturnType<typeof statSync> | undefined;
  try {
    target = statSync(file);
  } catch {
    target = undefined; // not there yet: it will be created
  }
  if (target?.isDirectory()) throw new UsageError(`${flag} ${file}: that is a folder, not a file`);
  return file;
}
