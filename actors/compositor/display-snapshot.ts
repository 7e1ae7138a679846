// One display's compositor state in a snapshot: the kept frame (mode, generation, frame number,
// pixels), the newest generation the engine announced, whether a frame is wanted (announced and
// not encoded yet: the restored compositor asks for it), and the cursor (glyph, position,
// visibility). A codec only: DisplayFrames does not take or give it yet (docs/snapshots.md, the
// wiring plan). The bytes are a file's: every size, generation and the glyph are checked and the
// first problem is refused with StateFormatError.
//
// Layout (little-endian): magic 'CDSP', version u32, width u32, height u32 (both 0: no mode),
// generation u32, kept generation u32, frame number u32, frame wanted u32 (0/1), pixel count u32
// and the pixels (u32 ARGB), cursor visible u32, x i32, y i32, glyph present u32, and if present:
// width, height, hot x, hot y u32 and width × height u32 ARGB.
import { StateReader, StateWriter } from '../../shared/snapshot/state-bytes.js';

const MAGIC = 0x50534443; // 'CDSP'
const VERSION = 1;
/** As the engine's frame (native/src/engine/render/frame.h) and cursor (protocol.h) limits. */
const MAX_DIMENSION = 8192;
const MAX_CURSOR = 256;

export interface CompositorDisplayState {
  /** The kept frame's mode; null before the guest set one (or after a reset). */
  readonly mode: { readonly width: number; readonly height: number } | null;
  /** The newest mode generation the engine announced. */
  readonly generation: number;
  /** The generation the kept frame is of (at most `generation`). */
  readonly keptGeneration: number;
  readonly frameSeq: number;
  /** A frame was announced and not encoded yet: ask for it once restored. */
  readonly frameWanted: boolean;
  /** width × height ARGB words (empty without a mode). */
  readonly pixels: Uint32Array;
  readonly cursor: {
    readonly visible: boolean;
    readonly x: number;
    readonly y: number;
    readonly glyph: { readonly width: number; readonly height: number; readonly hotX: number; readonly hotY: number; readonly argb: Uint32Array } | null;
  };
}

const words = (a: Uint32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function encodeCompositorDisplay(s: CompositorDisplayState): Uint8Array {
  const w = new StateWriter()
    .u32(MAGIC)
    .u32(VERSION)
    .u32(s.mode?.width ?? 0)
    .u32(s.mode?.height ?? 0);
  w.u32(s.generation)
    .u32(s.keptGeneration)
    .u32(s.frameSeq)
    .u32(s.frameWanted ? 1 : 0);
  w.u32(s.pixels.length).bytes(words(s.pixels));
  const c = s.cursor;
  w.u32(c.visible ? 1 : 0)
    .u32(c.x | 0)
    .u32(c.y | 0)
    .u32(c.glyph ? 1 : 0);
  if (c.glyph) w.u32(c.glyph.width).u32(c.glyph.height).u32(c.glyph.hotX).u32(c.glyph.hotY).bytes(words(c.glyph.argb));
  return w.finish();
}

function pixels(r: StateReader, count: number): Uint32Array {
  // A copy: the bytes may sit at any offset of a file's buffer, and a Uint32Array view needs 4.
  const bytes = r.bytes(count * 4).slice();
  return new Uint32Array(bytes.buffer, 0, count);
}

export function decodeCompositorDisplay(bytes: Uint8Array, component = 'compositor display'): CompositorDisplayState {
  const r = new StateReader(bytes, component);
  r.header(MAGIC, VERSION);
  r.at('frame');
  const width = r.u32();
  const height = r.u32();
  const none = width === 0 && height === 0;
  if (!none && (width === 0 || height === 0 || width > MAX_DIMENSION || height > MAX_DIMENSION)) r.fail(`mode ${width}x${height}`);
  const generation = r.u32();
  const keptGeneration = r.u32();
  const frameSeq = r.u32();
  const frameWanted = r.flag('frame wanted');
  if (keptGeneration > generation) r.fail(`kept generation ${keptGeneration} after the newest, ${generation}`);
  if (none && (keptGeneration !== 0 || frameSeq !== 0 || frameWanted)) r.fail('frames without a mode');
  const count = r.u32();
  if (count !== width * height) r.fail(`${count} pixels for ${width}x${height}`);
  if (count * 4 > r.left()) r.fail('truncated (pixels)');
  const kept = pixels(r, count);
  r.at('cursor');
  const visible = r.flag('visible');
  const x = r.u32() | 0;
  const y = r.u32() | 0;
  let glyph: CompositorDisplayState['cursor']['glyph'] = null;
  if (r.flag('glyph')) {
    const gw = r.u32();
    const gh = r.u32();
    const hotX = r.u32();
    const hotY = r.u32();
    if (gw === 0 || gh === 0 || gw > MAX_CURSOR || gh > MAX_CURSOR) r.fail(`glyph ${gw}x${gh}`);
    if (hotX >= gw || hotY >= gh) r.fail(`hot spot ${hotX},${hotY} outside the ${gw}x${gh} glyph`);
    glyph = { width: gw, height: gh, hotX, hotY, argb: pixels(r, gw * gh) };
  }
  r.end();
  return { mode: none ? null : { width, height }, generation, keptGeneration, frameSeq, frameWanted, pixels: kept, cursor: { visible, x, y, glyph } };
}
