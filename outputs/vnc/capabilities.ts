// What a client's SetEncodings says it can take: the encoding to use (its first choice among
// Raw, ZRLE and Tight; Raw when it lists none of them), whether it takes CopyRect, DesktopSize
// and PointerPos, how it wants the cursor, and the zlib level it asked for.
import { Encoding } from './rfb.js';
import type { CursorMode, EncodingName } from './types.js';

export interface ClientCapabilities {
  encoding: EncodingName;
  copyRect: boolean;
  desktopSize: boolean;
  pointerPos: boolean;
  /** CursorWithAlpha wins over Cursor wherever they are listed: it loses nothing. */
  cursorMode: CursorMode;
  /** 1-9; a client asking for level 0 wants speed, and zlib's 0 would not compress at all. */
  compressLevel: number | null;
}

export function capabilitiesOf(list: readonly number[]): ClientCapabilities {
  const pick = list.find((e) => e === Encoding.Raw || e === Encoding.Zrle || e === Encoding.Tight);
  const level = list.find((e) => e >= Encoding.CompressLevel0 && e <= Encoding.CompressLevel9);
  return {
    encoding: pick === Encoding.Zrle ? 'zrle' : pick === Encoding.Tight ? 'tight' : 'raw',
    copyRect: list.includes(Encoding.CopyRect),
    desktopSize: list.includes(Encoding.DesktopSize),
    pointerPos: list.includes(Encoding.PointerPos),
    cursorMode: list.includes(Encoding.CursorWithAlpha) ? 'cursor-with-alpha' : list.includes(Encoding.Cursor) ? 'cursor' : 'composited',
    compressLevel: level === undefined ? null : Math.max(1, level - Encoding.CompressLevel0),
  };
}
