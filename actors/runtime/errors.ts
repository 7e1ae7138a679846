// Typed failures the embedder sees when an actor dies (docs/design.md rule 7: host faults are
// loud).

export class VmFailure extends Error {
  override readonly name: string = 'VmFailure';
  constructor(
    message: string,
    readonly actor: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An actor threw (an uncaught exception or rejected promise in its worker). */
export class ActorCrashedError extends VmFailure {
  override readonly name = 'ActorCrashedError';
  constructor(actor: string, cause: unknown) {
    super(`actor ${actor} crashed: ${cause instanceof Error ? cause.message : String(cause)}`, actor, { cause });
  }
}

/** An actor's worker exited when nobody asked it to. */
export class ActorExitedError extends VmFailure {
  override readonly name = 'ActorExitedError';
  constructor(
    actor: string,
    readonly exitCode: number,
  ) {
    super(`actor ${actor} exited unexpectedly with code ${exitCode}`, actor);
  }
}

/** A control-plane call could not complete because the VM failed or stopped. */
export class VmStoppedError extends Error {
  override readonly name = 'VmStoppedError';
  constructor(
    readonly actor: string,
    readonly reason: VmFailure | 'shutdown',
    options?: { cause?: unknown },
  ) {
    super(`actor ${actor} is not running: ${reason === 'shutdown' ? 'the VM was shut down' : reason.message}`, options);
  }
}
