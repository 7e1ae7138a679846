// Reading a client's SetEncodings list.
import { describe, expect, it } from 'vitest';

import { capabilitiesOf } from '../../../outputs/vnc/capabilities.js';
import { Encoding } from '../../../outputs/vnc/rfb.js';

describe('capabilitiesOf', () => {
  it('picks the first supported encoding in the client order, else Raw', () => {
    expect(capabilitiesOf([5, Encoding.Tight, Encoding.Zrle]).encoding).toBe('tight');
    expect(capabilitiesOf([Encoding.Zrle, Encoding.Tight]).encoding).toBe('zrle');
    expect(capabilitiesOf([2, 4, 5]).encoding).toBe('raw');
    expect(capabilitiesOf([]).encoding).toBe('raw');
  });

  it('reads the pseudo-encodings', () => {
    expect(capabilitiesOf([Encoding.Raw])).toEqual({
      encoding: 'raw',
      copyRect: false,
      desktopSize: false,
      pointerPos: false,
      cursorMode: 'composited',
      compressLevel: null,
    });
    expect(capabilitiesOf([Encoding.CopyRect, Encoding.DesktopSize, Encoding.PointerPos, Encoding.Cursor, -250])).toEqual({
      encoding: 'raw',
      copyRect: true,
      desktopSize: true,
      pointerPos: true,
      cursorMode: 'cursor',
      compressLevel: 6,
    });
    expect(capabilitiesOf([Encoding.Cursor, Encoding.CursorWithAlpha]).cursorMode).toBe('cursor-with-alpha');
    expect(capabilitiesOf([Encoding.CompressLevel0]).compressLevel).toBe(1);
    expect(capabilitiesOf([Encoding.CompressLevel9, Encoding.CompressLevel0]).compressLevel).toBe(9);
  });
});
