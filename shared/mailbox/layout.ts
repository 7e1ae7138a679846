// Word offsets of a mailbox SAB. Mirrors native/src/core/mailbox_layout.h (docs/shared-memory.md).
export const MAILBOX_MAGIC = 0x4d424f58;
export const enum MailboxWord {
  Magic = 0,
  Capacity = 1,
  RecordWords = 2,
  Closed = 3,
  CloseReason = 4,
  ParkMode = 5,
  Attention = 6,
  Tail = 16,
  Head = 32,
  DequeuedLo = 33,
  DequeuedHi = 34,
  ConsumerParks = 35,
  DoorbellState = 48,
  NotFull = 64,
  ProducersWaiting = 65,
  ProducerWaits = 66,
}
export const MAILBOX_HEADER_WORDS = 128;
export const RECORD_WORDS = 16;
/** Argument words per record (words 2..15). */
export const RECORD_ARGS = RECORD_WORDS - 2;
export const DOORBELL_RUNNING = 0;
export const DOORBELL_PARKED = 1;
/** Word 5: how sleepers park. Futex mode is the one native threads can wake. */
export const enum ParkMode {
  Futex = 0,
  Atomics = 1,
}

export function mailboxBytes(capacity: number): number {
  return (MAILBOX_HEADER_WORDS + capacity * RECORD_WORDS) * 4;
}
