// A mailbox record as the consumer sees it, and the helpers that read 32/64-bit arguments.
import { RECORD_ARGS } from './layout.js';

export interface MailboxRecord {
  kind: number;
  /** Argument words (signed view of u32 words; read with u32/u64 below). */
  readonly args: Int32Array;
}

export function newRecord(): MailboxRecord {
  return { kind: 0, args: new Int32Array(RECORD_ARGS) };
}

export function u32(args: Int32Array, i: number): number {
  return (args[i] ?? 0) >>> 0;
}

/** A 64-bit argument (low word at i) as a number; NaN when it exceeds 2^53 - 1. */
export function u64(args: Int32Array, i: number): number {
  const hi = (args[i + 1] ?? 0) >>> 0;
  if (hi > 0x1fffff) return NaN;
  return hi * 0x1_0000_0000 + ((args[i] ?? 0) >>> 0);
}

export function u64Big(args: Int32Array, i: number): bigint {
  return (BigInt((args[i + 1] ?? 0) >>> 0) << 32n) | BigInt((args[i] ?? 0) >>> 0);
}

/** Splits a non-negative safe integer into [low, high] words. */
export function splitU64(value: number): [number, number] {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a u64 that a number holds exactly: ${value}`);
  return [value >>> 0, Math.floor(value / 0x1_0000_0000)];
}
