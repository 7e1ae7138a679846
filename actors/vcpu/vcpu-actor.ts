// A vCPU actor: runs its CPU backend (the built-in TypeScript guest, or the machine-code guest
// on a KVM vCPU) in slices between which it serves its control plane; MMIO goes through its bus
// to the devices' mailboxes, interrupts arrive in its interrupt state (HLT sleeps there). A guest
// that faults stops this vCPU with a report; it does not take the VM down.
import type { ActorBehaviour, ActorContext } from '../runtime/host.js';
import { EoiPort } from './eoi.js';
import { vcpuServices } from './services.js';
import { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { ReplyError } from '../../shared/reply/errors.js';
import { WaitAbandonedError } from '../../shared/wait-abandoned.js';
import { BqlMmio } from './bql-mmio.js';
import { VcpuBusPort, attachBusDevices } from './bus-port.js';
import type { CpuBackend, VcpuServices } from './cpu-backend.js';
import { GuestProgram, type GuestProgramConfig } from '../../guest/ts/program.js';
import { loadGuestProgram, saveGuestProgram } from '../../guest/ts/program-snapshot.js';
import { StateFormatError } from '../../shared/snapshot/state-bytes.js';
import { KvmGuest, KvmGuestFault } from './kvm/kvm-guest.js';
import { KvmVcpu } from './kvm/kvm-vcpu.js';
import { guestImageCrc } from './kvm/image-crc.js';
import { decodeKvmVcpu, encodeKvmVcpu } from './kvm/vcpu-state-snapshot.js';
import { kvmStateLimits } from './kvm/machine.js';
import type { VcpuConfig, VcpuControl, VcpuState, VcpuStats } from './messages.js';

/** A slice of guest execution between two looks at the control plane. */
const SLICE_MS = 20;

/** The vCPU's bus: device mailboxes by index, and under the qemu model every access under the BQL (bql-mmio.ts). */
function busFor(ctx: ActorContext, config: VcpuConfig, stopping: () => boolean): VcpuBusPort {
  const bus = new VcpuBusPort(
    config.vcpu,
    attachBusDevices(config.devices),
    ctx.replies,
    ctx.replySlots.first,
    config.writeCompletion,
    config.barTable,
    config.writeWindow,
    stopping,
  );
  bus.trace = ctx.trace;
  if (ctx.bql) {
    bus.qemu = new BqlMmio(ctx.bql, ctx.bqlTag, ctx.replies, ctx.replySlots.first, new Int32Array(config.writeCompletion), config.vcpu, bus.writes, stopping);
    bus.qemu.trace = ctx.trace;
  }
  return bus;
}

export class VcpuActor implements ActorBehaviour<VcpuControl> {
  readonly control: VcpuControl;
  private readonly config: VcpuConfig;
  private readonly irq: VcpuIrqState;
  private readonly bus: VcpuBusPort;
  private readonly services: VcpuServices;
  /** A KVM vCPU is made on first use, on this thread, and kept: KVM cannot destroy one. */
  private kvmVcpu: KvmVcpu | null = null;
  private backend: CpuBackend | null = null;
  /** A program (or KVM guest) loaded from a snapshot, run by the next start() instead of a new one. */
  private restored: CpuBackend | null = null;
  /** The guest program last started: a reset runs it again from its entry (docs/lifecycle.md). */
  private entry: GuestProgramConfig | null = null;
  private state: VcpuState = 'idle';
  private fault: string | null = null;
  /** whenDone() callers, answered when the guest stops running: no one needs to poll stats(). */
  private doneWaiters: (() => void)[] = [];
  /** holdAtFrame(): the frame count to stop at, and its caller. */
  private hold: { frames: number; reached: () => void } | null = null;

  constructor(ctx: ActorContext) {
    const config = ctx.config as VcpuConfig;
    if (!ctx.memory) throw new Error('a vCPU needs guest memory');
    this.config = config;
    const irq = new VcpuIrqState(config.irqState);
    this.irq = irq;
    // A device that hangs must not hold this vCPU (and so vm.stop()) past the stop request.
    const stopping = () => irq.stopRequested;
    const bus = busFor(ctx, config, stopping);
    this.bus = bus;
    const irqMailbox = new Mailbox(config.irqMailbox, 'irq');
    irqMailbox.giveUpWaitsWhen(stopping);
    const eoi = new EoiPort(config.vcpu, config.irqTable, irqMailbox, ctx.trace);
    this.services = vcpuServices(config.vcpu, ctx.memory, irq, bus, eoi);
    if (config.guest) this.begin(config.guest);
    this.control = {
      start: (guest) => {
        if (this.state === 'running') throw new Error(`vcpu${config.vcpu} is still running a guest`);
        this.begin(guest);
      },
      pause: () => {
        // Served between slices, so the guest is at a step boundary; its posted writes are done
        // once this returns (a device sees every access the guest made before the pause).
        if (!irq.pauseRequested) throw new Error(`vcpu${config.vcpu}: pause() without requestPause() on its interrupt state`);
        bus.drainWrites();
      },
      resume: () => {
        irq.clearPause(); // this call's arrival rang the mailbox: the pump comes back to onIdle
      },
      reset: () => {
        // Back to the entry of the guest it last ran (a reboot re-runs its boot code); the VM is
        // paused, so no slice is running and the new program starts at resume.
        if (!irq.pauseRequested) throw new Error(`vcpu${config.vcpu}: reset() while not paused`);
        this.backend = null;
        this.restored = null; // a reboot: the snapshot's program is not where the machine starts
        if (this.entry) this.begin(this.entry);
        else this.state = 'idle';
      },
      holdAtFrame: (frames) =>
        new Promise<void>((reached) => {
          if (this.hold) throw new Error(`vcpu${config.vcpu}: holdAtFrame() already waits`);
          this.hold = { frames, reached };
          this.checkHold();
        }),
      whenDone: async (): Promise<VcpuStats> => {
        if (this.state === 'running') await new Promise<void>((resolve) => this.doneWaiters.push(resolve));
        return this.stats();
      },
      stats: () => this.stats(),
      saveProgram: () => {
        if (!irq.pauseRequested) throw new Error(`vcpu${config.vcpu}: saveProgram() while not paused`);
        const program = this.backend ?? this.restored;
        if (program instanceof KvmGuest) {
          // Served between slices: the KVM vCPU is out of KVM_RUN at an exit boundary.
          if (this.state === 'faulted') throw new Error(`vcpu${config.vcpu} faulted (${this.fault}): its state is not one to go on from`);
          return encodeKvmVcpu(program.saveState(guestImageCrc(this.services.memory)));
        }
        return program && saveGuestProgram(program as GuestProgram);
      },
      loadProgram: (guest, bytes) => {
        if (this.backend || this.restored) return `vcpu${config.vcpu} has run`;
        try {
          this.restored = config.kvm ? this.loadKvmGuest(config.kvm, guest, bytes) : this.loadGuestProgram(guest, bytes);
        } catch (err) {
          if (err instanceof StateFormatError) return `${err.part}: ${err.reason}`;
          throw err;
        }
        return null;
      },
    };
  }

  private loadGuestProgram(guest: GuestProgramConfig, bytes: Uint8Array): GuestProgram {
    const program = new GuestProgram(this.services, guest);
    loadGuestProgram(program, bytes);
    return program;
  }

  /** The saved vCPU checked, then loaded into this actor's KVM vCPU (made here, on its own thread). */
  private loadKvmGuest(kvm: NonNullable<VcpuConfig['kvm']>, guest: GuestProgramConfig, bytes: Uint8Array): KvmGuest {
    const saved = decodeKvmVcpu(bytes, kvmStateLimits(this.services.memory));
    this.kvmVcpu ??= new KvmVcpu(kvm.vm, this.config.vcpu, this.irq);
    try {
      return new KvmGuest(this.services, this.kvmVcpu, kvm.entry, guest, kvm.testMode, saved);
    } catch (err) {
      if (err instanceof KvmGuestFault) throw err;
      // KVM refused a state the checks let through: the section's fault all the same.
      throw new StateFormatError('kvm vcpu', `KVM refused the state: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  onRecord(): void {
    // Nothing is posted to a vCPU yet: interrupts arrive through its interrupt state.
  }

  onIdle(): boolean {
    // Paused: no slice until resume() (vm.pause() waits for this vCPU's pause() answer).
    if (!this.backend || this.state !== 'running' || this.irq.pauseRequested) return false;
    try {
      return this.runSlice(this.backend);
    } finally {
      this.answerDoneWaiters();
      this.checkHold();
    }
  }

  onStop(): void {
    this.kvmVcpu?.close();
    if (this.state === 'running') this.state = 'stopped';
    this.answerDoneWaiters();
    this.checkHold();
  }

  /** The guest reached holdAtFrame's count, or runs no more: hold here (the pause word) and answer. */
  private checkHold(): void {
    const hold = this.hold;
    if (!hold || this.state === 'idle') return; // idle: its workload has not started yet
    if (this.state === 'running' && this.framesDone() < hold.frames) return;
    this.hold = null;
    if (this.state === 'running') this.irq.requestPause();
    hold.reached();
  }

  private framesDone(): number {
    return (this.backend?.stats() as { framesDone?: number } | undefined)?.framesDone ?? 0;
  }

  private startGuest(guest: GuestProgramConfig): CpuBackend {
    const { config } = this;
    if (this.restored) {
      const program = this.restored; // a snapshot's: it goes on where it was saved
      this.restored = null;
      return program;
    }
    if (!config.kvm) return new GuestProgram(this.services, guest);
    this.kvmVcpu ??= new KvmVcpu(config.kvm.vm, config.vcpu, this.irq);
    return new KvmGuest(this.services, this.kvmVcpu, config.kvm.entry, guest, config.kvm.testMode);
  }

  private begin(guest: GuestProgramConfig): void {
    this.entry = guest;
    try {
      this.backend = this.startGuest(guest);
      this.state = 'running';
      this.fault = null;
    } catch (err) {
      if (!(err instanceof KvmGuestFault)) throw err;
      this.state = 'faulted';
      this.fault = err.message;
    }
  }

  private answerDoneWaiters(): void {
    if (this.state === 'running') return;
    const waiters = this.doneWaiters;
    this.doneWaiters = [];
    for (const w of waiters) w();
  }

  /** Runs the guest for one slice; false once it stopped running. */
  private runSlice(program: CpuBackend): boolean {
    const until = performance.now() + SLICE_MS;
    try {
      // A pause request ends the slice at the next step boundary (one exit, or one frame's step).
      while (performance.now() < until && !this.irq.pauseRequested) {
        if (program.step() === 'done') {
          this.state = 'done';
          this.bus.drainWrites();
          return false;
        }
        if (this.hold) this.checkHold(); // sets the pause word: the slice ends here
      }
    } catch (err) {
      // A reply error means the device side died: that is a host fault, escalate it.
      if (err instanceof ReplyError) throw err;
      if (err instanceof WaitAbandonedError) {
        this.state = 'stopped';
        return false;
      }
      this.state = 'faulted';
      this.fault = err instanceof Error ? err.message : String(err);
      return false;
    }
    return true;
  }

  private stats(): VcpuStats {
    const { config, irq } = this;
    return {
      vcpu: config.vcpu,
      cpu: config.kvm ? 'kvm' : 'ts',
      state: this.state,
      paused: irq.pauseRequested,
      fault: this.fault,
      bus: this.bus.stats(),
      guest: this.backend ? (this.backend.stats() as VcpuStats['guest']) : null,
      irq: { parks: irq.stats().parks, wakes: irq.stats().wakes },
    };
  }
}
