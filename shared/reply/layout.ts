// Word offsets of a reply-slot table. Mirrors native/src/core/reply_layout.h (docs/shared-memory.md).
export const REPLY_MAGIC = 0x52504c59;
export const REPLY_HEADER_BYTES = 64;
export const enum ReplyWord {
  State = 0,
  Parked = 1,
  ErrorCode = 2,
  RequestId = 3,
  Values = 4,
}
export const REPLY_VALUE_WORDS = 12;
export const enum ReplyState {
  Idle = 0,
  Pending = 1,
  Replied = 2,
  Error = 3,
  /** A responder holds the slot while it checks the id and writes values. */
  Claimed = 4,
}
export const enum ReplyTableWord {
  Magic = 0,
  SlotCount = 1,
  PayloadBytes = 2,
}
export function replySlotBytes(payloadBytes: number): number {
  return REPLY_HEADER_BYTES + payloadBytes;
}
export function replyTableBytes(slots: number, payloadBytes: number): number {
  return (slots + 1) * replySlotBytes(payloadBytes);
}
