// The byte form every component's state codec writes (docs/snapshots.md, "Component states"):
// little-endian fixed-width fields, a magic and a version first. The reader treats the bytes as
// hostile (they come from a file): a read past the end, a 64-bit value that is not a safe
// integer, or a count the bytes left cannot hold is refused with StateFormatError naming the
// component part and the reason, before anything is allocated for it.

/** A component's state refused: `part` names the component (and where in it), `reason` what is wrong. */
export class StateFormatError extends Error {
  override readonly name = 'StateFormatError';
  constructor(
    readonly part: string,
    readonly reason: string,
  ) {
    super(`state refused: ${part}: ${reason}`);
  }
}

export class StateWriter {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #at = 0;

  u32(v: number): this {
    this.#room(4).setUint32(this.#at, v >>> 0, true);
    this.#at += 4;
    return this;
  }
  /** A non-negative safe integer as u64. */
  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`u64 field: ${v} is not a non-negative safe integer`);
    this.#room(8).setBigUint64(this.#at, BigInt(v), true);
    this.#at += 8;
    return this;
  }
  /** Any u64, as a BigInt (register values: a number cannot hold them). */
  big64(v: bigint): this {
    if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`u64 field: ${v} is not a u64`);
    this.#room(8).setBigUint64(this.#at, v, true);
    this.#at += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.#room(b.length);
    this.#buf.set(b, this.#at);
    this.#at += b.length;
    return this;
  }
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#at);
  }

  #room(n: number): DataView {
    if (this.#at + n > this.#buf.length) {
      const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#at + n));
      bigger.set(this.#buf.subarray(0, this.#at));
      this.#buf = bigger;
      this.#view = new DataView(bigger.buffer);
    }
    return this.#view;
  }
}

export class StateReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #at = 0;
  part: string;

  constructor(
    bytes: Uint8Array,
    /** The component, for errors ('device 0 task space', …); narrowed with `at()`. */
    readonly component: string,
  ) {
    if (!(bytes instanceof Uint8Array)) throw new StateFormatError(component, 'not bytes');
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.part = component;
  }

  /** Errors from here on name `where` inside the component. */
  at(where: string): this {
    this.part = `${this.component}: ${where}`;
    return this;
  }
  fail(reason: string): never {
    throw new StateFormatError(this.part, reason);
  }
  /** The magic and version a codec writes first. */
  header(magic: number, version: number): void {
    const m = this.u32();
    if (m !== magic) this.fail(`not this component's state (magic 0x${m.toString(16)})`);
    const v = this.u32();
    if (v !== version) this.fail(`version ${v}, this build reads ${version}`);
  }
  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#at, true);
    this.#at += 4;
    return v;
  }
  u64(): number {
    this.#need(8);
    const v = this.#view.getBigUint64(this.#at, true);
    this.#at += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`a 64-bit field of 0x${v.toString(16)} is past 2^53`);
    return Number(v);
  }
  /** Any u64, as a BigInt. */
  big64(): bigint {
    this.#need(8);
    const v = this.#view.getBigUint64(this.#at, true);
    this.#at += 8;
    return v;
  }
  flag(what: string): boolean {
    const v = this.u32();
    if (v > 1) this.fail(`${what} is ${v}, not 0 or 1`);
    return v === 1;
  }
  bytes(n: number): Uint8Array {
    this.#need(n);
    const out = this.#bytes.slice(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }
  /** A u32 count of records of at least `recordBytes` each, at most `max`, that the bytes left can hold. */
  count(what: string, recordBytes: number, max: number): number {
    const n = this.u32();
    if (n > max) this.fail(`${n} ${what}, at most ${max}`);
    if (n * recordBytes > this.left()) this.fail(`truncated (${n} ${what})`);
    return n;
  }
  left(): number {
    return this.#bytes.length - this.#at;
  }
  /** Nothing may follow the state. */
  end(): void {
    this.part = `${this.component}: end`;
    if (this.left() !== 0) this.fail(`${this.left()} bytes after the state`);
  }

  #need(n: number): void {
    if (this.left() < n) this.fail('truncated');
  }
}
