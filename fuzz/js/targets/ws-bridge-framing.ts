// Fuzz target `ws-bridge-framing`: the web viewer's WebSocket input path (outputs/web/).
// The bridge does no framing of its own: the `ws` library's Receiver unframes and unmasks what the
// browser sends, and the bridge's consumer (browser-frames.ts: binary messages become RFB bytes, a
// text message closes) passes the bytes on to the VNC server, whose session parses them (handshake,
// then client messages). So this target feeds raw bytes from a "browser" to a Receiver set up as
// the viewer's WebSocketServer sets it up (server side, no compression; a small maxPayload so the
// limit is reachable), hands each message to rfbBytesOf, and the result to a handshake and message
// parser as the session does. Checks: nothing throws; every error the Receiver reports is one of
// its own (a WS_ERR_ code and a close code), and none comes after it stopped; no message exceeds
// maxPayload; the stream cut into chunks gives the same messages, bytes and outcome as fed whole.
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';

import { Handshake } from '../../../outputs/vnc/handshake.js';
import { MessageParser } from '../../../outputs/vnc/messages.js';
import { rfbBytesOf } from '../../../outputs/web/browser-frames.js';
import { check, chunked } from '../chunks.js';

const MAX_PAYLOAD = 4096;

// ws's Receiver (a Writable; @types/ws does not declare it). Written through _write, the Writable
// hook, so that every event and error happens synchronously, before the next chunk.
interface Receiver extends Writable {
  _write(chunk: Buffer, encoding: string, cb: (err?: Error | null) => void): void;
}
const { Receiver } = createRequire(import.meta.url)('ws') as {
  Receiver: new (options: { isServer: boolean; maxPayload: number; binaryType: string; allowSynchronousEvents: boolean }) => Receiver;
};

interface Outcome {
  events: string[];
  rfb: Buffer;
  end: string;
}

function run(chunks: Buffer[]): Outcome {
  const receiver = new Receiver({ isServer: true, maxPayload: MAX_PAYLOAD, binaryType: 'nodebuffer', allowSynchronousEvents: true });
  const events: string[] = [];
  const rfb: Buffer[] = [];
  let end = '';
  const handshake = new Handshake({});
  const parser = new MessageParser();
  let inbuf: Buffer = Buffer.alloc(0);
  let ready = false;
  // The session's side: handshake first, then messages (as session.ts onData does).
  const toVnc = (bytes: Buffer) => {
    rfb.push(bytes);
    if (ready) {
      const r = parser.feed(bytes);
      if (r.error) end ||= `rfb: ${r.error}`;
      return;
    }
    inbuf = inbuf.length ? Buffer.concat([inbuf, bytes]) : bytes;
    const r = handshake.feed(inbuf);
    inbuf = inbuf.subarray(r.consumed);
    if (r.state === 'failed') end ||= `handshake: ${r.reason}`;
    if (r.state === 'done') {
      ready = true;
      const rest = inbuf;
      inbuf = Buffer.alloc(0);
      if (rest.length && parser.feed(rest).error) end ||= 'rfb: error';
    }
  };
  // Once the connection ends, the rest of the chunk under way is still parsed (and dropped, as
  // the bridge's closed flag drops it): events are recorded up to the end only.
  receiver.on('message', (data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean) => {
    if (end) return;
    const bytes = rfbBytesOf(data, isBinary);
    const length = bytes?.length ?? (Array.isArray(data) ? Buffer.concat(data).length : Buffer.from(data as ArrayBuffer).length);
    check(length <= MAX_PAYLOAD, `a message of ${length} bytes passed maxPayload ${MAX_PAYLOAD}`);
    events.push(`${isBinary ? 'binary' : 'text'} ${length}`);
    if (bytes === null) end = 'text frame: closed 1003';
    else toVnc(bytes);
  });
  receiver.on('conclude', (code: number) => {
    if (end) return;
    events.push(`close ${code}`);
    end = 'close frame';
  });
  receiver.on('ping', () => end || events.push('ping'));
  receiver.on('pong', () => end || events.push('pong'));
  for (const c of chunks) {
    if (end) break; // the bridge stops reading once it closes
    // A copy: the Receiver unmasks in place, and a socket hands it buffers of its own.
    receiver._write(Buffer.from(c), 'buffer', (err) => {
      if (!err) return;
      const e = err as Error & { code?: unknown; [k: symbol]: unknown };
      check(typeof e.code === 'string' && e.code.startsWith('WS_ERR_'), `the Receiver failed with ${err.name}: ${err.message}`);
      end ||= `ws: ${e.code}`;
    });
  }
  return { events, rfb: Buffer.concat(rfb), end };
}

export function fuzz(data: Buffer): void {
  const { stream, chunks } = chunked(data);
  const cut = run(chunks);
  const whole = run(stream.length ? [stream] : []);
  check(cut.end === whole.end, `chunked ended "${cut.end}", whole "${whole.end}"`);
  check(cut.events.join() === whole.events.join(), 'chunked and whole streams gave different messages');
  check(cut.rfb.equals(whole.rfb), 'chunked and whole streams passed different bytes to the VNC server');
}
