// Command-line errors: a bad flag or value prints a clear message and exits with status 2.
import { CPU_CHOICES, type CpuChoice } from '../actors/vcpu/kvm/availability.js';
import { THREADING_MODELS, type ThreadingModel } from '../vmm/config.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
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

export function threadingFlag(text: string | undefined): ThreadingModel {
  if (!THREADING_MODELS.includes(text as ThreadingModel)) throw new UsageError(`--threading must be ${THREADING_MODELS.join(' or ')}, got "${text}"`);
  return text as ThreadingModel;
}
