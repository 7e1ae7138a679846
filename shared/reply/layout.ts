// A reply-slot table's sizes. Its word offsets are generated from abi/schema
// (abi/generated/reply-layout.ts), shared with native/src/abi/reply_layout.h (docs/shared-memory.md).
import { REPLY_HEADER_BYTES } from '../../abi/generated/reply-layout.js';

export * from '../../abi/generated/reply-layout.js';

export function replySlotBytes(payloadBytes: number): number {
  return REPLY_HEADER_BYTES + payloadBytes;
}
export function replyTableBytes(slots: number, payloadBytes: number): number {
  return (slots + 1) * replySlotBytes(payloadBytes);
}
