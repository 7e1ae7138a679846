// Ctrl-C during a benchmark: stop the progress bar (the terminal line is ours), say so, exit 130
// as shells expect of SIGINT. Exiting ends the worker threads and with them any VM a suite made.
// The handler runs when the main thread next yields: a synchronous measurement loop finishes first.

export interface InterruptTarget {
  on(signal: 'SIGINT', handler: () => void): unknown;
  off(signal: 'SIGINT', handler: () => void): unknown;
}

export interface InterruptOptions {
  /** Runs first; true when it left the cursor at the start of an empty line. */
  cleanup: () => boolean | void;
  stderr?: { write(s: string): unknown };
  exit?: (code: number) => void;
  target?: InterruptTarget;
}

/** Installs the SIGINT handler; returns a function that removes it. */
export function exitOnInterrupt(options: InterruptOptions): () => void {
  const target = options.target ?? process;
  const stderr = options.stderr ?? process.stderr;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let fired = false;
  const handler = () => {
    if (fired) return; // a second Ctrl-C while exiting
    fired = true;
    let atLineStart = false;
    try {
      atLineStart = options.cleanup() === true;
    } finally {
      // Otherwise the terminal's "^C" (or a half-written line) is where the cursor is.
      stderr.write(atLineStart ? 'interrupted\n' : '\ninterrupted\n');
      exit(130);
    }
  };
  target.on('SIGINT', handler);
  return () => void target.off('SIGINT', handler);
}
