// The one error a snapshot file that cannot be used is refused with: `part` names where the file
// is wrong (the header, the section table, a section), `reason` what is wrong there. Raised while
// loading, before anything of the snapshot reaches a running machine.
export class SnapshotFormatError extends Error {
  override readonly name = 'SnapshotFormatError';

  constructor(
    /** Where: 'file', 'header', 'section table', 'section config', 'section ram', … */
    readonly part: string,
    /** What is wrong there, in words. */
    readonly reason: string,
  ) {
    super(`snapshot refused: ${part}: ${reason}`);
  }
}

/**
 * vm.saveSnapshot() on a machine whose state the format cannot hold yet (docs/snapshots.md):
 * nothing is written. Today a snapshot holds the configuration and guest RAM only, so it is whole
 * only for a machine no guest has run on.
 */
export class SnapshotUnsupportedError extends Error {
  override readonly name = 'SnapshotUnsupportedError';
}
