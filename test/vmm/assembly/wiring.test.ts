// The assembly step alone (vmm/assembly/): what each actor is given, read from the specs without
// starting a thread — interrupt routing, input bindings, the qemu model's refresh timer and the
// guests' RAM slices.
import { describe, expect, it } from 'vitest';

import type { CompositorConfig } from '../../../actors/compositor/messages.js';
import type { DeviceConfig } from '../../../actors/device/messages.js';
import type { InputActorConfig } from '../../../actors/input/messages.js';
import type { IrqConfig } from '../../../actors/irq/messages.js';
import { Supervisor } from '../../../actors/runtime/supervisor.js';
import { RAM_BASE, deviceLines, deviceVectors } from '../../../machine/memory-map.js';
import type { VcpuConfig } from '../../../actors/vcpu/messages.js';
import { resolveConfig, type VmOptions } from '../../../vmm/config.js';
import { guestFor, ramSliceOf } from '../../../vmm/assembly/guests.js';
import { QEMU_GUI_REFRESH_MS, compositorSpec, deviceSpec, inputSpec, irqSpec, vcpuSpec } from '../../../vmm/assembly/specs.js';
import { wireMachine } from '../../../vmm/assembly/wiring.js';

function assemble(options: VmOptions) {
  const config = resolveConfig(options);
  const supervisor = new Supervisor({ traceRings: 64 });
  const wiring = wireMachine(config, supervisor);
  const buffers = { completion: new SharedArrayBuffer(64), eventsWanted: new SharedArrayBuffer(4) };
  return { config, supervisor, wiring, buffers };
}

describe('vmm/assembly', () => {
  it('routes each device’s lines to the vCPU that drives it, and devices beyond the vCPUs to vCPU 0', () => {
    const { wiring } = assemble({ devices: [{}, {}, {}], vcpus: 2 });
    const irq = irqSpec(wiring).config as IrqConfig;
    for (const [device, vcpu] of [
      [0, 0],
      [1, 1],
      [2, 0],
    ] as const) {
      expect(irq.lines[deviceLines(device).gfx]).toEqual({ trigger: 'edge', vcpu, vector: deviceVectors(device).gfx });
      expect(irq.lines[deviceLines(device).iosfc]).toEqual({ trigger: 'edge', vcpu, vector: deviceVectors(device).iosfc });
    }
    expect(irq.vcpus).toHaveLength(2);
  });

  it('gives each input binding a keyboard and a tablet on level lines after the apple-gfx ones, and tells the compositor', () => {
    const { config, wiring, buffers } = assemble({ devices: [{}, {}], vcpus: 2, input: [{ device: 1, display: 0 }], compositorShards: 1 });
    expect(wiring.inputDevices.map((d) => [d.kind, d.line])).toEqual([
      ['keyboard', 4],
      ['tablet', 5],
    ]);
    expect(wiring.lines[4]).toMatchObject({ trigger: 'level', vcpu: 1 });
    const displays = (compositorSpec(config, wiring, buffers, 0).config as CompositorConfig).displays;
    expect(displays[0]!.input).toBeUndefined();
    expect(displays[1]!.input).toEqual({ mailbox: wiring.inputMailbox!.buffer, keyboard: 0, tablet: 1 });
    // Every vCPU sees the apple-gfx devices, then the virtio-input ones.
    const bus = (vcpuSpec(config, wiring, buffers, assemble({}).supervisor, 0, null).config as VcpuConfig).devices;
    // The built-in guest on device 1 drives that binding's keyboard and tablet; device 0's has none.
    const workload = { name: 'desktop', frames: 1, seed: 1, mode: 0, damagePercent: 1 } as NonNullable<typeof config.workload>;
    expect(guestFor(config, 1, workload).input).toEqual({ keyboard: 0, tablet: 1, transport: 'mmio' });
    expect(guestFor(config, 0, workload).input).toBeUndefined();
    expect(bus.map((d) => d.variant)).toEqual(['apple-gfx-mmio', 'apple-gfx-mmio', 'virtio-mmio', 'virtio-mmio']);
  });

  it('makes virtio-pci input devices MSI-X functions, with INTA# on level lines, whose BARs the input actor publishes', () => {
    const { config, wiring, buffers } = assemble({ devices: [{}], input: true, inputTransport: 'pci' });
    // MSI-X messages need no line; INTA# (for a driver that leaves MSI-X off) has one each, on vectors apart from the MSI-X ones.
    expect(wiring.inputDevices.map((d) => [d.kind, d.line])).toEqual([
      ['keyboard', 2],
      ['tablet', 3],
    ]);
    expect(wiring.lines.slice(2)).toEqual([
      { trigger: 'level', vcpu: 0, vector: 0x50 },
      { trigger: 'level', vcpu: 0, vector: 0x51 },
    ]);
    const input = inputSpec(config, wiring, buffers)!.config as InputActorConfig;
    expect(input.transport).toBe('pci');
    expect(input.barTable).toBe(wiring.virtioBars);
    expect(input.irqTable).toBe(wiring.irqTable);
    const bus = (vcpuSpec(config, wiring, buffers, assemble({}).supervisor, 0, null).config as VcpuConfig).devices;
    expect(bus.map((d) => [d.variant, d.bars === wiring.virtioBars])).toEqual([
      ['apple-gfx-mmio', false],
      ['virtio-pci', true],
      ['virtio-pci', true],
    ]);
    const workload = { name: 'paint', frames: 1, seed: 1, mode: 0, damagePercent: 1 } as NonNullable<typeof config.workload>;
    expect(guestFor(config, 0, workload).input).toEqual({ keyboard: 0, tablet: 1, transport: 'pci' });
    expect(() => resolveConfig({ input: true, inputTransport: 'isa' as never })).toThrow(/inputTransport/);
    // inputInterrupts: the built-in guest's choice on virtio-pci; nothing to choose on virtio-mmio.
    const intx = assemble({ devices: [{}], input: true, inputTransport: 'pci', inputInterrupts: 'intx' });
    expect(guestFor(intx.config, 0, workload).input).toEqual({ keyboard: 0, tablet: 1, transport: 'pci', interrupts: 'intx' });
    expect(intx.wiring.lines.slice(2).map((l) => l?.vector)).toEqual([0x50, 0x51]);
    expect(() => resolveConfig({ input: true, inputInterrupts: 'intx' })).toThrow(/inputInterrupts.*needs inputTransport: 'pci'/);
    expect(() => resolveConfig({ input: true, inputTransport: 'pci', inputInterrupts: 'msi' as never })).toThrow(/inputInterrupts/);
    expect(resolveConfig({ input: true, inputTransport: 'pci' }).inputInterrupts).toBe('msix');
  });

  it('reads displays out on QEMU’s console refresh period only under the qemu model', () => {
    for (const [threading, refresh] of [
      ['actor', 0],
      ['qemu', QEMU_GUI_REFRESH_MS],
    ] as const) {
      const { config, wiring, buffers } = assemble({ threading });
      expect((compositorSpec(config, wiring, buffers, 0).config as CompositorConfig).refreshMs).toBe(refresh);
    }
  });

  it('gives each compositor shard a contiguous run of whole devices, and each device the mailbox of the shard that owns it', () => {
    const { config, wiring, buffers, supervisor } = assemble({ devices: [{ displays: 2 }, {}, {}, { displays: 3 }, {}], vcpus: 5, compositorShards: 2 });
    expect(wiring.compositorMailboxes.map((m) => m.name)).toEqual(['compositor0', 'compositor1']);
    expect(wiring.compositorOfDevice).toEqual([0, 0, 1, 1, 1]);
    const specs = [0, 1].map((s) => compositorSpec(config, wiring, buffers, s));
    expect(specs.map((s) => s.name)).toEqual(['compositor0', 'compositor1']);
    const owned = specs.map((s) => (s.config as CompositorConfig).displays.map((d) => `${d.device}.${d.display}`));
    expect(owned).toEqual([
      ['0.0', '0.1', '1.0'],
      ['2.0', '3.0', '3.1', '3.2', '4.0'],
    ]);
    for (let i = 0; i < 5; i++) {
      const device = deviceSpec(config, wiring, buffers, supervisor, i).config as DeviceConfig;
      expect(device.compositorMailbox, `device ${i}`).toBe(wiring.compositorMailboxes[wiring.compositorOfDevice[i]!]!.buffer);
    }
    // One shard keeps the one name the tools know.
    const one = assemble({ devices: [{}, {}], compositorShards: 1 });
    expect(compositorSpec(one.config, one.wiring, one.buffers, 0).name).toBe('compositor');
  });

  it('gives every device its own engine inbound mailbox and the shared interrupt table', () => {
    const { config, wiring, buffers, supervisor } = assemble({ devices: [{}, {}] });
    const [d0, d1] = [0, 1].map((i) => deviceSpec(config, wiring, buffers, supervisor, i).config as DeviceConfig);
    expect(d0!.engineInbound).not.toBe(d1!.engineInbound);
    expect(d0!.irqTable).toBe(d1!.irqTable);
    expect([d0!.gfxLine, d1!.gfxLine]).toEqual([deviceLines(0).gfx, deviceLines(1).gfx]);
  });

  it('starts a workload on vCPU v for device v in its own page-aligned slice of RAM', () => {
    const { config, wiring, buffers, supervisor } = assemble({ devices: [{}, {}], vcpus: 2, ramMiB: 64, workload: { name: 'desktop', frames: 5 } });
    const slice = ramSliceOf(config);
    expect(slice % 4096).toBe(0);
    const guest = (vcpuSpec(config, wiring, buffers, supervisor, 1, null).config as VcpuConfig).guest!;
    expect(guest).toEqual(guestFor(config, 1, config.workload!));
    expect([guest.device, guest.ramBase, guest.ramEnd]).toEqual([1, RAM_BASE + slice, RAM_BASE + 2 * slice]);
    // A paused VM's guests wait for resume().
    const paused = assemble({ workload: { name: 'desktop', frames: 5 }, start: 'paused' });
    expect((vcpuSpec(paused.config, paused.wiring, paused.buffers, paused.supervisor, 0, null).config as VcpuConfig).guest).toBeNull();
  });
});
