// Starts one device's native engine on the buffers the VM made for it (vmm/assembly): guest RAM,
// the engine's inbound mailbox, the device actor's mailbox for callbacks and events (or the
// compositor's for display events, and the interrupt table for interrupts, under the actor
// model), reply slots,
// the vCPUs' write completions and each display's surfaces.
import type { ActorContext } from '../runtime/host.js';
import type { GuestMemory } from '../../shared/guest-memory/index.js';
import type { Mailbox } from '../../shared/mailbox/mailbox.js';
import { native } from '../../shared/native/addon.js';
import type { EngineStateCheckOptions, NativeEngine } from '../../shared/native/types.js';
import type { ReplyTable } from '../../shared/reply/reply-table.js';
import { SURFACES_PER_DISPLAY } from '../../shared/display/surface-layout.js';
import type { IrqRoute } from '../../shared/irq/irq-route.js';
import type { DeviceConfig, DisplayModeSpec } from './messages.js';

export interface EngineBuffers {
  memory: GuestMemory;
  inbound: Mailbox;
  engineReplies: ReplyTable;
  writeCompletion: Int32Array;
  /** The engine raises its own interrupts through this route (the actor model); null: it posts them to the device actor. */
  interrupts: IrqRoute | null;
}

/**
 * What an engine of this device is checked against when it loads a saved state: its guest memory,
 * displays' modes, IOSurface window and largest context (startEngine gives it the same; the
 * snapshot loader checks an engine section with them before any engine exists).
 */
export function engineStateLimits(
  memory: GuestMemory,
  device: { variant: DeviceConfig['variant']; displays: readonly { modes: DisplayModeSpec[] }[] },
  limits: DeviceConfig['limits'],
): EngineStateCheckOptions {
  return {
    memory: new Int32Array(memory.sab),
    regions: memory.describe().regions.map((r) => ({ base: r.base, size: r.size, offset: r.offset, readOnly: r.readOnly })),
    displays: device.displays.map((d) => ({ modes: d.modes })),
    iosfc: device.variant === 'apple-gfx-mmio',
    maxContextBytes: limits.maxTaskBytes ?? 1 << 30,
  };
}

export function startEngine(ctx: ActorContext, config: DeviceConfig, b: EngineBuffers): NativeEngine {
  const { memory, regions, iosfc, maxContextBytes } = engineStateLimits(b.memory, config, config.limits);
  return new native.Engine({
    memory,
    regions,
    inbound: b.inbound.words,
    device: ctx.mailbox.words,
    ...(config.displayEventsDirect ? { compositor: { mailbox: new Int32Array(config.compositorMailbox), device: config.index } } : {}),
    ...(b.interrupts ? { interrupts: directInterrupts(config, b.interrupts) } : {}),
    replies: b.engineReplies.words,
    firstSlot: 0,
    slotCount: b.engineReplies.slots,
    vcpuReplies: ctx.replies.words,
    writeCompletion: b.writeCompletion,
    vcpus: config.vcpus,
    displays: config.displays.map((d, i) => ({
      port: i,
      serial: d.serial,
      modes: d.modes,
      pacing: d.pacing,
      readback: d.readback,
      surfaces: new Int32Array(d.surfaces),
      surfaceCount: SURFACES_PER_DISPLAY,
    })),
    iosfc,
    poolThreads: config.poolThreads,
    backend: config.backend,
    dispatcherSpin: config.dispatcherSpin,
    mapSemantics: config.mapSemantics,
    spinGate: ctx.spinGate ? new Int32Array(ctx.spinGate) : undefined,
    maxContextBytes,
    ...(config.callbackTimeoutMs !== undefined ? { callbackTimeoutMs: config.callbackTimeoutMs } : {}),
    ...(config.engineTraceRing !== undefined && ctx.traceSet
      ? { trace: { set: new Int32Array(ctx.traceSet), firstRing: config.engineTraceRing, gpu: config.backend === 'vulkan' } }
      : {}),
  });
}

/** The engine's `interrupts` option: the VM's interrupt table, every vCPU's interrupt state, the device's route and lines. */
function directInterrupts(config: DeviceConfig, route: IrqRoute) {
  return {
    table: new Int32Array(config.irqTable),
    vcpus: config.irqTargets.map((b) => new Int32Array(b)),
    route: route.words,
    msi: config.variant === 'apple-gfx-pci',
    gfxLine: config.gfxLine,
    iosfcLine: config.iosfcLine,
  };
}
