// The compositor's damage copy (actors/compositor/display-frames.ts copyDamage) both ways, on
// shared memory as the compositor has it: TypedArray.set of each row's subarray (what it did
// before; V8 copies shared memory word by word) against native.copyPixelRect (memcpy). Two
// cases: the desktop workload's typical encode (about 6 500 pixels, part rows: 160x40 of a
// 640x480 frame) and a whole 1920x1080 frame (whole rows, one copy). Rounds alternate the two
// ways so drift hits both alike; each rate is the median round's.
import { native } from '../../shared/native/addon.js';
import { median } from '../spread.js';

export interface CopyRate {
  description: string;
  /** Copies per round, rounds run. */
  iterations: number;
  rounds: number;
  gb_per_s: number;
}

interface CopyCase {
  name: string;
  stride: number;
  rows: number;
  rect: { x: number; y: number; width: number; height: number };
  iterations: number;
}

function sharedFrame(stride: number, rows: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(stride * rows * 4));
}

function copyWithSet(src: Uint32Array, dst: Uint32Array, stride: number, r: CopyCase['rect']): void {
  if (r.width === stride) {
    const at = r.y * stride;
    dst.set(src.subarray(at, at + stride * r.height), at);
    return;
  }
  for (let row = r.y; row < r.y + r.height; row++) {
    const at = row * stride + r.x;
    dst.set(src.subarray(at, at + r.width), at);
  }
}

/** GB/s of `iterations` copies of the case's rectangle one way. */
function rate(c: CopyCase, native_: boolean, src: Uint32Array, dst: Uint32Array): number {
  const { x, y, width, height } = c.rect;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < c.iterations; i++) {
    if (native_) native.copyPixelRect(src, dst, c.stride, x, y, width, height);
    else copyWithSet(src, dst, c.stride, c.rect);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return (c.iterations * width * height * 4) / ns;
}

/** `set_<case>` and `native_<case>` rates, and their ratio per case (native over set). */
export function compositorCopyRates(scale: number, rounds: number): { rates: Record<string, CopyRate>; ratios: Record<string, number> } {
  const it = (base: number) => Math.max(1, Math.round(base * scale));
  const cases: CopyCase[] = [
    { name: 'damage', stride: 640, rows: 480, rect: { x: 240, y: 200, width: 160, height: 40 }, iterations: it(40_000) },
    { name: '1080p', stride: 1920, rows: 1080, rect: { x: 0, y: 0, width: 1920, height: 1080 }, iterations: it(400) },
  ];
  const rates: Record<string, CopyRate> = {};
  const ratios: Record<string, number> = {};
  for (const c of cases) {
    const src = sharedFrame(c.stride, c.rows);
    const dst = sharedFrame(c.stride, c.rows);
    src.fill(0x80402010);
    const set: number[] = [];
    const mem: number[] = [];
    rate(c, false, src, dst); // warm both paths up once
    rate(c, true, src, dst);
    for (let r = 0; r < rounds; r++) {
      set.push(rate(c, false, src, dst));
      mem.push(rate(c, true, src, dst));
    }
    const what = `${c.rect.width}x${c.rect.height} of a ${c.stride}x${c.rows} frame on shared memory`;
    rates[`set_${c.name}`] = { description: `TypedArray.set per row, ${what} (reference)`, iterations: c.iterations, rounds, gb_per_s: median(set) };
    rates[`native_${c.name}`] = { description: `native.copyPixelRect, ${what}`, iterations: c.iterations, rounds, gb_per_s: median(mem) };
    ratios[`ratio_native_copy_vs_set_${c.name}`] = median(mem) / median(set);
  }
  return { rates, ratios };
}
