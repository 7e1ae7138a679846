import { describe, expect, it } from 'vitest';

import { rfbBytesOf } from '../../../outputs/web/browser-frames.js';

describe('rfbBytesOf: what the bridge passes to the VNC server from a browser message', () => {
  it('passes a binary message on as it is', () => {
    const b = Buffer.from([1, 2, 3]);
    expect(rfbBytesOf(b, true)).toBe(b);
  });

  it('joins fragments and copies an ArrayBuffer', () => {
    expect(rfbBytesOf([Buffer.from([1]), Buffer.from([2, 3])], true)).toEqual(Buffer.from([1, 2, 3]));
    expect(rfbBytesOf(new Uint8Array([4, 5]).buffer, true)).toEqual(Buffer.from([4, 5]));
  });

  it('refuses a text message (RFB is bytes: the bridge closes with 1003)', () => {
    expect(rfbBytesOf(Buffer.from('RFB 003.008\n'), false)).toBeNull();
  });
});
