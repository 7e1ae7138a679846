// Typed mailbox errors: closed (the VM is stopping or an actor died) and timed out.

export class MailboxClosedError extends Error {
  override readonly name = 'MailboxClosedError';
  constructor(
    readonly mailbox: string,
    readonly reason: number,
  ) {
    super(`mailbox ${mailbox} is closed (reason ${reason})`);
  }
}

export class MailboxTimeoutError extends Error {
  override readonly name = 'MailboxTimeoutError';
  constructor(
    readonly mailbox: string,
    readonly timeoutMs: number,
  ) {
    super(`mailbox ${mailbox}: still full after ${timeoutMs} ms`);
  }
}

/** Close reasons written into the mailbox header (abi/schema/layouts.ts). */
export { CloseReason } from '../../abi/generated/mailbox-layout.js';
