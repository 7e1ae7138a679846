// Checks of single option values, shared by every part of the configuration: each failure is a
// VmConfigError naming the field.
import { VmConfigError } from './config-error.js';

/** An integer in [min, max]; `fallback` when left out. */
export function integer(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new VmConfigError(field, `must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}
