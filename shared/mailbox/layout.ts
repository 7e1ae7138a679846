// A mailbox SAB's size. Its word offsets are generated from abi/schema (abi/generated/mailbox-layout.ts),
// shared with native/src/abi/mailbox_layout.h (docs/shared-memory.md).
import { MAILBOX_HEADER_WORDS, RECORD_WORDS } from '../../abi/generated/mailbox-layout.js';

export * from '../../abi/generated/mailbox-layout.js';

export function mailboxBytes(capacity: number): number {
  return (MAILBOX_HEADER_WORDS + capacity * RECORD_WORDS) * 4;
}
