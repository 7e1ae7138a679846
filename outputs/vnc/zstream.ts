// One client's zlib stream. ZRLE and Tight keep a deflate stream per connection (Tight: up to
// four) that the client inflates in step, so each rectangle's bytes are the stream's output up
// to a sync flush. Compression runs in Node's thread pool (the asynchronous zlib API), so a big
// frame does not hold up the event loop the server shares with its caller. Calls are queued: the
// bytes come back in the order compress() was called, which is the order they go on the wire.
import { constants, createDeflate, type Deflate } from 'node:zlib';

export class DeflateStream {
  private readonly z: Deflate;
  private chunks: Buffer[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  private closed = false;

  constructor(level: number) {
    this.z = createDeflate({ level });
    this.z.on('data', (c: Buffer) => this.chunks.push(c));
    this.z.on('error', (e: Error) => {
      this.failure = e;
    });
  }

  /** The compressed bytes of `data`, ending at a sync flush (a client can inflate all of it now). */
  compress(data: Uint8Array): Promise<Buffer> {
    const run = (): Promise<Buffer> =>
      new Promise<Buffer>((resolve, reject) => {
        if (this.closed) return reject(new Error('deflate stream closed'));
        if (this.failure) return reject(this.failure);
        this.z.write(data);
        // Node emits the flushed output as 'data' before calling back (the ws module relies on it too).
        this.z.flush(constants.Z_SYNC_FLUSH, () => {
          if (this.failure) return reject(this.failure);
          const out = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
          this.chunks = [];
          resolve(out);
        });
      });
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.z.close();
  }
}
