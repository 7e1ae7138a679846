// The compositor display state codec: any valid state round-trips (fast-check); sizes, generations
// and glyphs a display cannot have are refused with StateFormatError naming the part.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { type CompositorDisplayState, decodeCompositorDisplay, encodeCompositorDisplay } from '../../../actors/compositor/display-snapshot.js';
import { StateFormatError } from '../../../shared/snapshot/state-bytes.js';

const words = (n: number) => fc.array(fc.nat(0xffffffff), { minLength: n, maxLength: n }).map((a) => Uint32Array.from(a));
const state: fc.Arbitrary<CompositorDisplayState> = fc
  .record({ w: fc.integer({ min: 0, max: 24 }), h: fc.integer({ min: 1, max: 24 }), gw: fc.integer({ min: 1, max: 8 }), gh: fc.integer({ min: 1, max: 8 }) })
  .chain(({ w, h, gw, gh }) =>
    fc.record({
      mode: fc.constant(w === 0 ? null : { width: w, height: h }),
      generation: fc.nat(1000).map((g) => (w === 0 ? g : g + 1)),
      keptGeneration: fc.constant(0),
      frameSeq: w === 0 ? fc.constant(0) : fc.nat(0xffffffff),
      frameWanted: w === 0 ? fc.constant(false) : fc.boolean(),
      pixels: words(w * (w === 0 ? 0 : h)),
      cursor: fc.record({
        visible: fc.boolean(),
        x: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        y: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        glyph: fc.option(fc.record({ width: fc.constant(gw), height: fc.constant(gh), hotX: fc.nat(gw - 1), hotY: fc.nat(gh - 1), argb: words(gw * gh) })),
      }),
    }),
  )
  .map((s) => ({ ...s, keptGeneration: s.mode === null ? 0 : Math.min(s.generation, 1) }));

function refusal(bytes: Uint8Array): StateFormatError {
  try {
    decodeCompositorDisplay(bytes);
  } catch (e) {
    if (e instanceof StateFormatError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('compositor display state', () => {
  it('round-trips any state a display can have (fast-check)', () => {
    fc.assert(
      fc.property(state, (s) => {
        const bytes = encodeCompositorDisplay(s);
        const back = decodeCompositorDisplay(bytes);
        expect(back).toEqual(s);
        expect(encodeCompositorDisplay(back)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  const base: CompositorDisplayState = {
    mode: { width: 4, height: 2 },
    generation: 3,
    keptGeneration: 2,
    frameSeq: 17,
    frameWanted: true,
    pixels: Uint32Array.from({ length: 8 }, (_, i) => 0xff000000 + i),
    cursor: { visible: true, x: -3, y: 9, glyph: { width: 2, height: 2, hotX: 1, hotY: 0, argb: new Uint32Array(4) } },
  };
  const good = encodeCompositorDisplay(base);

  it('refuses what a display cannot have, naming the part', () => {
    const cases: [Partial<CompositorDisplayState>, string, RegExp][] = [
      [{ mode: { width: 9000, height: 2 } }, 'frame', /mode 9000x2/],
      [{ mode: { width: 0, height: 2 } }, 'frame', /mode 0x2/],
      [{ keptGeneration: 4 }, 'frame', /kept generation 4 after the newest/],
      [{ mode: null, pixels: new Uint32Array(0) }, 'frame', /frames without a mode/],
      [{ pixels: new Uint32Array(7) }, 'frame', /7 pixels for 4x2/],
      [{ cursor: { ...base.cursor, glyph: { width: 300, height: 1, hotX: 0, hotY: 0, argb: new Uint32Array(300) } } }, 'cursor', /glyph 300x1/],
      [{ cursor: { ...base.cursor, glyph: { width: 2, height: 2, hotX: 2, hotY: 0, argb: new Uint32Array(4) } } }, 'cursor', /hot spot/],
    ];
    for (const [patch, part, reason] of cases) {
      const e = refusal(encodeCompositorDisplay({ ...base, ...patch }));
      expect(e.part).toBe(`compositor display: ${part}`);
      expect(e.reason).toMatch(reason);
    }
    expect(refusal(Uint8Array.from([...good, 0])).part).toBe('compositor display: end');
    for (let n = 0; n < good.length; n++) expect(refusal(good.subarray(0, n))).toBeInstanceOf(StateFormatError);
  });

  it('random corruption is refused with StateFormatError or decodes to a state that encodes back the same (fast-check)', () => {
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bad = good.slice();
        bad[at]! ^= x;
        try {
          expect(encodeCompositorDisplay(decodeCompositorDisplay(bad))).toEqual(bad);
        } catch (e) {
          expect(e).toBeInstanceOf(StateFormatError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
