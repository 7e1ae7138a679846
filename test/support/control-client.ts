// A control-socket client for the tests (docs/control.md): connects, collects the server's lines
// as JSON, and sends requests or raw bytes. `next()` takes the next message in arrival order.
import net from 'node:net';

export type ControlMessage = Record<string, unknown> & {
  QMP?: unknown;
  return?: unknown;
  error?: { class: string; desc: string; cause?: string };
  id?: unknown;
};

export class ControlTestClient {
  private readonly inbox: ControlMessage[] = [];
  private waiters: (() => void)[] = [];
  private buffered = '';
  private ended = false;
  /** Resolves when the server closed the connection (or it broke). */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffered += text;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        if (!line.endsWith('\r')) throw new Error(`a server line without CRLF: ${line.slice(0, 80)}`);
        this.inbox.push(JSON.parse(line) as ControlMessage);
      }
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      const done = () => {
        this.ended = true;
        this.wake();
        resolve();
      };
      socket.on('close', done);
      socket.on('error', () => {}); // a reset shows up as close
    });
  }

  static connect(file: string): Promise<ControlTestClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(file);
      socket.once('connect', () => resolve(new ControlTestClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Connects and negotiates capabilities; returns the greeting too. */
  static async ready(file: string): Promise<{ client: ControlTestClient; greeting: ControlMessage }> {
    const client = await ControlTestClient.connect(file);
    const greeting = await client.next();
    if (!greeting) throw new Error('the server closed the connection before its greeting');
    const answer = await client.request('qmp_capabilities');
    if (!answer || !('return' in answer)) throw new Error(`capabilities negotiation failed: ${JSON.stringify(answer)}`);
    return { client, greeting };
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The next message, or null once the connection closed with nothing left. */
  async next(timeoutMs = 30_000): Promise<ControlMessage | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      if (this.ended) return null;
      if (Date.now() > deadline) throw new Error('no control message in time');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.inbox.shift()!;
  }

  send(raw: string | Buffer): void {
    this.socket.write(raw);
  }

  /** Sends `{"execute": command, "arguments"?, "id"?}` and returns the next message. */
  async request(command: string, args?: Record<string, unknown>, id?: string | number): Promise<ControlMessage | null> {
    this.send(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), ...(id !== undefined ? { id } : {}) })}\n`);
    return this.next();
  }

  close(): void {
    this.socket.destroy();
  }
}
