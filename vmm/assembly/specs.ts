// Each actor's spawn spec, as a view of the machine's wiring (wiring.ts): which worker, which
// mailbox, how it spins and parks, and its config.
import type { CompositorConfig } from '../../actors/compositor/messages.js';
import type { InputActorConfig } from '../../actors/input/messages.js';
import type { IrqConfig } from '../../actors/irq/messages.js';
import type { SpawnSpec, Supervisor } from '../../actors/runtime/supervisor.js';
import type { ExternalVcpuConfig } from '../../actors/vcpu/external.js';
import { deviceLines } from '../../machine/memory-map.js';
import type { VcpuConfig } from '../../actors/vcpu/messages.js';
import type { GuestMemory } from '../../shared/guest-memory/index.js';
import type { ResolvedConfig } from '../config.js';
import { deviceSpin } from '../spin-policy.js';
import { guestFor } from './guests.js';
import type { MachineWiring } from './wiring.js';

/** include/ui/console.h GUI_REFRESH_INTERVAL_DEFAULT: how often QEMU's console asks a display for an update (ms). */
export const QEMU_GUI_REFRESH_MS = 30;

/** Engine reply slots per device: one per engine thread, and the payload a cursor glyph needs. */
const ENGINE_REPLY_PAYLOAD = 256 * 1024 + 4096;

export interface VmBuffers {
  /** Posted-write completion counters, one per vCPU. */
  completion: SharedArrayBuffer;
  /** The word the Vm sets while someone listens for frame and mode events. */
  eventsWanted: SharedArrayBuffer;
}

export function irqSpec(w: MachineWiring): SpawnSpec {
  return {
    name: 'irq',
    module: 'actors/irq/worker',
    mailbox: w.irqMailbox,
    config: { lines: w.lines, vcpus: w.irqBuffers, table: w.irqTable } satisfies IrqConfig,
    spinBudget: 200,
  };
}

/** Compositor shard s: the displays of the devices it owns, in configuration order. */
export function compositorSpec(config: ResolvedConfig, w: MachineWiring, b: VmBuffers, s: number): SpawnSpec {
  const compositorConfig: CompositorConfig = {
    eventsWanted: b.eventsWanted,
    // QEMU reads the display out on the console's refresh timer: GUI_REFRESH_INTERVAL_DEFAULT.
    refreshMs: config.threading === 'qemu' ? QEMU_GUI_REFRESH_MS : 0,
    displays: config.devices.flatMap((d, i) =>
      w.compositorOfDevice[i] !== s
        ? []
        : d.displays.map((x, j) => {
            // Keyboard and tablet of binding k are input devices 2k and 2k + 1 (wiring.ts).
            const k = config.input.findIndex((b) => b.device === i && b.display === j);
            const input = k >= 0 && w.inputMailbox ? { input: { mailbox: w.inputMailbox.buffer, keyboard: 2 * k, tablet: 2 * k + 1 } } : {};
            return { device: i, display: j, serial: x.serial, ...w.displayBuffers[i]![j]!, engineInbound: w.engineInbound[i]!.buffer, ...input };
          }),
    ),
  };
  const mailbox = w.compositorMailboxes[s]!;
  return {
    name: mailbox.name,
    module: 'actors/compositor/worker',
    mailbox,
    config: compositorConfig,
    asyncPark: true,
    parkTimeoutMs: 1000,
  };
}

export function deviceSpec(config: ResolvedConfig, w: MachineWiring, b: VmBuffers, supervisor: Supervisor, i: number): SpawnSpec {
  const device = config.devices[i]!;
  const spin = deviceSpin(config.cpu);
  const engineReplies = supervisor.createReplyTable(config.enginePoolThreads + 2, ENGINE_REPLY_PAYLOAD);
  // The vulkan backend has one more, pvg-gpu (its readback completions): the trace's gpu track.
  const gpu = config.engine === 'vulkan' ? ['gpu'] : [];
  const engineThreads = ['mmio', 'display', ...Array.from({ length: config.enginePoolThreads }, (_, p) => `pool ${p}`), ...gpu];
  const engineTraceRing = engineThreads.map((t) => supervisor.reserveTraceRing(`device${i} engine ${t}`))[0]!;
  const l = deviceLines(i);
  return {
    name: `device${i}`,
    module: 'actors/device/worker',
    mailbox: w.deviceMailboxes[i]!,
    spinBudget: spin,
    bqlRole: 'own',
    config: {
      index: i,
      variant: device.variant,
      mapSemantics: device.mapSemantics,
      displays: device.displays.map((s, j) => ({ ...s, ...w.displayBuffers[i]![j]! })),
      compositorMailbox: w.compositorMailboxes[w.compositorOfDevice[i]!]!.buffer,
      // The actor model's display events skip this actor; the others keep it on the path, as their display handlers hold a lock upstream.
      displayEventsDirect: config.threading === 'actor',
      // So do its interrupts: the engine raises them itself (upstream raises them in a BH under the BQL).
      interruptsDirect: config.threading === 'actor',
      vcpus: w.allVcpus,
      gfxLine: l.gfx,
      iosfcLine: l.iosfc,
      irqMailbox: w.irqMailbox.buffer,
      irqTable: w.irqTable,
      irqTargets: w.irqBuffers,
      writeCompletion: b.completion,
      barTable: w.bars,
      engineReplies: engineReplies.buffer,
      engineInbound: w.engineInbound[i]!.buffer,
      poolThreads: config.enginePoolThreads,
      backend: config.engine,
      dispatcherSpin: spin,
      engineTraceRing,
      limits: config.limits,
      ...(config.callbackTimeoutMs !== undefined ? { callbackTimeoutMs: config.callbackTimeoutMs } : {}),
    },
  };
}

export function inputSpec(config: ResolvedConfig, w: MachineWiring, b: VmBuffers): SpawnSpec | null {
  if (!w.inputMailbox) return null;
  return {
    name: 'input',
    module: 'actors/input/worker',
    mailbox: w.inputMailbox,
    spinBudget: deviceSpin(config.cpu),
    config: {
      devices: w.inputDevices,
      transport: config.inputTransport,
      irqMailbox: w.irqMailbox.buffer,
      writeCompletion: b.completion,
      ...(w.virtioBars ? { irqTable: w.irqTable, irqTargets: w.irqBuffers, barTable: w.virtioBars } : {}),
    } satisfies InputActorConfig,
  };
}

/**
 * The buses every vCPU sees: the apple-gfx devices by index, then the virtio-input devices.
 * Under the actor model a vCPU posts an apple-gfx window access straight into the engine's
 * inbound mailbox (docs/scaling.md); the other models keep the device actor on the path, as
 * what they model holds a lock or the BQL across it.
 */
function busDevices(config: ResolvedConfig, w: MachineWiring): VcpuConfig['devices'] {
  const direct = config.threading === 'actor';
  return [
    ...config.devices.map((d, i) => ({
      index: i,
      variant: d.variant,
      mailbox: w.deviceMailboxes[i]!.buffer,
      ...(direct ? { engine: w.engineInbound[i]!.buffer } : {}),
    })),
    ...w.virtioBus,
  ];
}

export function vcpuSpec(config: ResolvedConfig, w: MachineWiring, b: VmBuffers, supervisor: Supervisor, v: number, kvm: VcpuConfig['kvm']): SpawnSpec {
  const workload = config.workload;
  const vcpuConfig: VcpuConfig = {
    vcpu: v,
    devices: busDevices(config, w),
    irqState: w.irqBuffers[v]!,
    irqMailbox: w.irqMailbox.buffer,
    irqTable: w.irqTable,
    writeCompletion: b.completion,
    barTable: w.bars,
    writeWindow: config.writeWindow,
    kvm,
    // A paused VM's guests start in resume(), through the same control call as runWorkload.
    guest: workload && v < config.devices.length && config.start === 'running' ? guestFor(config, v, workload) : null,
  };
  return {
    name: `vcpu${v}`,
    module: 'actors/vcpu/worker',
    mailbox: supervisor.createMailbox(`vcpu${v}`, { capacity: 16 }),
    replySlots: 1,
    config: vcpuConfig,
    spinBudget: 0,
    parkTimeoutMs: 100,
    takesBigLock: false,
    bqlRole: 'own',
  };
}

/** What an embedder's own vCPU loop needs; vCPU v follows the built-in ones. */
export function externalVcpuConfig(
  config: ResolvedConfig,
  w: MachineWiring,
  b: VmBuffers,
  supervisor: Supervisor,
  memory: GuestMemory,
  v: number,
): ExternalVcpuConfig {
  return {
    vcpu: v,
    memory: memory.describe(),
    devices: busDevices(config, w),
    replies: supervisor.replies.buffer,
    slot: supervisor.reserveReplySlots(1).first,
    writeCompletion: b.completion,
    barTable: w.bars,
    writeWindow: config.writeWindow,
    irqState: w.irqBuffers[v]!,
    irqMailbox: w.irqMailbox.buffer,
    irqTable: w.irqTable,
  };
}
