// crc32Combine puts a section's CRC together from parts checksummed apart (file-load.ts's readers):
// it must give exactly zlib's crc32 of the joined bytes, for any split and any lengths.
import { crc32 } from 'node:zlib';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { crc32Combine } from '../../../vmm/snapshot/crc-combine.js';

describe('crc32Combine', () => {
  it('equals crc32 of the joined bytes for any split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 3000 }), (a, b) => {
        const joined = Buffer.concat([a, b]);
        expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(joined));
      }),
    );
  });

  it('folds many parts in order, long ones included (1 MiB, as the readers take them)', () => {
    const parts = [1 << 20, 40, 5, 1 << 20, 4096 * 3, 0, 1].map((n, i) => Buffer.alloc(n, (i * 37 + 11) & 0xff));
    let crc = 0;
    for (const p of parts) crc = crc32Combine(crc, crc32(p), p.length);
    expect(crc).toBe(crc32(Buffer.concat(parts)));
  });

  it('refuses a length that is not a byte count', () => {
    expect(() => crc32Combine(0, 0, -1)).toThrow(RangeError);
    expect(() => crc32Combine(0, 0, 1.5)).toThrow(RangeError);
  });
});
