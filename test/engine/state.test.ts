// NativeEngine.saveState()/loadState() through the addon (the engine's own tests, every field
// and corruption, are native: native/test/engine_state_test.cpp): bytes out, bytes in, a refusal
// as a value naming the part, and wrong arguments as TypeErrors.
import { afterEach, describe, expect, it } from 'vitest';

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

  it('takes only a Uint8Array', () => {
    const e = rig().engine;
    expect(() => e.loadState(new Uint16Array(4) as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => e.loadState('state' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
