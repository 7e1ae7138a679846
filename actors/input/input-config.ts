// The virtio-input configuration space (virtio 1.2 §5.8.4): the driver writes `select` and
// `subsel`, the device answers with `size` and the union's bytes — the name, serial and ids,
// the property bits, the event bits of one event type, one axis's range. Two kinds of device:
// a keyboard (EV_KEY with KEY_ESC..KeyMax) and an absolute pointer, a tablet (EV_KEY with the
// three mouse buttons, EV_ABS with ABS_X and ABS_Y over 0..VIRTIO_INPUT_ABS_MAX), as QEMU's
// hw/input/virtio-input-hid.c describes its virtio-keyboard and virtio-tablet.
import {
  InputAbs,
  InputCode,
  InputEv,
  VIRTIO_INPUT_ABS_MAX,
  VIRTIO_INPUT_BUS_VIRTUAL,
  VIRTIO_INPUT_CONFIG_BYTES,
  VIRTIO_INPUT_VENDOR,
  VirtioInputCfg,
} from '../../abi/generated/virtio.js';

export type InputDeviceKind = 'keyboard' | 'tablet';

/** The union starts after select, subsel, size and five reserved bytes. */
const UNION = 8;
const UNION_BYTES = VIRTIO_INPUT_CONFIG_BYTES - UNION;

const PRODUCT: Record<InputDeviceKind, number> = { keyboard: 0x0001, tablet: 0x0003 };
const NAME: Record<InputDeviceKind, string> = { keyboard: 'PVG Virtio Keyboard', tablet: 'PVG Virtio Tablet' };

function bitmap(codes: Iterable<number>): Uint8Array {
  const bytes = new Uint8Array(UNION_BYTES);
  let size = 0;
  for (const c of codes) {
    bytes[c >>> 3]! |= 1 << (c & 7);
    size = Math.max(size, (c >>> 3) + 1);
  }
  return bytes.subarray(0, size);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export class InputConfigSpace {
  /** The 136 bytes the driver reads: select, subsel, size, reserved, union. */
  private readonly bytes = new Uint8Array(VIRTIO_INPUT_CONFIG_BYTES);
  private readonly evBits: Map<number, Uint8Array>;

  constructor(
    readonly kind: InputDeviceKind,
    private readonly serial: string,
  ) {
    this.evBits =
      kind === 'keyboard'
        ? new Map([[InputEv.Key, bitmap(range(1, InputCode.KeyMax))]])
        : new Map([
            [InputEv.Key, bitmap([InputCode.BtnLeft, InputCode.BtnRight, InputCode.BtnMiddle])],
            [InputEv.Abs, bitmap([InputAbs.X, InputAbs.Y])],
          ]);
  }

  /** Little-endian bytes at offset (the transport checked offset + size against the space). */
  read(offset: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.bytes[offset + i]!;
    return v;
  }

  /** Only select (offset 0) and subsel (1) are writable, a byte each or both in one 2-byte write. */
  write(offset: number, size: number, value: number): boolean {
    if (offset === 0 && size === 1) this.select(value & 0xff, this.bytes[1]!);
    else if (offset === 1 && size === 1) this.select(this.bytes[0]!, value & 0xff);
    else if (offset === 0 && size === 2) this.select(value & 0xff, (value >>> 8) & 0xff);
    else return false;
    return true;
  }

  /** Back to select = subsel = 0 (a device reset). */
  reset(): void {
    this.select(0, 0);
  }

  private select(select: number, subsel: number): void {
    this.bytes.fill(0);
    this.bytes[0] = select;
    this.bytes[1] = subsel;
    const answer = this.answer(select, subsel);
    this.bytes[2] = answer.length;
    this.bytes.set(answer, UNION);
  }

  private answer(select: number, subsel: number): Uint8Array {
    switch (select) {
      case VirtioInputCfg.IdName:
        return subsel === 0 ? ascii(NAME[this.kind]) : EMPTY;
      case VirtioInputCfg.IdSerial:
        return subsel === 0 ? ascii(this.serial) : EMPTY;
      case VirtioInputCfg.IdDevids: {
        if (subsel !== 0) return EMPTY;
        const ids = new DataView(new ArrayBuffer(8));
        ids.setUint16(0, VIRTIO_INPUT_BUS_VIRTUAL, true);
        ids.setUint16(2, VIRTIO_INPUT_VENDOR, true);
        ids.setUint16(4, PRODUCT[this.kind], true);
        ids.setUint16(6, 1, true);
        return new Uint8Array(ids.buffer);
      }
      case VirtioInputCfg.PropBits:
        return EMPTY; // neither device has input properties (INPUT_PROP_*)
      case VirtioInputCfg.EvBits:
        return this.evBits.get(subsel) ?? EMPTY;
      case VirtioInputCfg.AbsInfo: {
        if (this.kind !== 'tablet' || (subsel !== InputAbs.X && subsel !== InputAbs.Y)) return EMPTY;
        // min, max, fuzz, flat, res: le32 each.
        const abs = new DataView(new ArrayBuffer(20));
        abs.setUint32(4, VIRTIO_INPUT_ABS_MAX, true);
        return new Uint8Array(abs.buffer);
      }
      default:
        return EMPTY; // VirtioInputCfg.Unset and anything unknown: size 0 (§5.8.5.2)
    }
  }
}

const EMPTY = new Uint8Array(0);

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s.slice(0, UNION_BYTES), (c) => c.charCodeAt(0) & 0x7f);
}
