// The error a bad VM configuration fails with: it names the field (devices[1].displayModes[0],
// outputs.vnc.port, limits.maxTasks), before any thread starts.

export class VmConfigError extends Error {
  override readonly name = 'VmConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
