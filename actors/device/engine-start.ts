// Starts one device's native engine on the buffers the VM made for it (vmm/assembly): guest RAM,
// the engine's inbound mailbox, the device actor's mailbox for callbacks and events (or the
// compositor's for display events, under the actor model), reply slots,
// the vCPUs' write completions and each display's surfaces.
import type { ActorContext } from '../runtime/host.js';
import type { GuestMemory } from '../../shared/guest-memory/index.js';
import type { Mailbox } from '../../shared/mailbox/mailbox.js';
import { native } from '../../shared/native/addon.js';
import type { NativeEngine } from '../../shared/native/types.js';
import type { ReplyTable } from '../../shared/reply/reply-table.js';
import { SURFACES_PER_DISPLAY } from '../../shared/display/surface-layout.js';
import type { DeviceConfig } from './messages.js';

export interface EngineBuffers {
  memory: GuestMemory;
  inbound: Mailbox;
  engineReplies: ReplyTable;
  writeCompletion: Int32Array;
}

export function startEngine(ctx: ActorContext, config: DeviceConfig, b: EngineBuffers): NativeEngine {
  const regions = b.memory.describe().regions;
  return new native.Engine({
    memory: new Int32Array(b.memory.sab),
    regions: regions.map((r) => ({ base: r.base, size: r.size, offset: r.offset, readOnly: r.readOnly })),
    inbound: b.inbound.words,
    device: ctx.mailbox.words,
    ...(config.displayEventsDirect ? { compositor: { mailbox: new Int32Array(config.compositorMailbox), device: config.index } } : {}),
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
    iosfc: config.variant === 'apple-gfx-mmio',
    poolThreads: config.poolThreads,
    backend: config.backend,
    dispatcherSpin: config.dispatcherSpin,
    mapSemantics: config.mapSemantics,
    spinGate: ctx.spinGate ? new Int32Array(ctx.spinGate) : undefined,
    maxContextBytes: config.limits.maxTaskBytes ?? 1 << 30,
    ...(config.callbackTimeoutMs !== undefined ? { callbackTimeoutMs: config.callbackTimeoutMs } : {}),
    ...(config.engineTraceRing !== undefined && ctx.traceSet
      ? { trace: { set: new Int32Array(ctx.traceSet), firstRing: config.engineTraceRing, gpu: config.backend === 'vulkan' } }
      : {}),
  });
}
