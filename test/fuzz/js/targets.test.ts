// The JavaScript fuzz targets (fuzz/js/, docs/fuzzing.md) over their checked-in seeds: each seed
// passes the target's checks, and a stream that breaks a check is reported as a finding (an
// Error naming the broken invariant), so a target cannot silently check nothing.
import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { fuzz as controlRequests } from '../../../fuzz/js/targets/control-requests.js';
import { fuzz as clientMessages } from '../../../fuzz/js/targets/rfb-client-messages.js';
import { fuzz as handshake } from '../../../fuzz/js/targets/rfb-handshake.js';
import { FUZZ_VMM_VERSION, fuzz as snapshotLoader } from '../../../fuzz/js/targets/snapshot-loader.js';
import { fixChecksums } from '../../../fuzz/js/snapshot-checksums.js';
import { decodeInputDeviceState } from '../../../actors/input/input-snapshot.js';
import { loadSnapshot } from '../../../vmm/snapshot/snapshot.js';
import { fuzz as wsFraming } from '../../../fuzz/js/targets/ws-bridge-framing.js';
import { fuzz as virtqueue, run as runVirtqueue } from '../../../fuzz/js/targets/virtqueue.js';
import { fuzz as virtioPci, run as runVirtioPci } from '../../../fuzz/js/targets/virtio-pci.js';
import { check, chunked } from '../../../fuzz/js/chunks.js';

const corpus = path.resolve(import.meta.dirname, '..', '..', '..', 'fuzz', 'js', 'corpus');
const targets = {
  'control-requests': controlRequests,
  'rfb-client-messages': clientMessages,
  'rfb-handshake': handshake,
  'ws-bridge-framing': wsFraming,
  virtqueue,
  'virtio-pci': virtioPci,
  'snapshot-loader': snapshotLoader,
};

describe('JavaScript fuzz targets', () => {
  for (const [name, fuzz] of Object.entries(targets)) {
    it(`${name}: every checked-in seed passes the checks`, () => {
      const seeds = fs.readdirSync(path.join(corpus, name));
      expect(seeds.length).toBeGreaterThan(5);
      for (const seed of seeds) expect(() => fuzz(fs.readFileSync(path.join(corpus, name, seed))), seed).not.toThrow();
    });
  }

  it('virtqueue: the seeds reach the refusals they are named for', () => {
    const faultsOf = (seed: string) => runVirtqueue(fs.readFileSync(path.join(corpus, 'virtqueue', seed))).stats();
    const expectations: [string, string][] = [
      ['chain-loop', 'chain-loop'],
      ['buffer-outside-ram', 'buffer-outside-ram'],
      ['buffer-too-small', 'buffer-too-small'],
      ['avail-index-jump', 'avail-index-jump'],
      ['indirect', 'indirect'],
      ['bad-sizes', 'bad-size'],
      ['no-version-1', 'features-refused'],
      ['notify-before-ready', 'notify-before-ready'],
    ];
    for (const [seed, fault] of expectations) expect(faultsOf(seed).faults[fault], seed).toBeGreaterThan(0);
    expect(faultsOf('setup-keys').events.delivered).toBe(6);
    // A status queue set up beside the event queue: both ready, nothing refused.
    expect(faultsOf('status-queue').faults).toEqual({});
  });

  it('snapshot-loader: guest-ran loads whole, every component kind in it (a real engine state, the input devices with events waiting)', () => {
    const seed = fs.readFileSync(path.join(corpus, 'snapshot-loader', 'guest-ran'));
    expect(seed.length).toBeLessThanOrEqual(4096);
    const file = Uint8Array.from(seed.subarray(1));
    fixChecksums(file);
    const loaded = loadSnapshot(file, { vmmVersion: FUZZ_VMM_VERSION }, (n) => new Uint8Array(n));
    expect(loaded.state!.inputDevices.map((d) => decodeInputDeviceState(d).pending.length)).toEqual([6, 12]);
    expect(loaded.state!.devices[0]!.engine.length).toBeGreaterThan(64);
  });

  it('snapshot-loader: kvm-ran loads whole, with its kvm vcpu section in place of the guest program', () => {
    const seed = fs.readFileSync(path.join(corpus, 'snapshot-loader', 'kvm-ran'));
    expect(seed.length).toBeLessThanOrEqual(4096);
    const file = Uint8Array.from(seed.subarray(1));
    fixChecksums(file);
    const loaded = loadSnapshot(file, { vmmVersion: FUZZ_VMM_VERSION }, (n) => new Uint8Array(n));
    expect(loaded.config.cpu).toBe('kvm');
    expect(loaded.state!.vcpus[0]!.program).toBeNull();
    expect(loaded.state!.vcpus[0]!.kvm!.length).toBeGreaterThan(600);
  });

  it('virtio-pci: the seeds reach the refusals and interrupts they are named for', () => {
    const runSeed = (seed: string) => runVirtioPci(fs.readFileSync(path.join(corpus, 'virtio-pci', seed)));
    const expectations: [string, string][] = [
      ['bad-sizes', 'bad-size'],
      ['no-version-1', 'features-refused'],
      ['notify-before-ready', 'notify-before-ready'],
      ['notify-before-ready', 'no-such-queue'],
      ['read-only', 'write-to-read-only'],
      ['widths', 'bad-access-size'],
      ['widths', 'unknown-register'],
      ['bad-vector', 'bad-vector'],
      ['ring-outside-ram', 'ring-outside-ram'],
      ['chain-loop', 'chain-loop'],
    ];
    for (const [seed, fault] of expectations) expect(runSeed(seed).device.stats().faults[fault], `${seed}: ${fault}`).toBeGreaterThan(0);
    const keys = runSeed('setup-keys');
    expect(keys.device.stats().events.delivered).toBe(6);
    expect(new Set(keys.msis)).toEqual(new Set([0x61]));
    // A masked entry's message goes out once when unmasked, so do those held by Function Mask;
    // with MSI-X off it is counted, not sent; hostile table accesses are refused and counted.
    expect(runSeed('msix-masked').msis).toEqual([0x61]);
    expect(runSeed('msix-masked').device.stats().msix).toMatchObject({ masked: 1, sent: 1 });
    expect(runSeed('msix-function-mask').msis).toEqual([0x61]);
    expect(runSeed('msix-function-mask').device.stats().msix).toMatchObject({ masked: 1, sent: 1 });
    expect(runSeed('msix-disabled').msis).toEqual([]);
    expect(runSeed('msix-disabled').device.stats().msix).toMatchObject({ disabled: 1, sent: 0 });
    const hostile = runSeed('msix-table-hostile').device.stats().faults;
    expect([hostile['bad-access-size'], hostile['write-to-read-only'], hostile['unknown-register']]).toEqual([4, 1, 2]);
    expect(runSeed('reset-mid-queue').msis.at(-1)).toBe(0x63);
  });

  it('chunks cover the stream exactly, whatever the seed byte', () => {
    const stream = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
    for (const seed of [0, 1, 7, 255]) {
      const { stream: s, chunks } = chunked(Buffer.concat([Buffer.from([seed]), stream]));
      expect(s).toEqual(stream);
      expect(Buffer.concat(chunks)).toEqual(stream);
      if (seed === 0) expect(chunks).toHaveLength(1);
      else expect(chunks.every((c) => c.length >= 1 && c.length <= 64)).toBe(true);
    }
  });

  it('a broken check is a finding', () => {
    expect(() => check(false, 'what broke')).toThrow('fuzz invariant broken: what broke');
  });
});
