// Golden images of every draw command: each scene is drawn by the guest driver through the
// ring, encoded out of the engine, and compared by checksum. The PNGs beside the checksums are
// there for people to look at; `npm run golden:update` rewrites both (then look at them).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { EncodeStatus } from '../../actors/device/engine-records.js';
import { packageRoot } from '../../shared/package-root.js';
import { EngineRig } from '../support/engine-rig.js';
import { fnv1a64, writePng } from '../support/pixels.js';
import { runGuest } from '../support/run-guest.js';

const DIR = path.join(packageRoot, 'test', 'engine', 'golden');
const SUMS = path.join(DIR, 'checksums.json');
const UPDATE = process.env.PVG_UPDATE_GOLDEN === '1';
const expected: Record<string, string> = existsSync(SUMS) ? JSON.parse(readFileSync(SUMS, 'utf8')) : {};
const actual: Record<string, string> = {};

afterAll(() => {
  if (UPDATE) writeFileSync(SUMS, `${JSON.stringify({ ...expected, ...actual }, null, 2)}\n`);
});

describe('golden images', () => {
  it('the checksum is FNV-1a 64 (checked against a BigInt reference)', () => {
    const px = new Uint32Array(257).map((_, i) => (i * 2654435761) >>> 0);
    let h = 0xcbf29ce484222325n;
    for (const b of new Uint8Array(px.buffer)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & ((1n << 64n) - 1n);
    expect(fnv1a64(px)).toBe(h.toString(16).padStart(16, '0'));
  });

  it.each(['fill', 'copy', 'blit', 'blit-alpha', 'surface'])('scene %s renders exactly as recorded', async (scene) => {
    const rig = new EngineRig();
    try {
      const errors = await runGuest<{ count: number; name: string }>(rig, 'scene', scene);
      expect(errors.count, `guest error ${errors.name}`).toBe(0);
      const done = await rig.encode(0, 0, 1, 320, 200);
      expect(done.status).toBe(EncodeStatus.Ok);
      const { width, height, pixels } = rig.surfacePixels(0, 0);
      expect([width, height]).toEqual([320, 200]);
      actual[scene] = fnv1a64(pixels);
      if (UPDATE) writePng(path.join(DIR, `${scene}.png`), width, height, pixels);
      else expect(actual[scene], `scene ${scene}: run "npm run golden:update" only if the change is intended`).toBe(expected[scene]);
    } finally {
      await rig.stop();
    }
  });
});
