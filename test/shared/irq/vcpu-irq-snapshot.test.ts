// A vCPU's pending vectors in a snapshot: random deliveries and takes, saved and loaded into a
// new interrupt state, are taken in the same order; exception vectors and bad framing refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { loadVcpuPending, saveVcpuPending } from '../../../shared/irq/vcpu-irq-snapshot.js';
import { createVcpuIrqBuffer, VcpuIrqState } from '../../../shared/irq/vcpu-irq.js';
import { StateFormatError } from '../../../shared/snapshot/state-bytes.js';

const fresh = () => new VcpuIrqState(createVcpuIrqBuffer());

describe('vCPU pending vectors snapshot', () => {
  it('a restored vCPU takes exactly the vectors the original would (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 16, max: 255 }), fc.constant(-1)), { maxLength: 60 }), (steps) => {
        const a = fresh();
        for (const v of steps) {
          if (v < 0) a.takeHighest();
          else a.deliver(v);
        }
        const b = fresh();
        loadVcpuPending(b, saveVcpuPending(a));
        expect(b.pendingVectors()).toEqual(a.pendingVectors());
        for (let v = a.takeHighest(); v >= 0; v = a.takeHighest()) expect(b.takeHighest()).toBe(v);
        expect(b.takeHighest()).toBe(-1);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses exception vectors, truncation and trailing bytes', () => {
    const good = saveVcpuPending(fresh());
    const refused = (bytes: Uint8Array): StateFormatError => {
      try {
        loadVcpuPending(fresh(), bytes);
      } catch (e) {
        if (e instanceof StateFormatError) return e;
        throw e;
      }
      throw new Error('accepted');
    };
    const bad = good.slice();
    bad[8] = 0x04; // vector 2
    expect(refused(bad).reason).toMatch(/exception vectors pending/);
    expect(refused(good.subarray(0, good.length - 1)).reason).toBe('truncated');
    expect(refused(Uint8Array.from([...good, 0])).part).toBe('vcpu interrupts: end');
    const v = fresh();
    loadVcpuPending(
      v,
      (() => {
        const b = good.slice();
        b[8 + 4 * 7 + 3] = 0x80;
        return b;
      })(),
    ); // vector 255
    expect(v.pendingVectors()).toEqual([255]);
  });
});
