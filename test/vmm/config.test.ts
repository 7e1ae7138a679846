// Bad configuration fails at creation, before anything starts, with an error naming the field.
import { describe, expect, it } from 'vitest';

import { Vm, VmConfigError } from '../../index.js';
import { parseMode, resolveConfig } from '../../vmm/config.js';

describe('VM configuration', () => {
  it.each([
    [{ devices: [{ displayModes: ['1920x1080'] }] }, 'devices[0].displayModes[0]'],
    [{ devices: [{ displayModes: ['10x10@60'] }] }, 'devices[0].displayModes[0]'],
    [{ devices: [{ displayModes: [] }] }, 'devices[0].displayModes'],
    [{ devices: [{ variant: 'isa' as 'mmio' }] }, 'devices[0].variant'],
    [{ devices: [{ displays: 0 }] }, 'devices[0].displays'],
    [{ devices: [] }, 'devices'],
    [{ vcpus: 0 }, 'vcpus'],
    [{ ramMiB: 1.5 }, 'ramMiB'],
    [{ workload: { name: 'doom', frames: 1 } }, 'workload.name'],
    [{ workload: { name: 'desktop', frames: -1 } }, 'workload.frames'],
    [{ workload: { name: 'desktop', frames: 1, mode: 3 } }, 'workload.mode'],
    [{ writeWindow: 1000 }, 'writeWindow'],
    [{ externalVcpus: 99 }, 'externalVcpus'],
  ])('%j names %s', async (options, field) => {
    await expect(Vm.create(options)).rejects.toSatisfy((e: unknown) => e instanceof VmConfigError && e.field === field && e.message.startsWith(field));
  });

  it('parses WxH@R modes and gives every display a unique serial', () => {
    expect(parseMode(' 1280x720@75 ', 'm')).toEqual({ width: 1280, height: 720, refresh: 75 });
    const a = resolveConfig({ devices: [{ displays: 2 }, {}] });
    const b = resolveConfig({});
    const serials = [...a.devices, ...b.devices].flatMap((d) => d.displays.map((s) => s.serial));
    expect(new Set(serials).size).toBe(serials.length);
    expect(a.devices[0]!.displays[0]!.modes.map((m) => `${m.width}x${m.height}@${m.refresh}`)).toEqual(['1920x1080@60', '1440x1080@60', '1280x1024@60']);
  });
});
