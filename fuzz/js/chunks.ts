// Splits a fuzz input into the chunks a socket might deliver: the first byte seeds the chunk
// sizes (1 to 64 bytes, or everything at once when it is 0), the rest is the byte stream. The
// parsers must give the same result however the stream is cut.
export interface ChunkedInput {
  /** The byte stream without the seed byte. */
  stream: Buffer;
  /** The same bytes, cut into chunks. */
  chunks: Buffer[];
}

export function chunked(data: Buffer): ChunkedInput {
  const seed = data.length > 0 ? data[0]! : 0;
  const stream = data.subarray(1);
  if (seed === 0) return { stream, chunks: stream.length ? [stream] : [] };
  const chunks: Buffer[] = [];
  let state = seed * 2654435761;
  for (let at = 0; at < stream.length;) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const size = 1 + ((state >>> 16) % 64);
    chunks.push(stream.subarray(at, at + size));
    at += size;
  }
  return { stream, chunks };
}

/** A failed check: the fuzzer saves the input as a crash. */
export function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`fuzz invariant broken: ${what}`);
}
