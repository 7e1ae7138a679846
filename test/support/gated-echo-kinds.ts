// What test/support/gated-echo.ts understands beyond echo's Request, Crash and Exit.
export const enum GatedEchoKind {
  /** Holds (handles nothing further) until the gate in the actor's config is opened. */
  Hold = 100,
}

export interface GatedEchoConfig {
  /** From createGate() (test/support/gate.ts). */
  gate: SharedArrayBuffer;
}

export interface GatedEchoControl {
  stats(): { requests: number };
}
