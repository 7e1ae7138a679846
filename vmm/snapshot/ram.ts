// Guest RAM as a section: the RAM cut into chunks of CHUNK_PAGES pages; each chunk says which of
// its pages are not zero (a bitmap) and stores only those, raw or deflated. Zero pages cost one
// bit; a chunk whose first page compresses well is deflated (level 1), one whose first page does
// not is stored raw without trying the rest, so RAM that does not compress costs one page's
// deflate per chunk. Raw pages go to the file as views of guest memory, uncopied.
//
// Section bytes: a 24-byte head (page size u32, pages per chunk u32, RAM bytes u64, chunk count
// u32, reserved u32), then per chunk: encoding u8 (0 raw, 1 deflate-raw), 3 reserved bytes, the
// stored length u32, the page bitmap (CHUNK_PAGES / 8 bytes, bit p of byte p >> 3 for page p),
// and the stored bytes (the chunk's non-zero pages in order, or their deflate-raw stream).
import { promisify } from 'node:util';
import { constants, deflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';

import { SnapshotFormatError } from './errors.js';

export const PAGE_BYTES = 4096;
export const CHUNK_PAGES = 256;
const CHUNK_BYTES = PAGE_BYTES * CHUNK_PAGES;
const HEAD_BYTES = 24;
export const RAM_HEAD_BYTES = HEAD_BYTES;
const BITMAP_BYTES = CHUNK_PAGES / 8;
const CHUNK_HEAD_BYTES = 8 + BITMAP_BYTES;
const RAW = 0;
const DEFLATE = 1;
/** Deflate a chunk only if its first non-zero page shrinks to this share or less. */
const WORTH_DEFLATING = 0.5;
/** A raw chunk with more runs of pages than this is read whole and copied into place. */
const MAX_DIRECT_RUNS = 4;
/** Keep a chunk's deflate only if it saves at least this share. */
const KEEP_DEFLATE = 0.875;

export type RamCompression = 'auto' | 'none';

export interface RamEncodeStats {
  pages: number;
  zeroPages: number;
  deflatedChunks: number;
  rawChunks: number;
}

const ZERO_CHUNK = Buffer.alloc(CHUNK_BYTES);
const ZERO_PAGE = ZERO_CHUNK.subarray(0, PAGE_BYTES);
const asBuffer = (b: Uint8Array, start: number, length: number) => Buffer.from(b.buffer, b.byteOffset + start, length);

const DEFLATE_OPTIONS = { level: 1, strategy: constants.Z_DEFAULT_STRATEGY };

/** One chunk as planned: its head, its non-zero pages, and whether a deflate of them is worth trying. */
export interface PlannedChunk {
  head: Uint8Array;
  stored: Uint8Array[];
  rawLength: number;
  tryDeflate: boolean;
}

/** The section's head for `ram` (a whole number of pages) and fresh counts. */
export function planRamHead(ram: Uint8Array): { head: Uint8Array; count: number; stats: RamEncodeStats } {
  if (ram.length % PAGE_BYTES !== 0) throw new RangeError(`RAM of ${ram.length} bytes is not a whole number of pages`);
  const count = Math.ceil(ram.length / CHUNK_BYTES);
  const head = new Uint8Array(HEAD_BYTES);
  const hv = new DataView(head.buffer);
  hv.setUint32(0, PAGE_BYTES, true);
  hv.setUint32(4, CHUNK_PAGES, true);
  hv.setBigUint64(8, BigInt(ram.length), true);
  hv.setUint32(16, count, true);
  return { head, count, stats: { pages: ram.length / PAGE_BYTES, zeroPages: 0, deflatedChunks: 0, rawChunks: 0 } };
}

/** Chunk `c` as planned (the zero-page scan and its one-page probe); zero pages are counted into `stats`. */
export function planChunk(ram: Uint8Array, c: number, compression: RamCompression, stats: RamEncodeStats): PlannedChunk {
  const start = c * CHUNK_BYTES;
  const length = Math.min(CHUNK_BYTES, ram.length - start);
  const pages = length / PAGE_BYTES;
  const chunkHead = new Uint8Array(CHUNK_HEAD_BYTES);
  if (asBuffer(ram, start, length).equals(ZERO_CHUNK.subarray(0, length))) {
    stats.zeroPages += pages;
    return { head: chunkHead, stored: [], rawLength: 0, tryDeflate: false };
  }
  // Runs of consecutive non-zero pages, as [first, end) page numbers within the chunk.
  const runs: [number, number][] = [];
  for (let p = 0; p < pages; p++) {
    if (asBuffer(ram, start + p * PAGE_BYTES, PAGE_BYTES).equals(ZERO_PAGE)) {
      stats.zeroPages++;
      continue;
    }
    chunkHead[8 + (p >> 3)]! |= 1 << (p & 7);
    const last = runs.at(-1);
    if (last && last[1] === p) last[1] = p + 1;
    else runs.push([p, p + 1]);
  }
  const stored = runs.map(([a, b]) => ram.subarray(start + a * PAGE_BYTES, start + b * PAGE_BYTES));
  const rawLength = stored.reduce((n, s) => n + s.length, 0);
  const tryDeflate = compression === 'auto' && deflateRawSync(stored[0]!.subarray(0, PAGE_BYTES), DEFLATE_OPTIONS).length <= PAGE_BYTES * WORTH_DEFLATING;
  return { head: chunkHead, stored, rawLength, tryDeflate };
}

/** The section's head and chunks for `ram`, before any chunk is deflated. */
function planRam(ram: Uint8Array, compression: RamCompression): { head: Uint8Array; chunks: PlannedChunk[]; stats: RamEncodeStats } {
  const { head, count, stats } = planRamHead(ram);
  const chunks = Array.from({ length: count }, (_, c) => planChunk(ram, c, compression, stats));
  return { head, chunks, stats };
}

export const pagesOf = (chunk: PlannedChunk) => (chunk.stored.length === 1 ? chunk.stored[0]! : Buffer.concat(chunk.stored));

/** A planned chunk's byte runs, given its deflate (null: not tried); counts it into `stats`. */
export function finishChunk(chunk: PlannedChunk, deflated: Buffer | null, stats: RamEncodeStats): Uint8Array[] {
  if (chunk.stored.length === 0) return [chunk.head]; // all zero: the empty bitmap says so
  const cv = new DataView(chunk.head.buffer);
  if (deflated && deflated.length <= chunk.rawLength * KEEP_DEFLATE) {
    chunk.head[0] = DEFLATE;
    cv.setUint32(4, deflated.length, true);
    stats.deflatedChunks++;
    return [chunk.head, deflated];
  }
  chunk.head[0] = RAW;
  cv.setUint32(4, chunk.rawLength, true);
  stats.rawChunks++;
  return [chunk.head, ...chunk.stored];
}

/** Chunk `c`'s byte runs, deflated on this thread if worth trying; counted into `stats` (a save's pool threads, ram-encode-task.ts). */
export function encodeChunk(ram: Uint8Array, c: number, compression: RamCompression, stats: RamEncodeStats): Uint8Array[] {
  const chunk = planChunk(ram, c, compression, stats);
  return finishChunk(chunk, chunk.tryDeflate ? deflateRawSync(pagesOf(chunk), DEFLATE_OPTIONS) : null, stats);
}

/** The section's byte runs, given each planned chunk's deflate (null: not tried). */
function finishRam(plan: ReturnType<typeof planRam>, deflates: (Buffer | null)[]): { parts: Uint8Array[]; stats: RamEncodeStats } {
  const parts: Uint8Array[] = [plan.head];
  plan.chunks.forEach((chunk, c) => parts.push(...finishChunk(chunk, deflates[c] ?? null, plan.stats)));
  return { parts, stats: plan.stats };
}

/** The RAM section's byte runs for `ram` (a whole number of pages), deflating on this thread. */
export function encodeRam(ram: Uint8Array, compression: RamCompression = 'auto'): { parts: Uint8Array[]; stats: RamEncodeStats } {
  const plan = planRam(ram, compression);
  return finishRam(
    plan,
    plan.chunks.map((chunk) => (chunk.tryDeflate ? deflateRawSync(pagesOf(chunk), DEFLATE_OPTIONS) : null)),
  );
}

const deflateRawPromise = promisify(deflateRaw);
/** A chunk's pages deflated (level 1) on libuv's thread pool. */
export const deflateRawAsync = (pages: Uint8Array): Promise<Buffer> => deflateRawPromise(pages, DEFLATE_OPTIONS);
/** Deflates in flight at once: enough to keep libuv's thread pool (4 threads by default) busy. */
export const DEFLATES_IN_FLIGHT = 8;

/**
 * The same bytes as encodeRam, the chunks deflated on libuv's thread pool, several at once: a
 * save of RAM that compresses (text, page tables) is mostly deflate, and one thread made it 4.9 of
 * a 5.1 s save of 1 GiB on 16 cores (docs/snapshots.md, "Speed"). `ram` must not change until
 * the promise settles (a save holds the machine).
 */
export async function encodeRamParallel(ram: Uint8Array, compression: RamCompression = 'auto'): Promise<{ parts: Uint8Array[]; stats: RamEncodeStats }> {
  const plan = planRam(ram, compression);
  const deflates: (Buffer | null)[] = plan.chunks.map(() => null);
  const todo = plan.chunks.flatMap((chunk, c) => (chunk.tryDeflate ? [c] : []));
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const c = todo[next++]!;
      deflates[c] = await deflateRawAsync(pagesOf(plan.chunks[c]!));
    }
  };
  await Promise.all(Array.from({ length: Math.min(DEFLATES_IN_FLIGHT, todo.length) }, worker));
  return finishRam(plan, deflates);
}

const PART = 'section ram';
const popcount8 = (b: number) => {
  let n = 0;
  for (let v = b; v; v &= v - 1) n++;
  return n;
};

/** The RAM size the section declares, checked against what the machine has (before anything is decoded). */
export function ramSectionBytes(section: Uint8Array): number {
  if (section.length < HEAD_BYTES) throw new SnapshotFormatError(PART, `${section.length} bytes, fewer than its ${HEAD_BYTES}-byte head`);
  const v = new DataView(section.buffer, section.byteOffset, section.byteLength);
  if (v.getUint32(0, true) !== PAGE_BYTES) throw new SnapshotFormatError(PART, `page size ${v.getUint32(0, true)}, not ${PAGE_BYTES}`);
  if (v.getUint32(4, true) !== CHUNK_PAGES) throw new SnapshotFormatError(PART, `${v.getUint32(4, true)} pages per chunk, not ${CHUNK_PAGES}`);
  const bytes = v.getBigUint64(8, true);
  if (bytes % BigInt(PAGE_BYTES) !== 0n || bytes > BigInt(Number.MAX_SAFE_INTEGER))
    throw new SnapshotFormatError(PART, `RAM of ${bytes} bytes is not a whole number of pages`);
  const chunks = v.getUint32(16, true);
  if (BigInt(chunks) !== (bytes + BigInt(CHUNK_BYTES) - 1n) / BigInt(CHUNK_BYTES))
    throw new SnapshotFormatError(PART, `${chunks} chunks for ${bytes} bytes of RAM`);
  if (v.getUint32(20, true) !== 0) throw new SnapshotFormatError(PART, 'reserved bytes not zero');
  return Number(bytes);
}

/**
 * Where a RAM section's bytes come from, in order: a buffer (memorySource) or a file read
 * straight into guest memory (file-load.ts). `take` may return a view valid until the next call.
 */
export interface RamSource {
  /** Bytes of the section not taken yet. */
  readonly remaining: number;
  take(n: number): Uint8Array;
  /** The next dst.length bytes, into dst. */
  takeInto(dst: Uint8Array): void;
  /**
   * Optional: takes the chunk's next job.stored bytes and decodes them into job.into elsewhere
   * (a reader thread, with decodeChunkInto), answering false when it cannot (then they are decoded here).
   */
  takeChunk?(job: ChunkJob): boolean;
}

/** One chunk whose head passed the checks, for decodeChunkInto: its stored bytes are next in the source. */
export interface ChunkJob {
  chunk: number;
  encoding: number;
  stored: number;
  /** The chunk's bytes of guest memory. */
  into: Uint8Array;
  /** Its page bitmap (a copy: the source may reuse the head's bytes). */
  bitmap: Uint8Array;
  /** `into` is known to be all zero: absent pages need no writing. */
  zeroed: boolean;
}

export function memorySource(section: Uint8Array): RamSource {
  let at = 0;
  return {
    get remaining() {
      return section.length - at;
    },
    take(n) {
      at += n;
      return section.subarray(at - n, at);
    },
    takeInto(dst) {
      dst.set(section.subarray(at, at + dst.length));
      at += dst.length;
    },
  };
}

/**
 * Decodes the section into `ram` (exactly the declared size). `zeroed`: ram is known to be all
 * zero (fresh memory), so zero pages need no writing. Throws SnapshotFormatError on anything
 * malformed; `ram` may then hold part of the image, so decode only into memory nothing runs on.
 */
export function decodeRam(section: Uint8Array, ram: Uint8Array, zeroed: boolean): void {
  decodeRamFrom(memorySource(section), ram, zeroed);
}

/** decodeRam from a source: raw pages are taken straight into their place in `ram`. */
export function decodeRamFrom(source: RamSource, ram: Uint8Array, zeroed: boolean): void {
  if (source.remaining < HEAD_BYTES) throw new SnapshotFormatError(PART, `${source.remaining} bytes, fewer than its ${HEAD_BYTES}-byte head`);
  const bytes = ramSectionBytes(source.take(HEAD_BYTES));
  if (bytes !== ram.length) throw new SnapshotFormatError(PART, `${bytes} bytes of RAM, the machine has ${ram.length}`);
  for (let start = 0, c = 0; start < bytes; start += CHUNK_BYTES, c++) {
    const pages = Math.min(CHUNK_BYTES, bytes - start) / PAGE_BYTES;
    if (source.remaining < CHUNK_HEAD_BYTES) throw new SnapshotFormatError(PART, `chunk ${c}: truncated head`);
    const head = Uint8Array.from(source.take(CHUNK_HEAD_BYTES));
    const encoding = head[0]!;
    if (encoding !== RAW && encoding !== DEFLATE) throw new SnapshotFormatError(PART, `chunk ${c}: unknown encoding ${encoding}`);
    if (head[1] !== 0 || head[2] !== 0 || head[3] !== 0) throw new SnapshotFormatError(PART, `chunk ${c}: reserved bytes not zero`);
    const storedLength = new DataView(head.buffer).getUint32(4, true);
    const bitmap = head.subarray(8);
    let present = 0;
    for (let i = 0; i < BITMAP_BYTES; i++) {
      // Bits past the chunk's last page must be clear.
      const valid = Math.max(0, Math.min(8, pages - i * 8));
      if (bitmap[i]! >> valid !== 0) throw new SnapshotFormatError(PART, `chunk ${c}: bitmap names pages past the end of RAM`);
      present += popcount8(bitmap[i]!);
    }
    if (storedLength > source.remaining) throw new SnapshotFormatError(PART, `chunk ${c}: ${storedLength} stored bytes run past the section's end`);
    const expected = present * PAGE_BYTES;
    if (encoding === RAW && storedLength !== expected) throw new SnapshotFormatError(PART, `chunk ${c}: ${storedLength} stored bytes for ${present} pages`);
    if (encoding === DEFLATE && present === 0) throw new SnapshotFormatError(PART, `chunk ${c}: deflated, with no page to hold`);
    const into = ram.subarray(start, start + pages * PAGE_BYTES);
    const runs = encoding === RAW ? presentRuns(bitmap, pages) : [];
    if (encoding === RAW && runs.length <= MAX_DIRECT_RUNS) {
      // Each run of present pages straight into its place.
      if (!zeroed) into.fill(0);
      for (const [p, q] of runs) source.takeInto(into.subarray(p * PAGE_BYTES, q * PAGE_BYTES));
      continue;
    }
    // A deflated chunk, or a raw one of many short runs (one read instead of one per run).
    const job: ChunkJob = { chunk: c, encoding, stored: storedLength, into, bitmap: Uint8Array.from(bitmap), zeroed };
    if (!source.takeChunk?.(job)) decodeChunkInto(job, source.take(storedLength));
  }
  if (source.remaining !== 0) throw new SnapshotFormatError(PART, `${source.remaining} bytes after the last chunk`);
}

/** Runs of consecutive present pages in a chunk's bitmap, as [first, end) page numbers. */
function presentRuns(bitmap: Uint8Array, pages: number): [number, number][] {
  const isPresent = (p: number) => (bitmap[p >> 3]! & (1 << (p & 7))) !== 0;
  const runs: [number, number][] = [];
  for (let p = 0; p < pages;) {
    if (!isPresent(p)) {
      p++;
      continue;
    }
    let q = p;
    while (q < pages && isPresent(q)) q++;
    runs.push([p, q]);
    p = q;
  }
  return runs;
}

/**
 * One checked chunk's stored bytes (raw pages, or their deflate-raw stream) into job.into, each
 * present page at its place. Runs on the loading thread or a reader thread (ram-read-worker.ts);
 * throws SnapshotFormatError naming the chunk for a stream that is malformed or inflates to
 * other than its pages (inflate stops at their size: a deflate bomb ends there).
 */
/** What inflateRawSync returns with `info: true` (@types/node types it as a plain Buffer). */
interface InflateInfo {
  buffer: Buffer;
  engine: { bytesWritten: number };
}

export function decodeChunkInto(job: ChunkJob, stored: Uint8Array): void {
  const pages = job.into.length / PAGE_BYTES;
  let present = 0;
  for (const b of job.bitmap) present += popcount8(b);
  const expected = present * PAGE_BYTES;
  let data = stored;
  if (job.encoding === DEFLATE) {
    let consumed: number;
    try {
      const { buffer, engine } = inflateRawSync(stored, { maxOutputLength: expected, info: true }) as unknown as InflateInfo;
      data = buffer;
      consumed = engine.bytesWritten;
    } catch (err) {
      throw new SnapshotFormatError(PART, `chunk ${job.chunk}: bad deflate stream (${(err as Error).message})`);
    }
    // zlib stops at the stream's end and ignores what follows: the stored length must end there too.
    if (consumed !== stored.length)
      throw new SnapshotFormatError(PART, `chunk ${job.chunk}: ${stored.length - consumed} stored bytes after the end of its deflate stream`);
  }
  if (data.length !== expected) {
    if (job.encoding === DEFLATE)
      throw new SnapshotFormatError(PART, `chunk ${job.chunk}: inflates to ${data.length} bytes, ${present} pages need ${expected}`);
    throw new SnapshotFormatError(PART, `chunk ${job.chunk}: ${data.length} stored bytes for ${present} pages`);
  }
  if (!job.zeroed) job.into.fill(0);
  let from = 0;
  for (const [p, q] of presentRuns(job.bitmap, pages)) {
    job.into.set(data.subarray(from, from + (q - p) * PAGE_BYTES), p * PAGE_BYTES);
    from += (q - p) * PAGE_BYTES;
  }
}
