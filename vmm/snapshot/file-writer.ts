// A snapshot file written as its bytes become known: runs are appended in order while the caller
// goes on encoding (one writev at a time on libuv's pool, a bounded amount waiting), a few bytes
// may be filled in at a known place at the end, and only then is the file synced and renamed from
// FILE.partial into place, so a failed or interrupted save never leaves a file that looks whole.
import { open, rename, rm, type FileHandle } from 'node:fs/promises';

/** IOV_MAX on Linux: writev takes at most this many runs at once. */
const IOV_MAX = 1024;
/** One writev takes about this much (more only for a single larger run): big enough to keep the disk busy, small enough to free room for the encoder often. */
const BATCH_BYTES = 4 << 20;
/** append() waits while more than this is appended and not yet written (raw RAM is views of guest memory: this bounds the deflated copies). */
const WRITE_AHEAD_BYTES = 32 << 20;

export class SnapshotFileWriter {
  private readonly queue: Uint8Array[] = [];
  private queuedAt = 0;
  /** Bytes appended and not yet written. */
  private pendingBytes = 0;
  private writing: Promise<void> | null = null;
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly file: string,
    private readonly partial: string,
    private readonly fh: FileHandle,
  ) {}

  /** Opens FILE.partial (owner-only), replacing one a crashed save left. */
  static async open(file: string): Promise<SnapshotFileWriter> {
    const partial = `${file}.partial`;
    return new SnapshotFileWriter(file, partial, await open(partial, 'w', 0o600));
  }

  /** Queues runs after everything appended so far; resolves once little enough waits (they must not change until commit). */
  async append(parts: readonly Uint8Array[]): Promise<void> {
    this.throwIfFailed();
    for (const p of parts) {
      if (p.length === 0) continue;
      this.queue.push(p);
      this.pendingBytes += p.length;
    }
    this.pump();
    while (this.pendingBytes > WRITE_AHEAD_BYTES && !this.failure) await this.settled();
    this.throwIfFailed();
  }

  /** Overwrites bytes already appended (a table whose lengths were not known up front), after every append is written. */
  async writeAt(position: number, bytes: Uint8Array): Promise<void> {
    await this.drain();
    for (let at = 0; at < bytes.length;) at += (await this.fh.write(bytes, at, bytes.length - at, position + at)).bytesWritten;
  }

  /** Writes what is queued, syncs, closes and renames the file into place. */
  async commit(): Promise<void> {
    await this.drain();
    await this.fh.sync();
    await this.fh.close();
    await rename(this.partial, this.file);
  }

  /** After a failure: waits for the write in progress, closes and removes FILE.partial. */
  async abort(): Promise<void> {
    this.failure ??= new Error('snapshot write aborted');
    this.queue.length = 0;
    while (this.writing) await this.settled();
    await this.fh.close().catch(() => undefined); // already closed by a failed commit
    await rm(this.partial, { force: true });
  }

  private async drain(): Promise<void> {
    while ((this.writing || this.queuedAt < this.queue.length) && !this.failure) await this.settled();
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private settled(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Starts the next writev if none runs: the queued runs up to BATCH_BYTES (at least one). */
  private pump(): void {
    if (this.writing || this.failure || this.queuedAt >= this.queue.length) return;
    const batch: Uint8Array[] = [];
    let bytes = 0;
    while (this.queuedAt < this.queue.length && batch.length < IOV_MAX && (bytes === 0 || bytes + this.queue[this.queuedAt]!.length <= BATCH_BYTES)) {
      const p = this.queue[this.queuedAt++]!;
      batch.push(p);
      bytes += p.length;
    }
    // Drop written runs from the queue now and then, not on every batch.
    if (this.queuedAt > 4096) {
      this.queue.splice(0, this.queuedAt);
      this.queuedAt = 0;
    }
    this.writing = writeRuns(this.fh, batch).then(
      () => {
        this.pendingBytes -= bytes;
        this.writing = null;
        this.pump(); // the next batch goes to the disk before the encoder is woken
        this.wake();
      },
      (err: unknown) => {
        this.failure = err instanceof Error ? err : new Error(String(err));
        this.writing = null;
        this.wake();
      },
    );
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Writes the runs at the file's position, finishing a short write run by run. */
async function writeRuns(fh: FileHandle, batch: readonly Uint8Array[]): Promise<void> {
  const want = batch.reduce((n, p) => n + p.length, 0);
  let { bytesWritten } = await fh.writev(batch);
  if (bytesWritten >= want) return;
  for (const p of batch) {
    if (bytesWritten >= p.length) {
      bytesWritten -= p.length;
      continue;
    }
    let at = bytesWritten;
    bytesWritten = 0;
    while (at < p.length) at += (await fh.write(p, at)).bytesWritten;
  }
}
