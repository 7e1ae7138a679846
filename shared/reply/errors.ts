// Error codes a reply slot can carry, and the typed error a requester sees.

export const enum ReplyErrorCode {
  /** The responder (or an actor on the path) died; the supervisor failed every pending slot. */
  ActorDied = 1,
  /** The VM is shutting down. */
  Shutdown = 2,
  /** The request itself was refused (bad arguments, guest error); details are request-specific. */
  Refused = 3,
  /** An engine watchdog gave up on the request. */
  Watchdog = 4,
}

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
