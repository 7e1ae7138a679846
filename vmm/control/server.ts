// The control socket (docs/control.md): a Unix socket with owner-only permissions, speaking JSON
// lines in QMP's shape (docs/interop/qmp-spec.rst in github.com/qemu/qemu): a greeting, then
// capabilities negotiation (`qmp_capabilities`), then `{"execute", "arguments", "id"}` requests,
// each answered in order with `{"return": ..., "id"}` or `{"error": {"class", "desc"}, "id"}`.
// Bounded everywhere a client could make the VM hold memory: connections, line length, requests
// queued per connection (reading pauses, as QMP stops reading), answers not yet read. A bad
// request gets an error or closes its own connection; the VM and other clients never see it.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import type { KeptFrame } from '../../actors/device/messages.js';
import { packageRoot } from '../../shared/package-root.js';
import { SnapshotWriter } from '../../outputs/png/snapshots.js';
import { execute, type ControlledVm } from './commands.js';
import { CommandNotFound, InvalidArguments, LineTooLong, TooManyConnections, type ControlError } from './errors.js';
import { LineSplitter } from './line-splitter.js';
import { parseRequest, type RequestId } from './requests.js';
import { listenPrivate, removeBound, type BoundSocket } from './socket-path.js';

export interface ControlOptions {
  /** Clients connected at once (default 8); one more is told TooManyConnections and closed. */
  maxConnections?: number;
  /** Longest request line in bytes (default 64 KiB); a longer one closes its connection. */
  maxLineBytes?: number;
  /** What `stop` does once answered (default: vm.stop(), where the VM has it). */
  onStop?: () => void;
  /** The version the greeting names (default: the package's). */
  version?: string;
}

/** Commands that change whether the VM runs: run in turn across clients (inTurn). */
const LIFECYCLE_COMMANDS: ReadonlySet<string> = new Set(['pause', 'resume', 'reset', 'save']);
/** Requests read but not answered yet on one connection before reading pauses. */
const MAX_QUEUED_PER_CONNECTION = 8;
/** Answers a client has not read (bytes) before its connection is dropped. */
const MAX_UNREAD_ANSWER_BYTES = 64 * 1024 * 1024;

/** How long a closing connection gets to take its last answers before it is cut. */
const CLOSE_GRACE_MS = 500;

type Answer =
  | { QMP: { version: { qemu: { major: number; minor: number; micro: number }; package: string }; capabilities: string[] } }
  | { return: unknown; id?: RequestId }
  | { error: { class: string; desc: string; cause?: string }; id?: RequestId };

export class ControlServer {
  private readonly sockets = new Set<net.Socket>();
  private readonly png = new SnapshotWriter();
  private closing: Promise<void> | null = null;
  private lifecycleTurn: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly vm: ControlledVm & { stop?: () => Promise<void> },
    private readonly server: net.Server,
    private readonly bound: BoundSocket,
    private readonly options: Required<Omit<ControlOptions, 'onStop'>> & Pick<ControlOptions, 'onStop'>,
  ) {}

  /** Listens on `file` (0600; an existing path is replaced only if it is a stale socket). */
  static async listen(vm: ControlledVm & { stop?: () => Promise<void> }, file: string, options: ControlOptions = {}): Promise<ControlServer> {
    const maxConnections = options.maxConnections ?? 8;
    const maxLineBytes = options.maxLineBytes ?? 64 * 1024;
    if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new RangeError(`maxConnections must be a whole number ≥ 1, got ${maxConnections}`);
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 64) throw new RangeError(`maxLineBytes must be a whole number ≥ 64, got ${maxLineBytes}`);
    const server = net.createServer();
    const bound = await listenPrivate(server, file);
    const control = new ControlServer(vm, server, bound, {
      maxConnections,
      maxLineBytes,
      version: options.version ?? packageVersion(),
      onStop: options.onStop,
    });
    server.on('connection', (socket) => control.accept(socket));
    return control;
  }

  /** The socket's absolute path. */
  get path(): string {
    return this.bound.path;
  }

  /** Clients connected now. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Stops listening, closes every connection and removes the socket file. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    const closed = new Promise((r) => this.server.close(r));
    // end(), not destroy(): an answer written just before (stop's) still goes out.
    for (const s of this.sockets) {
      s.end();
      setTimeout(() => s.destroy(), CLOSE_GRACE_MS).unref();
    }
    await closed;
    await removeBound(this.bound);
    await this.png.close();
  }

  private accept(socket: net.Socket): void {
    if (this.closing || this.sockets.size >= this.options.maxConnections) {
      socket.on('error', () => {});
      socket.end(line({ error: errorOf(new TooManyConnections(`${this.options.maxConnections} clients are connected already`)) }));
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy()); // a client that went away: its connection only
    const send = (answer: Answer) => {
      if (socket.destroyed || socket.writableEnded) return;
      socket.write(line(answer));
      if (socket.writableLength > MAX_UNREAD_ANSWER_BYTES) socket.destroy();
    };
    send({ QMP: { version: { qemu: versionTriple(this.options.version), package: `pvg-vmm ${this.options.version}` }, capabilities: [] } });

    const splitter = new LineSplitter(this.options.maxLineBytes);
    let negotiated = false;
    let queued = 0;
    let overlong = false;
    let chain: Promise<void> = Promise.resolve();
    const enqueue = (work: () => Promise<void>) => {
      queued++;
      if (queued >= MAX_QUEUED_PER_CONNECTION) socket.pause();
      // A bug in a command must not wedge the connection's queue (or reject unhandled): drop it.
      chain = chain
        .then(work)
        .catch(() => void socket.destroy())
        .finally(() => {
          queued--;
          if (queued < MAX_QUEUED_PER_CONNECTION && !socket.destroyed) socket.resume();
        });
    };
    socket.on('data', (chunk: Buffer) => {
      if (overlong) return;
      const { lines, tooLong } = splitter.feed(chunk);
      for (const l of lines) enqueue(() => this.handle(l, negotiated, send, () => (negotiated = true)));
      if (tooLong) {
        overlong = true;
        socket.pause();
        enqueue(() => {
          send({ error: errorOf(new LineTooLong(`a request line is at most ${this.options.maxLineBytes} bytes; closing the connection`)) });
          socket.end();
          return Promise.resolve();
        });
      }
    });
  }

  private async handle(text: string, negotiated: boolean, send: (a: Answer) => void, negotiate: () => void): Promise<void> {
    const parsed = parseRequest(text);
    const id = 'id' in parsed ? { id: parsed.id } : {};
    if ('error' in parsed) return send({ ...id, error: errorOf(parsed.error) });
    const { request } = parsed;
    // QMP's capabilities negotiation: nothing but qmp_capabilities first, and it only once.
    if (!negotiated && request.command !== 'qmp_capabilities')
      return send({ ...id, error: errorOf(new CommandNotFound(`expecting capabilities negotiation with 'qmp_capabilities' before ${request.command}`)) });
    if (negotiated && request.command === 'qmp_capabilities')
      return send({ ...id, error: errorOf(new CommandNotFound('capabilities negotiation is already complete')) });
    if (request.command === 'qmp_capabilities') {
      const offered: string[] = [];
      const unknown = request.enable.find((c) => !offered.includes(c));
      if (unknown !== undefined) return send({ ...id, error: errorOf(new InvalidArguments(`capability ${JSON.stringify(unknown)} is not offered`)) });
      negotiate();
    }
    try {
      const run = () => execute(request, { vm: this.vm, encodePng: (f: KeptFrame) => this.png.encode(f) });
      const outcome = LIFECYCLE_COMMANDS.has(request.command) ? await this.inTurn(run) : await run();
      send({ ...id, return: outcome.result });
      if (outcome.afterAnswer === 'stop') this.stopVm();
    } catch (err) {
      send({ ...id, error: errorOf(err as ControlError) });
    }
  }

  /**
   * One lifecycle command at a time across every client: `resume` looks at vm.paused before it
   * acts, and another client's resume between the look and the act would make it start a
   * workload instead (vm.resume() on a VM that is not paused).
   */
  private inTurn<T>(op: () => Promise<T>): Promise<T> {
    const turn = this.lifecycleTurn.then(op, op);
    this.lifecycleTurn = turn.catch(() => undefined);
    return turn;
  }

  private stopVm(): void {
    if (this.options.onStop) this.options.onStop();
    else void this.vm.stop?.();
  }
}

function errorOf(err: ControlError): { class: string; desc: string; cause?: string } {
  const cause = (err as { causeName?: string }).causeName;
  return { class: err.errorClass, desc: err.message, ...(cause ? { cause } : {}) };
}

/** QMP ends every server message with CRLF. An answer JSON cannot carry becomes an error. */
function line(answer: Answer): string {
  try {
    return `${JSON.stringify(answer)}\r\n`;
  } catch (err) {
    const id = 'id' in answer ? { id: answer.id } : {};
    return `${JSON.stringify({ ...id, error: { class: 'CommandFailed', desc: `the answer cannot be written as JSON: ${(err as Error).message}`, cause: (err as Error).name } })}\r\n`;
  }
}

/** QMP clients expect version.qemu {major, minor, micro}: pvg-vmm's own version goes there. */
function versionTriple(version: string): { major: number; minor: number; micro: number } {
  const [major = 0, minor = 0, micro = 0] = version.split(/[.-]/).map((n) => Number.parseInt(n, 10) || 0);
  return { major, minor, micro };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}
