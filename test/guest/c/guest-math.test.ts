// The machine-code guest computes the workloads' doubles as V8 does: its js_sin (fdlibm, as V8)
// against this Node's Math.sin, bit for bit, over every argument desktop uses in the first
// 300 000 frames and a spread of others (guest/c/sim/sin_dump.c), built for the host.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../../shared/package-root.js';
import { foreignProcessEnv } from '../../support/foreign-env.js';

const guest = path.join(packageRoot, 'guest', 'c');
const work = mkdtempSync(path.join(tmpdir(), 'pvg-guest-math-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('guest math', () => {
  it('js_sin equals Math.sin bit for bit', () => {
    const exe = path.join(work, 'sin_dump');
    execFileSync(
      'cc',
      [
        '-O2',
        '-ffp-contract=off',
        '-fno-math-errno',
        '-fno-strict-aliasing',
        '-std=gnu11',
        '-w',
        `-I${guest}`,
        '-o',
        exe,
        path.join(guest, 'sim', 'sin_dump.c'),
        path.join(guest, 'jsmath.c'),
      ],
      { env: foreignProcessEnv() },
    );
    const out = path.join(work, 'sin.bin');
    execFileSync(exe, [out, '300000'], { env: foreignProcessEnv() });
    const buf = readFileSync(out);
    const pairs = new Float64Array(buf.buffer, buf.byteOffset, buf.length / 8);
    expect(pairs.length / 2).toBeGreaterThan(900_000);
    const differing: string[] = [];
    for (let i = 0; i < pairs.length; i += 2) {
      if (!Object.is(Math.sin(pairs[i]!), pairs[i + 1]!)) differing.push(`sin(${pairs[i]}): C ${pairs[i + 1]}, V8 ${Math.sin(pairs[i]!)}`);
    }
    expect(differing.slice(0, 5)).toEqual([]);
  });
});
