// A blocking wait on another actor that its waiter may give up: a vCPU stuck behind a hung device
// (posting into its full mailbox, waiting for a read's reply or for posted writes) leaves when its
// VM stops instead of holding vm.stop() until the stop timeout.

/** Asked after each park of a wait; true: stop waiting and throw WaitAbandonedError. */
export type GiveUpCheck = () => boolean;

export class WaitAbandonedError extends Error {
  override readonly name = 'WaitAbandonedError';
  constructor(readonly what: string) {
    super(`gave up waiting for ${what}: the VM is stopping`);
  }
}
