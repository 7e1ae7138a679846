// The RFB handshake as a state machine over bytes, free of sockets so every branch can be tested:
// ProtocolVersion (3.3, 3.7, 3.8; 3.5 and other 3.x read as 3.3, anything above 3.8 as 3.8),
// security (3.3: the server picks; 3.7 and 3.8: it lists one type and the client must choose it),
// VNC Authentication when a password is set, SecurityResult (always in 3.8, with a reason on
// failure; in 3.3 and 3.7 only after VNC Authentication), then ClientInit.
import { randomBytes, timingSafeEqual } from 'node:crypto';

import { vncAuthResponse } from './des.js';
import { SecurityType, SERVER_VERSION } from './rfb.js';
import { reasonString, u32 } from './wire.js';

export type RfbVersion = '3.3' | '3.7' | '3.8';

export interface HandshakeOptions {
  /** VNC Authentication is required when this is a non-empty string (only 8 bytes count). */
  password?: string | undefined;
  /** 16 random bytes per challenge; tests pass their own. */
  challenge?: () => Uint8Array;
}

interface Step {
  /** Bytes to send to the client, in order. */
  out: Buffer[];
  /** Input bytes used. */
  consumed: number;
}

export type HandshakeResult =
  | (Step & { state: 'continue' })
  | (Step & { state: 'done'; version: RfbVersion; shared: boolean })
  | (Step & { state: 'failed'; kind: 'malformed' | 'auth'; reason: string });

type State = 'version' | 'security' | 'auth' | 'init' | 'done' | 'failed';

const VERSION_RE = /^RFB (\d{3})\.(\d{3})\n$/;

export class Handshake {
  private state: State = 'version';
  private challengeBytes: Uint8Array | null = null;
  private negotiated: RfbVersion | null = null;
  private readonly securityType: number;

  constructor(private readonly opts: HandshakeOptions = {}) {
    this.securityType = opts.password ? SecurityType.VncAuth : SecurityType.None;
  }

  get version(): RfbVersion | null {
    return this.negotiated;
  }

  /** What the server sends first. */
  greeting(): Buffer {
    return Buffer.from(SERVER_VERSION, 'latin1');
  }

  /** Consumes what it can of `input` (everything the client sent and nothing used yet). */
  feed(input: Uint8Array): HandshakeResult {
    const out: Buffer[] = [];
    let used = 0;
    const fail = (kind: 'malformed' | 'auth', reason: string): HandshakeResult => {
      this.state = 'failed';
      return { state: 'failed', kind, reason, out, consumed: used };
    };
    for (;;) {
      const rest = input.length - used;
      switch (this.state) {
        case 'version': {
          if (rest < 12) return { state: 'continue', out, consumed: used };
          const text = Buffer.from(input.subarray(used, used + 12)).toString('latin1');
          used += 12;
          const m = VERSION_RE.exec(text);
          if (!m) return fail('malformed', `bad ProtocolVersion ${JSON.stringify(text)}`);
          const major = Number(m[1]);
          const minor = Number(m[2]);
          if (major !== 3 || minor < 3) return fail('malformed', `unsupported protocol version ${major}.${minor}`);
          this.negotiated = minor >= 8 ? '3.8' : minor === 7 ? '3.7' : '3.3';
          if (this.negotiated === '3.3') {
            out.push(u32(this.securityType));
            this.afterSecurityChosen(out);
          } else {
            out.push(Buffer.from([1, this.securityType]));
            this.state = 'security';
          }
          break;
        }
        case 'security': {
          if (rest < 1) return { state: 'continue', out, consumed: used };
          const chosen = input[used]!;
          used += 1;
          if (chosen !== this.securityType) {
            const reason = `security type ${chosen} was not offered`;
            if (this.negotiated === '3.8') out.push(u32(1), reasonString(reason));
            return fail('malformed', reason);
          }
          this.afterSecurityChosen(out);
          break;
        }
        case 'auth': {
          if (rest < 16) return { state: 'continue', out, consumed: used };
          const response = input.subarray(used, used + 16);
          used += 16;
          const expected = vncAuthResponse(this.opts.password ?? '', this.challengeBytes!);
          if (!timingSafeEqual(response, expected)) {
            out.push(u32(1));
            if (this.negotiated === '3.8') out.push(reasonString('Authentication failed'));
            return fail('auth', 'wrong password');
          }
          out.push(u32(0));
          this.state = 'init';
          break;
        }
        case 'init': {
          if (rest < 1) return { state: 'continue', out, consumed: used };
          const shared = input[used] !== 0;
          used += 1;
          this.state = 'done';
          return { state: 'done', version: this.negotiated!, shared, out, consumed: used };
        }
        case 'done':
        case 'failed':
          return { state: 'continue', out, consumed: used };
      }
    }
  }

  private afterSecurityChosen(out: Buffer[]): void {
    if (this.securityType === SecurityType.VncAuth) {
      const c = this.opts.challenge ? this.opts.challenge() : randomBytes(16);
      if (c.length !== 16) throw new RangeError('a VNC challenge is 16 bytes');
      this.challengeBytes = Uint8Array.from(c);
      out.push(Buffer.from(this.challengeBytes));
      this.state = 'auth';
      return;
    }
    // None: only 3.8 sends a SecurityResult for it.
    if (this.negotiated === '3.8') out.push(u32(0));
    this.state = 'init';
  }
}
