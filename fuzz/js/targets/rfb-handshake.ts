// Fuzz target `rfb-handshake`: the RFB server's handshake (outputs/vnc/handshake.ts).
// A client's first bytes, fed as the session feeds them (everything not yet consumed, again after
// each chunk). Byte 1 picks the server's security: bit 0 set, VNC Authentication with the
// password below and a fixed challenge (the seeds carry the right response). The handshake must
// never throw; it consumes no more than it was given and nothing once done or failed; a finished
// handshake names a version it offered; and the stream cut into chunks gives the same bytes out,
// the same outcome and the same leftover as the stream fed whole.
import { Handshake, type HandshakeResult } from '../../../outputs/vnc/handshake.js';
import { check, chunked } from '../chunks.js';

export const PASSWORD = 'fuzz-pw';
export const CHALLENGE = Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff);

interface Outcome {
  state: HandshakeResult['state'];
  detail: string;
  out: Buffer;
  leftover: Buffer;
}

function run(withPassword: boolean, chunks: Buffer[]): Outcome {
  const h = new Handshake(withPassword ? { password: PASSWORD, challenge: () => CHALLENGE } : {});
  const out: Buffer[] = [h.greeting()];
  let inbuf: Buffer = Buffer.alloc(0);
  let last: HandshakeResult | null = null; // set once done or failed
  for (const c of chunks) {
    if (last) {
      inbuf = Buffer.concat([inbuf, c]); // the session stops feeding; the rest is the parser's
      continue;
    }
    inbuf = inbuf.length ? Buffer.concat([inbuf, c]) : c;
    const r = h.feed(inbuf);
    check(Number.isInteger(r.consumed) && r.consumed >= 0 && r.consumed <= inbuf.length, `consumed ${r.consumed} of ${inbuf.length}`);
    out.push(...r.out);
    inbuf = inbuf.subarray(r.consumed);
    if (r.state === 'done') check(['3.3', '3.7', '3.8'].includes(r.version) && h.version === r.version, `done with version ${r.version}`);
    if (r.state !== 'continue') last = r;
  }
  if (last) {
    const again = h.feed(Buffer.from([1, 2, 3]));
    check(again.state === 'continue' && again.consumed === 0 && again.out.length === 0, 'a finished handshake took more input');
  }
  const detail = !last ? '' : last.state === 'done' ? `${last.version} shared=${last.shared}` : last.state === 'failed' ? `${last.kind}: ${last.reason}` : '';
  return { state: last?.state ?? 'continue', detail, out: Buffer.concat(out), leftover: inbuf };
}

export function fuzz(data: Buffer): void {
  const withPassword = data.length > 1 && (data[1]! & 1) !== 0;
  const { stream, chunks } = chunked(data.length > 1 ? Buffer.concat([data.subarray(0, 1), data.subarray(2)]) : data);
  const cut = run(withPassword, chunks);
  const whole = run(withPassword, stream.length ? [stream] : []);
  check(cut.state === whole.state && cut.detail === whole.detail, `chunked ${cut.state} (${cut.detail}), whole ${whole.state} (${whole.detail})`);
  check(cut.out.equals(whole.out), 'chunked and whole streams answered differently');
  check(cut.leftover.equals(whole.leftover), 'chunked and whole streams left different bytes for the message parser');
}
