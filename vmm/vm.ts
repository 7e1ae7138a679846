// A whole VM: guest RAM, the interrupt controller, the apple-gfx devices and the vCPUs, each an
// actor under one supervisor. Start order follows the wait-for graph's leaves (interrupt
// controller, devices, then vCPUs); stop order is the reverse, so no actor waits on one that
// already left.
import type { DeviceControl, DeviceStats } from '../actors/device/messages.js';
import type { IrqActorStats, IrqConfig, IrqControl } from '../actors/irq/messages.js';
import { Supervisor, type ActorHandle } from '../actors/runtime/supervisor.js';
import { RAM_BASE, deviceLines, deviceVectors } from '../actors/vcpu/layout.js';
import type { VcpuConfig, VcpuControl, VcpuStats } from '../actors/vcpu/messages.js';
import type { VmFailure } from '../actors/runtime/errors.js';
import { createGuestMemory, type GuestMemory } from '../shared/guest-memory/index.js';
import { createVcpuIrqBuffer, VcpuIrqState } from '../shared/irq/vcpu-irq.js';
import { createBarTable } from '../shared/mmio/bar-table.js';
import { createCompletionBuffer } from '../shared/mmio/completion.js';
import { createMailboxBuffer } from '../shared/mailbox/mailbox.js';
import { resolveConfig, type ResolvedConfig, type VmOptions } from './config.js';

export interface VmStats {
  vcpus: VcpuStats[];
  devices: DeviceStats[];
  irq: IrqActorStats;
}

/** Engine reply slots per device: one per engine thread, and the payload a cursor glyph needs. */
const ENGINE_REPLY_PAYLOAD = 256 * 1024 + 4096;

export class Vm {
  readonly config: ResolvedConfig;
  readonly memory: GuestMemory;
  readonly supervisor: Supervisor;
  private irq: ActorHandle<IrqControl> | null = null;
  private readonly devices: ActorHandle<DeviceControl>[] = [];
  private readonly vcpus: ActorHandle<VcpuControl>[] = [];
  private readonly irqStates: VcpuIrqState[] = [];
  private stopped = false;

  private constructor(options: VmOptions) {
    this.config = resolveConfig(options);
    this.memory = createGuestMemory({ regions: [{ name: 'ram', base: RAM_BASE, size: this.config.ramBytes }] });
    this.supervisor = new Supervisor({ memory: this.memory, replySlots: this.config.vcpus + 8, replyPayloadBytes: 0, traceRings: 16 + this.config.vcpus + this.config.devices.length * 8 });
  }

  /** Builds and starts a VM; a bad configuration throws VmConfigError before anything starts. */
  static async create(options: VmOptions = {}): Promise<Vm> {
    const vm = new Vm(options);
    try {
      await vm.start();
    } catch (err) {
      await vm.stop();
      throw err;
    }
    return vm;
  }

  private async start(): Promise<void> {
    const { config, supervisor } = this;
    const completion = createCompletionBuffer(config.vcpus);
    const bars = createBarTable(config.devices.length);
    const irqMailbox = supervisor.createMailbox('irq', { capacity: 1024 });
    const deviceMailboxes = config.devices.map((_, i) => supervisor.createMailbox(`device${i}`, { capacity: 1024 }));
    const irqBuffers = Array.from({ length: config.vcpus }, () => createVcpuIrqBuffer());
    this.irqStates.push(...irqBuffers.map((b) => new VcpuIrqState(b)));

    // Device i is driven by vCPU i (when there is one); its interrupts go there.
    const driver = (device: number) => (device < config.vcpus ? device : 0);
    const lines: IrqConfig['lines'] = [];
    config.devices.forEach((_, i) => {
      const l = deviceLines(i);
      const v = deviceVectors(i);
      lines[l.gfx] = { trigger: 'edge', vcpu: driver(i), vector: v.gfx };
      lines[l.iosfc] = { trigger: 'edge', vcpu: driver(i), vector: v.iosfc };
    });
    this.irq = await supervisor.spawn<IrqControl>({ name: 'irq', module: 'actors/irq/worker', mailbox: irqMailbox, config: { lines, vcpus: irqBuffers } satisfies IrqConfig, spinBudget: 200 });

    for (const [i, device] of config.devices.entries()) {
      const engineReplies = supervisor.createReplyTable(config.enginePoolThreads + 2, ENGINE_REPLY_PAYLOAD);
      const l = deviceLines(i);
      this.devices.push(
        await supervisor.spawn<DeviceControl>({
          name: `device${i}`,
          module: 'actors/device/worker',
          mailbox: deviceMailboxes[i]!,
          spinBudget: 2000,
          config: {
            index: i,
            variant: device.variant,
            displays: device.displays,
            vcpus: config.vcpus,
            gfxLine: l.gfx,
            iosfcLine: l.iosfc,
            irqMailbox: irqMailbox.buffer,
            writeCompletion: completion,
            barTable: bars,
            engineReplies: engineReplies.buffer,
            engineInbound: createMailboxBuffer({ capacity: 1024 }),
            poolThreads: config.enginePoolThreads,
            limits: config.limits,
            ...(config.callbackTimeoutMs !== undefined ? { callbackTimeoutMs: config.callbackTimeoutMs } : {}),
          },
        }),
      );
    }

    const slice = Math.floor(config.ramBytes / config.vcpus / 4096) * 4096;
    for (let v = 0; v < config.vcpus; v++) {
      const w = config.workload;
      const vcpuConfig: VcpuConfig = {
        vcpu: v,
        devices: config.devices.map((d, i) => ({ index: i, variant: d.variant, mailbox: deviceMailboxes[i]!.buffer })),
        irqState: irqBuffers[v]!,
        irqMailbox: irqMailbox.buffer,
        writeCompletion: completion,
        barTable: bars,
        writeWindow: config.writeWindow,
        guest:
          w && v < config.devices.length
            ? { device: v, variant: config.devices[v]!.variant, workload: w.name, frames: w.frames, seed: w.seed + v, mode: w.mode, ramBase: RAM_BASE + v * slice, ramEnd: RAM_BASE + (v + 1) * slice }
            : null,
      };
      this.vcpus.push(await supervisor.spawn<VcpuControl>({ name: `vcpu${v}`, module: 'actors/vcpu/worker', mailbox: supervisor.createMailbox(`vcpu${v}`, { capacity: 16 }), replySlots: 1, config: vcpuConfig, spinBudget: 0, parkTimeoutMs: 100 }));
    }
  }

  async stats(): Promise<VmStats> {
    const [vcpus, devices, irq] = await Promise.all([
      Promise.all(this.vcpus.map((v) => v.control.stats())),
      Promise.all(this.devices.map((d) => d.control.stats())),
      this.irq!.control.stats(),
    ]);
    return { vcpus, devices, irq };
  }

  /** The latest frame of a display as the device encoded it (ARGB words). */
  async frame(device = 0, display = 0) {
    const d = this.devices[device];
    if (!d) throw new RangeError(`no device ${device}`);
    return d.control.frame(display);
  }

  /** Resolves when every vCPU with a workload has finished it (or faulted). */
  async whenGuestsDone(pollMs = 20): Promise<VcpuStats[]> {
    for (;;) {
      const stats = await Promise.all(this.vcpus.map((v) => v.control.stats()));
      if (stats.every((s) => s.state !== 'running')) return stats;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  whenFailed(): Promise<VmFailure> {
    return this.supervisor.whenFailed();
  }

  /** Stops every actor, vCPUs first, and joins every thread. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const s of this.irqStates) s.requestStop();
    if (!this.supervisor.failed) {
      await this.supervisor.stopActors(this.vcpus.map((v) => v.name));
      await this.supervisor.stopActors(this.devices.map((d) => d.name));
    }
    await this.supervisor.shutdown();
  }
}
