// A piscina task: a frame as a person sees it — the cursor composited over the guest's pixels,
// every pixel opaque — encoded as PNG. Runs in the snapshot pool, off every actor's thread.
import { PNG } from 'pngjs';

import type { KeptFrame } from '../../actors/device/messages.js';
import { compositeCursor } from '../vnc/cursor.js';

export default function encodePng(frame: KeptFrame): Uint8Array {
  const { width, height } = frame;
  const pixels = Uint32Array.from(frame.pixels);
  const { cursor } = frame;
  if (cursor.glyph) {
    compositeCursor(pixels, { x: 0, y: 0, width, height }, { ...cursor.glyph, visible: cursor.visible, x: cursor.x, y: cursor.y });
  }
  const png = new PNG({ width, height, colorType: 2 });
  const out = png.data;
  for (let i = 0; i < width * height; i++) {
    const p = pixels[i]!;
    out[i * 4] = (p >>> 16) & 0xff;
    out[i * 4 + 1] = (p >>> 8) & 0xff;
    out[i * 4 + 2] = p & 0xff;
    out[i * 4 + 3] = 0xff;
  }
  return new Uint8Array(PNG.sync.write(png, { colorType: 2 }));
}
