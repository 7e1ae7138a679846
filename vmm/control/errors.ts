// The control socket's typed errors (docs/control.md). Each is answered as QMP answers an error,
// `{"error": {"class": NAME, "desc": TEXT}, "id": ID}`, with its class name as `class`.

/** Every error class a control client can get back, by its `class`. */
export const CONTROL_ERROR_CLASSES = [
  'ParseError',
  'InvalidRequest',
  'CommandNotFound',
  'InvalidArguments',
  'NotSupported',
  'NoFrame',
  'CommandFailed',
  'LineTooLong',
  'TooManyConnections',
] as const;
export type ControlErrorClass = (typeof CONTROL_ERROR_CLASSES)[number];

export abstract class ControlError extends Error {
  abstract readonly errorClass: ControlErrorClass;
}

/** The line is not JSON. The connection stays open. */
export class ParseError extends ControlError {
  override readonly name = 'ParseError';
  readonly errorClass = 'ParseError';
}

/** JSON, but not `{"execute": NAME, "arguments"?: {...}, "id"?: ANY}` with nothing else. */
export class InvalidRequest extends ControlError {
  override readonly name = 'InvalidRequest';
  readonly errorClass = 'InvalidRequest';
}

/** No such command, or a command before `qmp_capabilities` (as QMP answers it). */
export class CommandNotFound extends ControlError {
  override readonly name = 'CommandNotFound';
  readonly errorClass = 'CommandNotFound';
}

/** An argument the command does not take, one missing, or one of the wrong type or range. */
export class InvalidArguments extends ControlError {
  override readonly name = 'InvalidArguments';
  readonly errorClass = 'InvalidArguments';
}

/** A command this VM cannot do yet (`save` until vm.saveSnapshot exists). */
export class NotSupported extends ControlError {
  override readonly name = 'NotSupported';
  readonly errorClass = 'NotSupported';
}

/** `snapshot` of a display that has no frame yet (no mode set). */
export class NoFrame extends ControlError {
  override readonly name = 'NoFrame';
  readonly errorClass = 'NoFrame';
}

/**
 * The VM refused or failed the command (it is stopping, a lifecycle call was refused or timed
 * out, a file could not be written); `cause` names the VM's own error class.
 */
export class CommandFailed extends ControlError {
  override readonly name = 'CommandFailed';
  readonly errorClass = 'CommandFailed';
  constructor(
    message: string,
    readonly causeName: string,
  ) {
    super(message);
  }
}

/** A line longer than the bound: answered, then the connection is closed (no way to resync). */
export class LineTooLong extends ControlError {
  override readonly name = 'LineTooLong';
  readonly errorClass = 'LineTooLong';
}

/** Every connection slot is taken: answered instead of the greeting, then closed. */
export class TooManyConnections extends ControlError {
  override readonly name = 'TooManyConnections';
  readonly errorClass = 'TooManyConnections';
}

/** The socket path cannot be used: it is not a stale socket, is in use, or is too long. */
export class ControlSocketError extends Error {
  override readonly name = 'ControlSocketError';
}
