// A PVG device for exercising the TypeScript guest program alone: the gfx window's registers as
// the guest driver uses them, and a ring it consumes at once on each doorbell (FENCE completes,
// everything else is only logged). Every MMIO access and every command word consumed goes into
// `log`, so two runs can be compared access for access. Its state copies with clone() (what a
// snapshot of the real device would carry).
import { Op, PVG_ID, RING_HEADER_BYTES, RING_HEADER_FENCE, RING_HEADER_HEAD, Reg } from '../../guest/ts/protocol.js';
import type { GuestMemory } from '../../shared/guest-memory/index.js';

const MODES = [
  [
    { width: 320, height: 200, refresh: 60 },
    { width: 160, height: 120, refresh: 60 },
  ],
  [{ width: 200, height: 150, refresh: 60 }],
];

interface Registers {
  displaySelect: number;
  modeSelect: number;
  ringGpa: number;
  ringSize: number;
  running: boolean;
  head: number;
  fence: number;
}

export class FakePvgDevice {
  readonly log: string[] = [];
  r: Registers = { displaySelect: 0, modeSelect: 0, ringGpa: 0, ringSize: 0, running: false, head: 0, fence: 0 };

  constructor(
    readonly memory: GuestMemory,
    readonly gfxBase: number,
  ) {}

  clone(memory: GuestMemory): FakePvgDevice {
    const d = new FakePvgDevice(memory, this.gfxBase);
    d.r = { ...this.r };
    return d;
  }

  read(address: number, size: number): number {
    const v = this.#read(address - this.gfxBase);
    this.log.push(`r ${address.toString(16)}/${size} = ${v}`);
    return v;
  }

  write(address: number, size: number, value: number): void {
    this.log.push(`w ${address.toString(16)}/${size} ${value}`);
    const r = this.r;
    switch (address - this.gfxBase) {
      case Reg.DisplaySelect:
        r.displaySelect = value;
        break;
      case Reg.ModeSelect:
        r.modeSelect = value;
        break;
      case Reg.RingGpaLo:
        r.ringGpa = value;
        break;
      case Reg.RingSize:
        r.ringSize = value;
        break;
      case Reg.RingControl:
        r.running = value === 1;
        r.head = 0;
        break;
      case Reg.Reset:
        r.running = false;
        r.fence = 0;
        break;
      case Reg.Doorbell:
        this.#consume(value);
        break;
    }
  }

  #read(offset: number): number {
    const r = this.r;
    const mode = MODES[r.displaySelect]?.[r.modeSelect];
    switch (offset) {
      case Reg.Id:
        return PVG_ID;
      case Reg.Status:
        return 1 | (r.running ? 2 : 0);
      case Reg.DisplayCount:
        return MODES.length;
      case Reg.ModeCount:
        return MODES[r.displaySelect]?.length ?? 0;
      case Reg.ModeWidth:
        return mode?.width ?? 0;
      case Reg.ModeHeight:
        return mode?.height ?? 0;
      case Reg.ModeRefresh:
        return mode?.refresh ?? 0;
      case Reg.RingHead:
        return r.head;
      case Reg.FenceCompleted:
        return r.fence;
      default:
        return 0;
    }
  }

  /** Consumes the ring up to `tail`, logging each command; a malformed one drops the rest, as the engine does. */
  #consume(tail: number): void {
    const r = this.r;
    const payload = r.ringSize - RING_HEADER_BYTES;
    if (!r.running || tail >= payload || tail % 4 !== 0) return;
    const view = this.memory.view(r.ringGpa + RING_HEADER_BYTES, payload, 'read');
    const data = new DataView(view.buffer, view.byteOffset, view.byteLength);
    const word = (at: number) => data.getUint32(at % payload, true);
    while (r.head !== tail) {
      const header = word(r.head);
      const words = header >>> 16;
      const available = (tail - r.head + payload) % payload;
      if (words === 0 || words * 4 > available) break;
      const args = Array.from({ length: words - 1 }, (_, i) => word(r.head + 4 + 4 * i));
      this.log.push(`c ${(header & 0xffff).toString(16)} ${args.join(',')}`);
      if ((header & 0xffff) === Op.Fence) r.fence = args[0]!;
      r.head = (r.head + words * 4) % payload;
    }
    r.head = tail;
    // The header words the engine writes (docs/protocol.md §2): the guest reads its fences there.
    const header = this.memory.view(r.ringGpa, RING_HEADER_BYTES, 'write');
    const headerWords = new DataView(header.buffer, header.byteOffset, header.byteLength);
    headerWords.setUint32(RING_HEADER_HEAD, r.head, true);
    headerWords.setUint32(RING_HEADER_FENCE, r.fence, true);
  }
}
