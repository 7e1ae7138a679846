// The echo actor's record kinds and stats: a diagnostic actor that answers requests, checks
// per-producer order of stream records, and can be told to crash, exit or stall (fault
// injection). Benchmarks and tests use it to measure and exercise the actor runtime.
import type { MailboxStats } from '../../../shared/mailbox/mailbox.js';

export const enum EchoKind {
  /** args: slot, id, v0, v1 → reply (v0 + 1, v1) */
  Request = 1,
  /** args: producerId, sequence, checksum */
  Stream = 2,
  Crash = 3,
  /** args: exit code */
  Exit = 4,
  /** args: milliseconds to busy-wait */
  Stall = 5,
}

export interface EchoControl {
  ping(value: number): number;
  stats(): EchoStats;
  /** Bytes of guest RAM as this actor sees them (throws GuestMemoryAccessError when refused). */
  readGuest(gpa: number, length: number): number[];
  mailboxStats(): MailboxStats;
}

export interface EchoStats {
  requests: number;
  streamed: number;
  outOfOrder: number;
  badChecksums: number;
  /** producerId → next expected sequence */
  next: Record<number, number>;
}

export function streamChecksum(producerId: number, seq: number): number {
  return (Math.imul(producerId, 0x9e3779b1) ^ seq) >>> 0;
}
