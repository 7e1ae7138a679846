// Fuzz target `rfb-client-messages`: the RFB server's client-message parser (outputs/vnc/messages.ts).
// The bytes a client sends after the handshake, cut into chunks as a socket delivers them. The
// parser must never throw; once it reports an error it accepts nothing more; every message it
// returns has fields in their wire ranges and within its limits; and the stream cut into chunks
// gives exactly the messages and error of the stream fed whole.
import { MessageParser, type ClientMessage, type ParserLimits } from '../../../outputs/vnc/messages.js';
import { pixelFormatProblem } from '../../../outputs/vnc/pixel-format.js';
import { check, chunked } from '../chunks.js';

// Small limits, so the fuzzer meets them (the server's defaults are 1024 and 1 MiB).
const LIMITS: ParserLimits = { maxEncodings: 64, maxCutText: 4096 };

const u16 = (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffff;

function checkMessage(m: ClientMessage): void {
  switch (m.type) {
    case 'set-pixel-format':
      check(pixelFormatProblem(m.format) === null, `a pixel format the parser should have refused: ${JSON.stringify(m.format)}`);
      return;
    case 'set-encodings':
      check(m.encodings.length <= LIMITS.maxEncodings, `${m.encodings.length} encodings`);
      check(
        m.encodings.every((e) => Number.isInteger(e) && e >= -0x80000000 && e <= 0x7fffffff),
        'an encoding outside s32',
      );
      return;
    case 'update-request':
      check(u16(m.x) && u16(m.y) && u16(m.width) && u16(m.height), 'an update request outside u16');
      return;
    case 'key':
      check(Number.isInteger(m.keysym) && m.keysym >= 0 && m.keysym <= 0xffffffff, 'a keysym outside u32');
      return;
    case 'pointer':
      check(u16(m.x) && u16(m.y) && m.buttons >= 0 && m.buttons <= 255, 'a pointer event outside its ranges');
      return;
    case 'cut-text':
      check(m.length >= 0 && m.length <= LIMITS.maxCutText, `cut text of ${m.length} bytes`);
      return;
  }
}

function parse(chunks: Buffer[]): { messages: ClientMessage[]; error: string | null } {
  const parser = new MessageParser(LIMITS);
  const messages: ClientMessage[] = [];
  let error: string | null = null;
  for (const c of chunks) {
    const r = parser.feed(c);
    if (error !== null) check(r.messages.length === 0 && r.error === error, 'messages after an error');
    messages.push(...r.messages);
    if (r.error !== undefined) error = r.error;
    check(parser.error === error, 'the parser error and the result disagree');
  }
  return { messages, error };
}

export function fuzz(data: Buffer): void {
  const { stream, chunks } = chunked(data);
  const cut = parse(chunks);
  const whole = parse(stream.length ? [stream] : []);
  for (const m of cut.messages) checkMessage(m);
  check(cut.error === whole.error, `chunked error ${cut.error}, whole ${whole.error}`);
  check(JSON.stringify(cut.messages) === JSON.stringify(whole.messages), 'chunked and whole streams parse differently');
}
