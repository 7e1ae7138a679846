// Fuzz target `control-requests`: the control socket's input path (vmm/control/): a client's bytes cut into lines by the bounded LineSplitter, each line through parseRequest.
// The input's first byte cuts the stream into chunks (chunks.ts); the line bound is 512 bytes
// here so the fuzzer reaches it. Checks: nothing throws; every line becomes exactly one request
// or one error of a known class; an echoed id is a scalar; every answer serialises to JSON that
// parses back to itself (what the server writes must be one valid line); a request's arguments are
// in range (indexes whole and ≥ 0, paths absolute without NUL); and the stream cut into chunks
// gives the same lines, results and over-long verdict as the stream fed whole.
import path from 'node:path';

import { CONTROL_ERROR_CLASSES } from '../../../vmm/control/errors.js';
import { LineSplitter } from '../../../vmm/control/line-splitter.js';
import { parseRequest, type ParsedLine } from '../../../vmm/control/requests.js';
import { check, chunked } from '../chunks.js';

const MAX_LINE_BYTES = 512;

function checkParsed(p: ParsedLine): string {
  check('request' in p !== 'error' in p, 'a line gave both or neither of request and error');
  if ('id' in p) check(p.id === null || ['string', 'number', 'boolean'].includes(typeof p.id), `id of type ${typeof p.id}`);
  let answer: unknown;
  if ('error' in p) {
    check(CONTROL_ERROR_CLASSES.includes(p.error.errorClass), `unknown error class ${p.error.errorClass}`);
    check(typeof p.error.message === 'string' && p.error.message.length > 0, 'an error without a description');
    answer = { error: { class: p.error.errorClass, desc: p.error.message }, ...('id' in p ? { id: p.id } : {}) };
  } else {
    const r = p.request;
    if (r.command === 'snapshot') {
      check(Number.isSafeInteger(r.device) && r.device >= 0 && Number.isSafeInteger(r.display) && r.display >= 0, 'snapshot index out of range');
      check(r.path === null || (path.isAbsolute(r.path) && !r.path.includes('\0')), `snapshot path ${JSON.stringify(r.path)}`);
    }
    if (r.command === 'save') check(path.isAbsolute(r.path) && !r.path.includes('\0'), `save path ${JSON.stringify(r.path)}`);
    if (r.command === 'reset') check(typeof r.clearRam === 'boolean', 'clearRam not a boolean');
    if (r.command === 'qmp_capabilities')
      check(
        r.enable.every((c) => typeof c === 'string'),
        'enable holds a non-string',
      );
    answer = { request: r, ...('id' in p ? { id: p.id } : {}) };
  }
  const text = JSON.stringify(answer);
  check(!text.includes('\n'), 'an answer spans lines');
  check(JSON.stringify(JSON.parse(text)) === text, 'an answer does not round-trip through JSON');
  return text;
}

function run(chunks: Buffer[]): { results: string[]; tooLong: boolean } {
  const splitter = new LineSplitter(MAX_LINE_BYTES);
  const results: string[] = [];
  let tooLong = false;
  for (const c of chunks) {
    const r = splitter.feed(c);
    for (const line of r.lines) {
      // Decoded, each byte is at most one UTF-16 unit (a bad byte becomes one U+FFFD, which
      // re-encodes as 3 bytes: so the bound is on the line's length, not its UTF-8 length).
      check(line.length <= MAX_LINE_BYTES, `a line of ${line.length} characters passed the ${MAX_LINE_BYTES}-byte bound`);
      results.push(checkParsed(parseRequest(line)));
    }
    if (tooLong) check(r.lines.length === 0, 'lines after an over-long one');
    tooLong ||= r.tooLong;
  }
  return { results, tooLong };
}

export function fuzz(data: Buffer): void {
  const { stream, chunks } = chunked(data);
  const cut = run(chunks);
  const whole = run(stream.length ? [stream] : []);
  check(cut.tooLong === whole.tooLong, `over-long: chunked ${cut.tooLong}, whole ${whole.tooLong}`);
  check(cut.results.length === whole.results.length && cut.results.every((r, i) => r === whole.results[i]), 'chunked and whole streams parsed differently');
}
