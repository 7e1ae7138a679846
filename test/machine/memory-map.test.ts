// The machine's memory map with every device it can hold (16 apple-gfx devices, 16 virtio
// devices): no two windows share a byte, the MMIO windows lie below RAM, and no two interrupt
// sources a guest can use together share a vector.
import { describe, expect, it } from 'vitest';

import { BAR0_SIZE } from '../../abi/generated/machine.js';
import {
  ECAM_FUNCTION_BYTES,
  GFX_WINDOW_BYTES,
  IOSFC_WINDOW_BYTES,
  PCI_BAR_BASE,
  PCI_BAR_STRIDE,
  RAM_BASE,
  VIRTIO_MAX_DEVICES,
  VIRTIO_MMIO_WINDOW_BYTES,
  deviceLines,
  deviceVectors,
  ecamBase,
  mmioGfxBase,
  mmioIosfcBase,
  virtioMmioBase,
  virtioPciBarBase,
  virtioPciEcamBase,
  virtioPciVectors,
  virtioVector,
} from '../../machine/memory-map.js';

/** apple-gfx devices a VM may have (VIRTIO_PCI_FIRST_SLOT: the virtio-pci functions follow them). */
const GFX_DEVICES = 16;
const gfx = Array.from({ length: GFX_DEVICES }, (_, d) => d);
const virtio = Array.from({ length: VIRTIO_MAX_DEVICES }, (_, i) => i);

interface Window {
  name: string;
  base: number;
  size: number;
}

/** The first pair of windows that share a byte, or null. */
function overlap(windows: readonly Window[]): [string, string] | null {
  const sorted = [...windows].sort((a, b) => a.base - b.base);
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.base < sorted[i - 1]!.base + sorted[i - 1]!.size) return [sorted[i - 1]!.name, sorted[i]!.name];
  return null;
}

const mmioWindows: Window[] = [
  ...gfx.flatMap((d) => [
    { name: `gfx${d}`, base: mmioGfxBase(d), size: GFX_WINDOW_BYTES },
    { name: `iosfc${d}`, base: mmioIosfcBase(d), size: IOSFC_WINDOW_BYTES },
  ]),
  ...virtio.map((i) => ({ name: `virtio-mmio${i}`, base: virtioMmioBase(i), size: VIRTIO_MMIO_WINDOW_BYTES })),
];
const pciWindows: Window[] = [
  ...gfx.flatMap((d) => [
    { name: `ecam${d}`, base: ecamBase(d), size: ECAM_FUNCTION_BYTES },
    // Where the built-in guests place apple-gfx-pci device d's BAR0: slot d of the BAR area.
    { name: `bar${d}`, base: PCI_BAR_BASE + d * PCI_BAR_STRIDE, size: BAR0_SIZE },
  ]),
  ...virtio.flatMap((i) => [
    { name: `virtio-pci-ecam${i}`, base: virtioPciEcamBase(i), size: ECAM_FUNCTION_BYTES },
    { name: `virtio-pci-bar${i}`, base: virtioPciBarBase(i), size: PCI_BAR_STRIDE },
  ]),
];

describe('machine: the memory map', () => {
  it('no two windows share a byte, MMIO and PCI together', () => {
    expect(overlap([...mmioWindows, ...pciWindows])).toBeNull();
    // The check finds an overlap where there is one.
    expect(overlap([...mmioWindows, { name: 'probe', base: mmioIosfcBase(3) + 4, size: 4 }])).toEqual(['iosfc3', 'probe']);
  });

  it('the MMIO windows lie below RAM, the PCI ones above its start', () => {
    for (const w of mmioWindows) expect(w.base + w.size, w.name).toBeLessThanOrEqual(RAM_BASE);
    for (const w of pciWindows) expect(w.base, w.name).toBeGreaterThan(RAM_BASE);
  });

  it('lines are two per device; vectors a guest uses together are distinct and above the exceptions', () => {
    const lines = gfx.flatMap((d) => Object.values(deviceLines(d)));
    expect(new Set(lines).size).toBe(lines.length);
    const gfxVectors = gfx.flatMap((d) => {
      const v = deviceVectors(d);
      return [v.gfx, v.iosfc, v.msi, v.msi + 1, v.msi + 2, v.msi + 3];
    });
    // A VM's input devices use one transport: virtio-mmio lines or virtio-pci MSI-X.
    for (const inputs of [virtio.map(virtioVector), virtio.flatMap((i) => Object.values(virtioPciVectors(i)))]) {
      const all = [...gfxVectors, ...inputs];
      expect(new Set(all).size).toBe(all.length);
      for (const v of all) expect(v >= 32 && v < 256, `vector ${v}`).toBe(true);
    }
  });
});
