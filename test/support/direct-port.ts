// An MmioPort that talks to an engine's inbound mailbox directly (what the device actor does
// for the engine's windows): reads wait on a reply slot, writes are posted with a window.
import { EngineIn, EngineWindow } from '../../actors/device/engine-records.js';
import type { MmioPort } from '../../guest/ts/driver.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { PostedWrites } from '../../shared/mmio/completion.js';
import { ReplyTable } from '../../shared/reply/reply-table.js';

export class DirectEnginePort implements MmioPort {
  private readonly inbound: Mailbox;
  private readonly replies: ReplyTable;
  private readonly writes: PostedWrites;

  constructor(
    inbound: SharedArrayBuffer,
    vcpuReplies: SharedArrayBuffer,
    completion: SharedArrayBuffer,
    private readonly gfxBase: number,
    private readonly iosfcBase: number,
    private readonly slot = 0,
    writeWindow = 64,
  ) {
    this.inbound = new Mailbox(inbound, 'engine-in');
    this.replies = new ReplyTable(vcpuReplies);
    this.writes = new PostedWrites(new Int32Array(completion), 0, writeWindow);
  }

  private decode(address: number): [EngineWindow, number] {
    if (address >= this.iosfcBase && address < this.iosfcBase + 0x10000) return [EngineWindow.Iosfc, address - this.iosfcBase];
    return [EngineWindow.Gfx, address - this.gfxBase];
  }

  read32(address: number): number {
    const [window, offset] = this.decode(address);
    const id = this.replies.begin(this.slot);
    this.inbound.enqueue(EngineIn.MmioRead, [window, offset, 0, 4, 0, this.slot, id]);
    this.replies.wait(this.slot, 2000, 10_000);
    return this.replies.value(this.slot, 0);
  }

  write32(address: number, value: number): void {
    const [window, offset] = this.decode(address);
    this.writes.beforeWrite();
    this.inbound.enqueue(EngineIn.MmioWrite, [window, offset, 0, 4, value, 0, 0]);
    this.writes.afterWrite();
  }

  /** Raw access with any size/offset (for bad-input tests). */
  rawRead(window: EngineWindow, offset: number, size: number): number {
    const id = this.replies.begin(this.slot);
    this.inbound.enqueue(EngineIn.MmioRead, [window, offset, 0, size, 0, this.slot, id]);
    this.replies.wait(this.slot, 2000, 10_000);
    return this.replies.value(this.slot, 0);
  }

  /** Raw read of any size/offset as its two 32-bit halves [lo, hi]. */
  rawReadHalves(window: EngineWindow, offset: number, size: number): [number, number] {
    const id = this.replies.begin(this.slot);
    this.inbound.enqueue(EngineIn.MmioRead, [window, offset, 0, size, 0, this.slot, id]);
    this.replies.wait(this.slot, 2000, 10_000);
    return [this.replies.value(this.slot, 0), this.replies.value(this.slot, 1)];
  }

  /** Raw write of any size/offset, the value as its two 32-bit halves. */
  rawWrite(window: EngineWindow, offset: number, size: number, lo: number, hi: number): void {
    this.writes.beforeWrite();
    this.inbound.enqueue(EngineIn.MmioWrite, [window, offset, 0, size, lo >>> 0, hi >>> 0, 0]);
    this.writes.afterWrite();
  }
}
