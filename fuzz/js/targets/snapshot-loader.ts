// Fuzz target `snapshot-loader`: the snapshot file loader (vmm/snapshot/), as Vm.restore reads a file.
// Byte 0 bit 0 set: the checksums are made right before loading (fuzz/js/snapshot-checksums.ts),
// so mutations reach the sections' parsing; clear: the file as it is. The loader must refuse with
// SnapshotFormatError (naming a part and a reason) and nothing else, and what it accepts must
// save and load again to the same RAM, options and component sections (a machine a guest ran on:
// every component's decoder runs against the loaded configuration, the engine's through the
// addon's checkEngineState and held against its task space; the engine's bytes alone are the
// engine-state libFuzzer target's too).
import { SnapshotFormatError } from '../../../vmm/snapshot/errors.js';
import { encodeSnapshot, loadSnapshot } from '../../../vmm/snapshot/snapshot.js';
import { machineStateSections } from '../../../vmm/snapshot/machine-state.js';
import { check } from '../chunks.js';
import { fixChecksums } from '../snapshot-checksums.js';

/** The pvg-vmm version the target's seeds are written with. */
export const FUZZ_VMM_VERSION = 'fuzz';
/** The config's smallest RAM is 16 MiB; the target takes up to 64 MiB so a run stays fast. */
const MAX_RAM = 64 * 1024 * 1024;

export function fuzz(data: Buffer): void {
  if (data.length === 0) return;
  const file = Uint8Array.from(data.subarray(1));
  if (data[0]! & 1) fixChecksums(file);
  const held: { ram?: Uint8Array; back?: Uint8Array } = {};
  let loaded;
  try {
    loaded = loadSnapshot(file, { vmmVersion: FUZZ_VMM_VERSION, maxRamBytes: MAX_RAM }, (n) => (held.ram = new Uint8Array(n)));
  } catch (err) {
    if (err instanceof SnapshotFormatError) {
      check(err.part.length > 0 && err.reason.length > 0, 'a refusal that names nothing');
      return;
    }
    throw err;
  }
  const { ram } = held;
  check(ram !== undefined && ram.length === loaded.config.ramBytes, 'loaded without RAM of the config size');
  const again = encodeSnapshot({ options: loaded.options, ram, state: loaded.state }, FUZZ_VMM_VERSION);
  const reloaded = loadSnapshot(Buffer.concat(again.parts), { vmmVersion: FUZZ_VMM_VERSION }, (n) => (held.back = new Uint8Array(n)));
  check(held.back !== undefined && Buffer.from(held.back).equals(Buffer.from(ram)), 'RAM differs after saving what was loaded');
  check(JSON.stringify(reloaded.options) === JSON.stringify(loaded.options), 'options differ after saving what was loaded');
  const sections = (l: typeof loaded) => (l.state ? machineStateSections(l.state).map((x) => Buffer.concat(x.parts).toString('hex')) : []);
  check(JSON.stringify(sections(reloaded)) === JSON.stringify(sections(loaded)), 'component sections differ after saving what was loaded');
}
