// Cuts a control connection's byte stream into lines, bounded: a line (without its newline) longer
// than maxLineBytes ends the stream (`tooLong`), so a client that never sends a newline holds at
// most maxLineBytes of the VM's memory. Blank lines are skipped; a trailing CR is dropped.
export interface SplitResult {
  lines: string[];
  /** A line went over the bound: nothing after it is parsed, the connection is to be closed. */
  tooLong: boolean;
}

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private over = false;

  constructor(readonly maxLineBytes: number) {}

  feed(chunk: Buffer): SplitResult {
    const lines: string[] = [];
    if (this.over) return { lines, tooLong: true };
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      if (this.pendingBytes + (end - start) > this.maxLineBytes) {
        this.over = true;
        this.pending = [];
        this.pendingBytes = 0;
        return { lines, tooLong: true };
      }
      if (nl < 0) {
        if (end > start) {
          this.pending.push(chunk.subarray(start));
          this.pendingBytes += end - start;
        }
        return { lines, tooLong: false };
      }
      const bytes = this.pendingBytes > 0 ? Buffer.concat([...this.pending, chunk.subarray(start, nl)]) : chunk.subarray(start, nl);
      this.pending = [];
      this.pendingBytes = 0;
      const line = bytes.toString('utf8').replace(/\r$/, '');
      if (line.trim() !== '') lines.push(line);
      start = nl + 1;
    }
  }
}
