// NativeEngine.saveState()/loadState() through the addon (the engine's own tests, every field
// and corruption, are native: native/test/engine_state_test.cpp): bytes out, bytes in, a refusal
// as a value naming the part, and wrong arguments as TypeErrors.
import { afterEach, describe, expect, it } from 'vitest';

import { native } from '../../shared/native/addon.js';
import { EngineRig } from '../support/engine-rig.js';

const rigs: EngineRig[] = [];
const rig = (displays = 1): EngineRig => {
  const r = new EngineRig({ displays });
  rigs.push(r);
  return r;
};
afterEach(async () => {
  await Promise.all(rigs.splice(0).map((r) => r.stop()));
});

describe('engine state through the addon', () => {
  it('a new engine saves a state another engine of the same configuration loads and saves back', () => {
    const bytes = rig().engine.saveState();
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true)).toBe(0x53474e45); // 'ENGS'
    const other = rig().engine;
    expect(other.loadState(bytes)).toBeNull();
    expect(Buffer.from(other.saveState()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('refuses a state of another configuration or corrupted, naming the part, as a value', () => {
    const bytes = rig(2).engine.saveState();
    expect(rig(1).engine.loadState(bytes)).toEqual({ part: 'header', reason: '2 displays, the engine has 1' });
    const bad = rig(2).engine;
    const flipped = bytes.slice();
    flipped[16] = 99; // the error-code register
    expect(bad.loadState(flipped)).toEqual({ part: 'registers', reason: 'error code 99 is no error' });
    expect(bad.loadState(bytes.subarray(0, 10))?.reason).toBe('truncated');
    expect(Buffer.from(bad.saveState()).equals(Buffer.from(bytes))).toBe(true); // still at power-on
  });

  it('checkEngineState checks a state with no engine running: the same answers as loadState, a summary when it passes', async () => {
    const source = rig();
    const bytes = source.engine.saveState();
    const d = source.memory.describe();
    const limits = {
      memory: new Int32Array(d.sab),
      regions: d.regions.map((r) => ({ base: r.base, size: r.size, offset: r.offset, readOnly: r.readOnly })),
      displays: [
        {
          modes: [
            { width: 320, height: 200, refresh: 60 },
            { width: 160, height: 100, refresh: 60 },
          ],
        },
      ],
      iosfc: true,
      maxContextBytes: Math.max(64 * 1024 * 1024, source.ramSize),
    };
    expect(native.checkEngineState(bytes, limits)).toEqual({ ring: { running: false, task: 0 }, contexts: [], tasks: [] });
    // Every single-byte change in the first 200 bytes: refused by both with the same part and
    // reason (one decoder), or passed by both.
    let refused = 0;
    for (let at = 0; at < Math.min(200, bytes.length); at++) {
      const bad = Uint8Array.from(bytes);
      bad[at]! ^= 0x5a;
      const checked = native.checkEngineState(bad, limits);
      const loaded = rig().engine.loadState(bad);
      if (loaded === null) expect(checked).not.toHaveProperty('part');
      else {
        expect(checked).toEqual(loaded);
        refused++;
      }
      await rigs.pop()!.stop();
    }
    expect(refused).toBeGreaterThan(10);
    expect(native.checkEngineState(bytes, { ...limits, displays: [...limits.displays, ...limits.displays] })).toEqual({
      part: 'header',
      reason: '1 displays, the engine has 2',
    });
    expect(() => native.checkEngineState([] as unknown as Uint8Array, limits)).toThrow(TypeError);
  });

  it('takes only a Uint8Array', () => {
    const e = rig().engine;
    expect(() => e.loadState(new Uint16Array(4) as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => e.loadState('state' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
