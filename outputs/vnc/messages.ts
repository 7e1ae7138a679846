// Parser for client-to-server messages after the handshake. Bytes arrive in arbitrary chunks; the
// parser keeps at most one partial message and checks every client-supplied count before it
// allocates for it. Anything it does not understand (unknown type, a bad pixel format, absurd
// lengths) is an error for this client only: the parser stops and says why, it never throws.
// ClientCutText bodies are skipped as they arrive, never stored.
import { decodePixelFormat, pixelFormatProblem, type PixelFormat } from './pixel-format.js';
import { ClientMessageType } from './rfb.js';

export type ClientMessage =
  | { type: 'set-pixel-format'; format: PixelFormat }
  | { type: 'set-encodings'; encodings: number[] }
  | { type: 'update-request'; incremental: boolean; x: number; y: number; width: number; height: number }
  | { type: 'key'; down: boolean; keysym: number }
  | { type: 'pointer'; buttons: number; x: number; y: number }
  | { type: 'cut-text'; length: number };

export interface ParserLimits {
  /** Most encodings one SetEncodings may list (the wire allows 65535). */
  maxEncodings: number;
  /** Longest ClientCutText accepted (its text is skipped). */
  maxCutText: number;
}

export const DEFAULT_PARSER_LIMITS: ParserLimits = { maxEncodings: 1024, maxCutText: 1 << 20 };

export interface ParseResult {
  messages: ClientMessage[];
  /** Set once the stream is malformed; the parser accepts nothing after that. */
  error?: string;
}

export class MessageParser {
  private pending: Buffer = Buffer.alloc(0);
  private skipping = 0;
  private failed: string | null = null;

  constructor(private readonly limits: ParserLimits = DEFAULT_PARSER_LIMITS) {}

  get error(): string | null {
    return this.failed;
  }

  feed(chunk: Uint8Array): ParseResult {
    const messages: ClientMessage[] = [];
    if (this.failed) return { messages, error: this.failed };
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    for (;;) {
      if (this.skipping > 0) {
        const n = Math.min(this.skipping, buf.length - pos);
        this.skipping -= n;
        pos += n;
        if (this.skipping > 0) break;
      }
      if (pos >= buf.length) break;
      const r = this.parseOne(buf, pos);
      if (r === null) break;
      if (typeof r === 'string') {
        this.failed = r;
        this.pending = Buffer.alloc(0);
        return { messages, error: r };
      }
      messages.push(r.message);
      pos = r.next;
    }
    // Keep only the partial message (copied, so the caller's chunk can be reused).
    this.pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
    return { messages };
  }

  /** One message at `pos`: the message and where the next starts, null if incomplete, or an error. */
  private parseOne(b: Buffer, pos: number): { message: ClientMessage; next: number } | null | string {
    const have = b.length - pos;
    const type = b[pos]!;
    switch (type) {
      case ClientMessageType.SetPixelFormat: {
        if (have < 20) return null;
        const format = decodePixelFormat(b, pos + 4);
        const problem = pixelFormatProblem(format);
        if (problem) return `SetPixelFormat: ${problem}`;
        return { message: { type: 'set-pixel-format', format }, next: pos + 20 };
      }
      case ClientMessageType.SetEncodings: {
        if (have < 4) return null;
        const count = b.readUInt16BE(pos + 2);
        if (count > this.limits.maxEncodings) return `SetEncodings lists ${count} encodings (limit ${this.limits.maxEncodings})`;
        const len = 4 + count * 4;
        if (have < len) return null;
        const encodings: number[] = [];
        for (let i = 0; i < count; i++) encodings.push(b.readInt32BE(pos + 4 + i * 4));
        return { message: { type: 'set-encodings', encodings }, next: pos + len };
      }
      case ClientMessageType.FramebufferUpdateRequest: {
        if (have < 10) return null;
        return {
          message: {
            type: 'update-request',
            incremental: b[pos + 1] !== 0,
            x: b.readUInt16BE(pos + 2),
            y: b.readUInt16BE(pos + 4),
            width: b.readUInt16BE(pos + 6),
            height: b.readUInt16BE(pos + 8),
          },
          next: pos + 10,
        };
      }
      case ClientMessageType.KeyEvent: {
        if (have < 8) return null;
        return { message: { type: 'key', down: b[pos + 1] !== 0, keysym: b.readUInt32BE(pos + 4) }, next: pos + 8 };
      }
      case ClientMessageType.PointerEvent: {
        if (have < 6) return null;
        return {
          message: { type: 'pointer', buttons: b[pos + 1]!, x: b.readUInt16BE(pos + 2), y: b.readUInt16BE(pos + 4) },
          next: pos + 6,
        };
      }
      case ClientMessageType.ClientCutText: {
        if (have < 8) return null;
        const length = b.readUInt32BE(pos + 4);
        if (length > this.limits.maxCutText) return `ClientCutText of ${length} bytes (limit ${this.limits.maxCutText})`;
        this.skipping = length;
        return { message: { type: 'cut-text', length }, next: pos + 8 };
      }
      default:
        return `unknown message type ${type}`;
    }
  }
}
