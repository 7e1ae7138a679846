// pvg-vmm run's flags for the paint workload: input devices without --input and no frame limit
// unless --frames gives one; other workloads keep their defaults; the input devices' transport.
import { describe, expect, it } from 'vitest';

import { parseRunArgs, type RunArgs } from '../../cli/run.js';

const parse = (argv: string[]) => parseRunArgs(argv) as RunArgs;

describe('run --workload paint', () => {
  it('gets input devices and runs until stopped', () => {
    const { options } = parse(['--workload', 'paint']);
    expect(options.input).toBe(true);
    expect(options.workload).toMatchObject({ name: 'paint', frames: 1e9 });
  });

  it('takes --frames as given', () => {
    expect(parse(['--workload', 'paint', '--frames', '5']).options.workload).toMatchObject({ frames: 5 });
  });

  it('leaves other workloads as they were: 300 frames, input only with --input', () => {
    const plain = parse(['--workload', 'desktop']).options;
    expect(plain.workload).toMatchObject({ frames: 300 });
    expect(plain.input).toBeUndefined();
    expect(parse(['--input']).options.input).toBe(true);
  });

  it('puts the input devices on the transport --input-transport names, or on --variant’s', () => {
    expect(parse(['--workload', 'paint']).options.inputTransport).toBe('mmio');
    expect(parse(['--workload', 'paint', '--variant', 'pci']).options.inputTransport).toBe('pci');
    expect(parse(['--input', '--input-transport', 'pci']).options.inputTransport).toBe('pci');
    expect(parse(['--input', '--variant', 'pci', '--input-transport', 'mmio']).options.inputTransport).toBe('mmio');
    expect(() => parse(['--input', '--input-transport', 'usb'])).toThrow(/--input-transport must be mmio or pci/);
  });

  it('takes the guest’s interrupts as --input-interrupts says, INTx only on virtio-pci', () => {
    expect(parse(['--workload', 'paint', '--variant', 'pci']).options.inputInterrupts).toBeUndefined();
    expect(parse(['--workload', 'paint', '--variant', 'pci', '--input-interrupts', 'intx']).options).toMatchObject({
      inputTransport: 'pci',
      inputInterrupts: 'intx',
    });
    expect(parse(['--input', '--input-transport', 'pci', '--input-interrupts', 'msix']).options.inputInterrupts).toBeUndefined();
    expect(() => parse(['--workload', 'paint', '--input-interrupts', 'intx'])).toThrow(/needs the virtio-pci transport/);
    expect(() => parse(['--input', '--input-transport', 'pci', '--input-interrupts', 'msi'])).toThrow(/--input-interrupts must be msix or intx/);
  });
});

describe('run --compositor-shards', () => {
  it('sets VmOptions.compositorShards, from 1 to --devices; left out, the VM chooses', () => {
    expect(parse(['--devices', '4', '--compositor-shards', '2']).options.compositorShards).toBe(2);
    expect(parse(['--devices', '4']).options.compositorShards).toBeUndefined();
    expect(() => parse(['--devices', '2', '--compositor-shards', '3'])).toThrow(/--compositor-shards/);
    expect(() => parse(['--compositor-shards', '0'])).toThrow(/--compositor-shards/);
  });
});
