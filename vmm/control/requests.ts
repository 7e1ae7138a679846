// The control socket's request parser: one line of JSON in, one typed request or one typed error
// out, never a throw. Requests have QMP's shape, `{"execute": NAME, "arguments": {...}, "id": ID}`
// (docs/interop/qmp-spec.rst in github.com/qemu/qemu, "Issuing Commands"), and as QMP does
// ("Compatibility Considerations") every argument is type-checked and an unknown one refused
// before anything runs. Pure, so the fuzz target (fuzz/js/targets/control-requests.ts) runs it as is.
import path from 'node:path';

import { CommandNotFound, InvalidArguments, InvalidRequest, ParseError, type ControlError } from './errors.js';

/** A request's `id`: echoed in the answer. Scalars only (QMP allows any value): nothing nested to walk. */
export type RequestId = string | number | boolean | null;

export type Request =
  | { command: 'qmp_capabilities'; enable: string[] }
  | { command: 'commands' }
  | { command: 'status' }
  | { command: 'stats' }
  | { command: 'snapshot'; device: number; display: number; path: string | null }
  | { command: 'pause' }
  | { command: 'resume' }
  | { command: 'reset'; clearRam: boolean }
  | { command: 'stop' }
  | { command: 'save'; path: string };

export type CommandName = Request['command'];

type ArgKind = 'boolean' | 'index' | 'path' | 'names';
interface CommandSchema {
  args: Record<string, { kind: ArgKind; required: boolean }>;
  help: string;
}

const opt = (kind: ArgKind) => ({ kind, required: false });
const req = (kind: ArgKind) => ({ kind, required: true });

/** Every command, its arguments and one line on what it does (the `commands` command answers with these). */
export const COMMANDS: Record<CommandName, CommandSchema> = {
  qmp_capabilities: { args: { enable: opt('names') }, help: 'leave capabilities negotiation (none are offered); every other command needs it first' },
  commands: { args: {}, help: 'the commands and their arguments' },
  status: { args: {}, help: 'whether the VM runs or is paused' },
  stats: { args: {}, help: "every actor's counters (vm.stats()) and the frames drawn" },
  snapshot: {
    args: { device: opt('index'), display: opt('index'), path: opt('path') },
    help: 'a display as PNG: written to path (absolute), else returned as base64',
  },
  pause: { args: {}, help: 'vm.pause(): every vCPU stopped, nothing in flight' },
  resume: { args: {}, help: 'vm.resume()' },
  reset: { args: { clearRam: opt('boolean') }, help: 'vm.reset(): a system reset' },
  stop: { args: {}, help: 'stop the VM (answered first)' },
  save: { args: { path: req('path') }, help: 'vm.saveSnapshot(path) where the VM has it; else NotSupported' },
};

export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export type ParsedLine = { id?: RequestId; request: Request } | { id?: RequestId; error: ControlError };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is RequestId => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** One line (without its newline) → a request, or the error to answer it with. */
export function parseRequest(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { error: new ParseError(`JSON parse error: ${(err as Error).message}`) };
  }
  if (!isObject(value)) return { error: new InvalidRequest('a request is a JSON object: {"execute": NAME, "arguments": {...}, "id": ID}') };
  const hasId = Object.hasOwn(value, 'id');
  if (hasId && !isId(value.id)) return { error: new InvalidRequest('"id" must be a string, number, boolean or null') };
  const id = hasId ? { id: value.id as RequestId } : {};
  const fail = (error: ControlError): ParsedLine => ({ ...id, error });
  for (const key of Object.keys(value)) {
    if (key !== 'execute' && key !== 'arguments' && key !== 'id')
      return fail(new InvalidRequest(`unknown member ${JSON.stringify(key)} (a request has execute, arguments, id)`));
  }
  if (typeof value.execute !== 'string') return fail(new InvalidRequest('"execute" must be a command name (a string)'));
  const name = value.execute;
  if (!Object.hasOwn(COMMANDS, name)) return fail(new CommandNotFound(`no command ${JSON.stringify(name)} (the "commands" command lists them)`));
  const args = value.arguments ?? {};
  if (!isObject(args)) return fail(new InvalidArguments('"arguments" must be a JSON object'));
  const checked = checkArguments(name as CommandName, args);
  if (checked instanceof InvalidArguments) return fail(checked);
  return { ...id, request: checked };
}

function checkArguments(name: CommandName, args: Record<string, unknown>): Request | InvalidArguments {
  const schema = COMMANDS[name].args;
  for (const key of Object.keys(args)) {
    if (!Object.hasOwn(schema, key)) return new InvalidArguments(`${name} takes no argument ${JSON.stringify(key)}`);
  }
  for (const [key, { kind, required }] of Object.entries(schema)) {
    const v = args[key];
    if (v === undefined) {
      if (required) return new InvalidArguments(`${name} needs "${key}"`);
      continue;
    }
    const problem = argumentProblem(kind, v);
    if (problem) return new InvalidArguments(`${name}: "${key}" ${problem}`);
  }
  switch (name) {
    case 'qmp_capabilities':
      return { command: name, enable: (args.enable as string[] | undefined) ?? [] };
    case 'snapshot':
      return {
        command: name,
        device: (args.device as number | undefined) ?? 0,
        display: (args.display as number | undefined) ?? 0,
        path: (args.path as string | undefined) ?? null,
      };
    case 'reset':
      return { command: name, clearRam: (args.clearRam as boolean | undefined) ?? false };
    case 'save':
      return { command: name, path: args.path as string };
    default:
      return { command: name };
  }
}

/** Longest path accepted (Linux's PATH_MAX). */
export const MAX_PATH_CHARS = 4096;

function argumentProblem(kind: ArgKind, v: unknown): string | null {
  switch (kind) {
    case 'boolean':
      return typeof v === 'boolean' ? null : 'must be true or false';
    case 'index':
      return Number.isSafeInteger(v) && (v as number) >= 0 ? null : 'must be a whole number ≥ 0';
    case 'names':
      return Array.isArray(v) && v.every((n) => typeof n === 'string') ? null : 'must be an array of strings';
    case 'path':
      // Absolute: the VM's working directory is no business of the client's.
      if (typeof v !== 'string') return 'must be a string';
      if (v.length === 0 || v.length > MAX_PATH_CHARS || v.includes('\0')) return `must be 1 to ${MAX_PATH_CHARS} characters without NUL`;
      return path.isAbsolute(v) ? null : 'must be an absolute path';
  }
}
