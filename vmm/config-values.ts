// Checks of single option values, shared by every part of the configuration: each failure is a
// VmConfigError naming the field.
import { nearestName } from '../shared/edit-distance.js';
import { VmConfigError } from './config-error.js';

/** An integer in [min, max]; `fallback` when left out. */
export function integer(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new VmConfigError(field, `must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

/** An object given as options (not null, not an array); `fallback` when left out. */
export function optionsObject<T extends object>(value: unknown, field: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VmConfigError(field, `must be an object, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/**
 * Every key of `value` is one of `known`; a slip (ramMib, vcpu, prot) is refused, naming the
 * field it would be and the valid name nearest to it, instead of being ignored.
 */
export function onlyKnownKeys(value: object, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const near = nearestName(key, known);
    throw new VmConfigError(prefix ? `${prefix}.${key}` : key, near ? `unknown option; did you mean ${near}?` : `unknown option (valid: ${known.join(', ')})`);
  }
}

/** The keys of T, listed once and checked by the compiler: none missing, none extra. */
export function keysOf<T>(keys: Record<keyof T, true>): readonly string[] {
  return Object.keys(keys);
}
