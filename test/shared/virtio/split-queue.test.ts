// The split virtqueue's device side over guest RAM: well-formed chains come out whole and every
// hostile table, ring or chain is refused with its reason (docs/virtio.md, "What is checked"),
// never thrown; a property test throws random tables and indices at it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_AVAIL_F_NO_INTERRUPT } from '../../../abi/generated/virtio.js';
import { createGuestMemory } from '../../../shared/guest-memory/index.js';
import { SplitQueue, VIRTQUEUE_FAULTS, type QueueLayout } from '../../../shared/virtio/split-queue.js';

const RAM = 0x4000_0000;
const RAM_SIZE = 0x10_0000;
const DESC = RAM;
const AVAIL = RAM + 0x1000;
const USED = RAM + 0x2000;
const DATA = RAM + 0x8000;

function rig(size = 8) {
  const memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM, size: RAM_SIZE }] });
  const layout: QueueLayout = { size, desc: BigInt(DESC), avail: BigInt(AVAIL), used: BigInt(USED) };
  const desc = (i: number, gpa: bigint, len: number, flags: number, next = 0) => {
    const d = new DataView(new ArrayBuffer(16));
    d.setBigUint64(0, gpa, true);
    d.setUint32(8, len, true);
    d.setUint16(12, flags, true);
    d.setUint16(14, next, true);
    memory.write(DESC + 16 * i, new Uint8Array(d.buffer));
  };
  const u16 = (gpa: number, v: number) => memory.write(gpa, new Uint8Array([v & 0xff, (v >>> 8) & 0xff]));
  let idx = 0;
  const offer = (head: number) => {
    u16(AVAIL + 4 + 2 * (idx % size), head);
    idx = (idx + 1) & 0xffff;
    u16(AVAIL + 2, idx);
  };
  const queue = () => {
    const q = SplitQueue.create(memory, layout, 64);
    if (typeof q === 'string') throw new Error(q);
    return q;
  };
  return { memory, layout, desc, u16, offer, queue };
}

describe('SplitQueue.create', () => {
  it('takes a queue whose areas are aligned and in RAM', () => {
    const r = rig();
    expect(SplitQueue.create(r.memory, r.layout, 64)).toBeInstanceOf(SplitQueue);
  });

  it.each([0, 3, 6, 100, 128, 65536])('refuses size %i (zero, not a power of two, or above QueueNumMax 64)', (size) => {
    const r = rig();
    expect(SplitQueue.create(r.memory, { ...r.layout, size }, 64)).toBe('bad-size');
  });

  it.each([
    ['desc', { desc: BigInt(DESC + 8) }],
    ['avail', { avail: BigInt(AVAIL + 1) }],
    ['used', { used: BigInt(USED + 2) }],
  ])('refuses a misaligned %s area', (_, change) => {
    const r = rig();
    expect(SplitQueue.create(r.memory, { ...r.layout, ...change }, 64)).toBe('ring-misaligned');
  });

  it.each([
    ['below RAM', { desc: 0x1000n }],
    ['running past the end of RAM', { used: BigInt(RAM + RAM_SIZE - 16) }],
    ['above 2^53', { avail: 1n << 60n }],
    ['at 2^64 - 16', { desc: (1n << 64n) - 16n }],
  ])('refuses an area %s', (_, change) => {
    const r = rig();
    expect(SplitQueue.create(r.memory, { ...r.layout, ...change }, 64)).toBe('ring-outside-ram');
  });
});

describe('SplitQueue.pop', () => {
  it('returns nothing until the driver offers, then a whole chain, readable before writable', () => {
    const r = rig();
    const q = r.queue();
    expect(q.pop()).toEqual({ kind: 'empty' });
    r.desc(2, BigInt(DATA), 16, VIRTQ_DESC_F_NEXT, 5);
    r.desc(5, BigInt(DATA + 16), 8, VIRTQ_DESC_F_WRITE);
    r.offer(2);
    expect(q.hasAvailable).toBe(true);
    expect(q.pop()).toEqual({
      kind: 'chain',
      chain: {
        head: 2,
        buffers: [
          { gpa: DATA, len: 16, writable: false },
          { gpa: DATA + 16, len: 8, writable: true },
        ],
      },
    });
    expect(q.pop()).toEqual({ kind: 'empty' });
  });

  it('publishes used entries and the used index for the driver', () => {
    const r = rig();
    const q = r.queue();
    q.pushUsed(3, 8);
    q.pushUsed(1, 0);
    const used = new Uint8Array(6 + 8 * 8);
    r.memory.read(USED, used);
    const v = new DataView(used.buffer);
    expect([v.getUint16(2, true), v.getUint32(4, true), v.getUint32(8, true), v.getUint32(12, true), v.getUint32(16, true)]).toEqual([2, 3, 8, 1, 0]);
  });

  it('follows VIRTQ_AVAIL_F_NO_INTERRUPT', () => {
    const r = rig();
    const q = r.queue();
    expect(q.wantsInterrupt()).toBe(true);
    r.u16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
    expect(q.wantsInterrupt()).toBe(false);
  });

  const hostile: [string, (r: ReturnType<typeof rig>) => void, string][] = [
    [
      'a loop in the chain (0 → 1 → 0)',
      (r) => (r.desc(0, BigInt(DATA), 8, VIRTQ_DESC_F_NEXT, 1), r.desc(1, BigInt(DATA), 8, VIRTQ_DESC_F_NEXT, 0), r.offer(0)),
      'chain-loop',
    ],
    ['a descriptor chained to itself', (r) => (r.desc(3, BigInt(DATA), 8, VIRTQ_DESC_F_NEXT, 3), r.offer(3)), 'chain-loop'],
    ['a next index past the table', (r) => (r.desc(0, BigInt(DATA), 8, VIRTQ_DESC_F_NEXT, 8), r.offer(0)), 'index-out-of-range'],
    ['a head index past the table', (r) => r.offer(9), 'index-out-of-range'],
    ['a buffer below RAM', (r) => (r.desc(0, 0x1000n, 8, VIRTQ_DESC_F_WRITE), r.offer(0)), 'buffer-outside-ram'],
    ['a buffer running past the end of RAM', (r) => (r.desc(0, BigInt(RAM + RAM_SIZE - 4), 8, VIRTQ_DESC_F_WRITE), r.offer(0)), 'buffer-outside-ram'],
    ['a buffer of length 2^32 - 1', (r) => (r.desc(0, BigInt(DATA), 0xffffffff, 0), r.offer(0)), 'buffer-outside-ram'],
    ['a buffer above 2^53', (r) => (r.desc(0, 0xffff_ffff_0000_0000n, 8, VIRTQ_DESC_F_WRITE), r.offer(0)), 'buffer-outside-ram'],
    ['an indirect descriptor (not offered)', (r) => (r.desc(0, BigInt(DATA), 16, VIRTQ_DESC_F_INDIRECT), r.offer(0)), 'indirect'],
    [
      'a readable buffer after a writable one',
      (r) => (r.desc(0, BigInt(DATA), 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1), r.desc(1, BigInt(DATA), 8, 0), r.offer(0)),
      'readable-after-writable',
    ],
    ['an available index 9 ahead of a queue of 8', (r) => r.u16(AVAIL + 2, 9), 'avail-index-jump'],
    ['an available index that went backwards (0xffff ahead)', (r) => r.u16(AVAIL + 2, 0xffff), 'avail-index-jump'],
  ];
  it.each(hostile)('refuses %s', (_, arrange, fault) => {
    const r = rig();
    const q = r.queue();
    arrange(r);
    expect(q.pop()).toEqual({ kind: 'fault', fault });
  });

  it('keeps to the queue (never throws) whatever the table, ring and index hold', () => {
    const size = 8;
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16 * size, maxLength: 16 * size }),
        fc.uint8Array({ minLength: 4 + 2 * size, maxLength: 4 + 2 * size }),
        fc.array(fc.record({ i: fc.nat(size - 1), gpa: fc.constantFrom(DATA, RAM + RAM_SIZE - 8, 0, RAM - 8) }), { maxLength: size }),
        (table, avail, aimed) => {
          const r = rig(size);
          r.memory.write(DESC, table);
          r.memory.write(AVAIL, avail);
          // Some descriptors aimed at RAM and its edges, so chains get past the address check too.
          for (const { i, gpa } of aimed) r.memory.write(DESC + 16 * i, new Uint8Array(new BigUint64Array([BigInt(gpa)]).buffer));
          const q = r.queue();
          for (let n = 0; n < size + 2; n++) {
            const got = q.pop();
            if (got.kind === 'empty') return;
            if (got.kind === 'fault') {
              expect(VIRTQUEUE_FAULTS).toContain(got.fault);
              return;
            }
            expect(got.chain.head).toBeLessThan(size);
            expect(got.chain.buffers.length).toBeLessThanOrEqual(size);
            for (const b of got.chain.buffers) expect(r.memory.translateOffset(b.gpa, b.len, b.writable ? 'write' : 'read')).toBeGreaterThanOrEqual(0);
            q.pushUsed(got.chain.head, 0);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
