// Reads a fuzz input as little-endian fields; past its end every read is 0, so a target's
// step loop never throws on a short input.
export class ByteReader {
  at = 0;
  constructor(private readonly data: Buffer) {}
  get done(): boolean {
    return this.at >= this.data.length;
  }
  u8(): number {
    return this.at < this.data.length ? this.data[this.at++]! : 0;
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }
  bytes(n: number): Buffer {
    const b = this.data.subarray(this.at, this.at + n);
    this.at += b.length;
    return b;
  }
}
