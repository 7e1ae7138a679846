// Bad configuration fails at creation, before anything starts, with an error naming the field.
import { describe, expect, it } from 'vitest';

import { Vm, VmConfigError, type VmOptions } from '../../index.js';
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

  // Issue 16, item 4. Before: limits failed 300-600 ms later as a crashed device actor
  // (VmStoppedError); null entries threw TypeError; 42 as a device and misspelt names were accepted;
  // a VNC port range past 65535 failed after the threads started, with a plain Error.
  it.each([
    [{ limits: { maxTasks: 0 } }, 'limits.maxTasks'],
    [{ limits: { maxRangesPerMap: -5 } }, 'limits.maxRangesPerMap'],
    [{ limits: { maxTaskBytes: 2 ** 60 } }, 'limits.maxTaskBytes'],
    [{ limits: { maxTasks: '10' as unknown as number } }, 'limits.maxTasks'],
    [{ limits: { maxTaskBytes: 4097 } }, 'limits.maxTaskBytes'],
    [{ limits: null as unknown as object }, 'limits'],
    [{ devices: [null as unknown as object] }, 'devices[0]'],
    [{ devices: [{}, 42 as unknown as object] }, 'devices[1]'],
    [{ outputs: { vnc: null as unknown as { port: number } } }, 'outputs.vnc'],
    [{ outputs: { web: 8080 as unknown as { port: number } } }, 'outputs.web'],
    [{ workload: 'desktop' as unknown as { name: string; frames: number } }, 'workload'],
    [{ devices: [{ displays: 8 }, { displays: 8 }], outputs: { vnc: { port: 65530 } } }, 'outputs.vnc.port'],
    // Item 5. Before: an empty password served VNC with security None.
    [{ outputs: { vnc: { port: 0, password: '' } } }, 'outputs.vnc.password'],
    [{ outputs: { vnc: { port: 0, viewOnly: 'yes' as unknown as boolean } } }, 'outputs.vnc.viewOnly'],
    [{ outputs: { web: { port: 0, viewOnly: 1 as unknown as boolean } } }, 'outputs.web.viewOnly'],
  ])('%j names %s before any thread starts', async (options, field) => {
    expect(() => resolveConfig(options)).toThrow(expect.objectContaining({ name: 'VmConfigError', field }));
    await expect(Vm.create(options)).rejects.toSatisfy((e: unknown) => e instanceof VmConfigError && e.field === field);
  });

  // A compositor shard owns whole devices: 1 to the number of devices.
  it.each<VmOptions>([
    { compositorShards: 0 },
    { devices: [{}, {}], compositorShards: 3 },
    { devices: [{}, {}], compositorShards: 1.5 },
    { compositorShards: '1' as never },
  ])('%j names compositorShards before any thread starts', async (options) => {
    expect(() => resolveConfig(options)).toThrow(expect.objectContaining({ name: 'VmConfigError', field: 'compositorShards' }));
    await expect(Vm.create(options)).rejects.toSatisfy((e: unknown) => e instanceof VmConfigError && e.field === 'compositorShards');
  });

  it.each([
    [{ ramMib: 64 }, 'ramMib', 'ramMiB'],
    [{ vcpu: 2 }, 'vcpu', 'vcpus'],
    [{ outputs: { vnc: { prot: 5900 } } }, 'outputs.vnc.prot', 'port'],
    [{ workload: { name: 'desktop', frame: 5 } }, 'workload.frame', 'frames'],
    [{ devices: [{ displayMode: ['640x480@60'] }] }, 'devices[0].displayMode', 'displayModes'],
    [{ limits: { maxTask: 8 } }, 'limits.maxTask', 'maxTasks'],
  ])('refuses the unknown option %j, naming %s and the nearest valid name', (options, field, nearest) => {
    expect(() => resolveConfig(options as VmOptions)).toThrow(
      expect.objectContaining({ name: 'VmConfigError', field, message: `${field}: unknown option; did you mean ${nearest}?` }),
    );
  });

  it('lists the valid names for an unknown option near none of them', () => {
    expect(() => resolveConfig({ threads: 4 } as VmOptions)).toThrow(/^threads: unknown option \(valid: ramMiB, vcpus, .*\)$/);
  });

  it('accepts every option it documents', () => {
    const c = resolveConfig({
      ramMiB: 32,
      vcpus: 1,
      externalVcpus: 1,
      devices: [{ variant: 'pci', displayModes: ['640x480@60'], displays: 2 }],
      workload: { name: 'band', frames: 3, seed: 2, mode: 0, damagePercent: 50 },
      writeWindow: 4,
      enginePoolThreads: 2,
      limits: { maxTasks: 8, maxTaskBytes: 2 ** 30, maxTotalTaskBytes: 2 ** 40, maxMappingsPerTask: 64, maxTotalMappings: 512, maxRangesPerMap: 8 },
      callbackTimeoutMs: 100,
      threading: 'qemu',
      cpu: 'ts',
      outputs: { vnc: { port: 5900, host: '127.0.0.1', password: 'secret' }, web: { port: 0, host: '::1' } },
      compositorShards: 1,
    });
    expect(c.limits.maxTasks).toBe(8);
    expect(c.outputs.vnc).toEqual({ port: 5900, host: '127.0.0.1', password: 'secret' });
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
