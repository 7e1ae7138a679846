// Error codes a reply slot can carry, and the typed error a requester sees.

import { ReplyErrorCode } from '../../abi/generated/reply-layout.js';

export { ReplyErrorCode };

export function replyErrorName(code: number): string {
  switch (code) {
    case ReplyErrorCode.ActorDied:
      return 'actor-died';
    case ReplyErrorCode.Shutdown:
      return 'shutdown';
    case ReplyErrorCode.Refused:
      return 'refused';
    case ReplyErrorCode.Watchdog:
      return 'watchdog';
    default:
      return `error-${code}`;
  }
}

export class ReplyError extends Error {
  override readonly name = 'ReplyError';
  constructor(
    readonly code: number,
    readonly slot: number,
  ) {
    super(`request on reply slot ${slot} failed: ${replyErrorName(code)}`);
  }
}

export class ReplyTimeoutError extends Error {
  override readonly name = 'ReplyTimeoutError';
  constructor(
    readonly slot: number,
    readonly timeoutMs: number,
  ) {
    super(`no reply on slot ${slot} within ${timeoutMs} ms`);
  }
}
