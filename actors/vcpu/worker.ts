// A vCPU actor: runs its CPU backend (the built-in TypeScript guest, or the machine-code guest
// on a KVM vCPU) in slices between which it
// serves its control plane; MMIO goes through its bus to the devices' mailboxes, interrupts
// arrive in its interrupt state (HLT sleeps there). A guest that faults stops this vCPU with a
// report; it does not take the VM down.
import { IrqEoi } from '../../abi/generated/irq-records.js';
import { runActor } from '../runtime/host.js';
import { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { ReplyError } from '../../shared/reply/errors.js';
import { WaitAbandonedError } from '../../shared/wait-abandoned.js';
import { BqlMmio } from './bql-mmio.js';
import { VcpuBusPort } from './bus-port.js';
import type { CpuBackend, VcpuServices } from './cpu-backend.js';
import { GuestProgram, type GuestProgramConfig } from './guest/program.js';
import { KvmGuest, KvmGuestFault } from './kvm/kvm-guest.js';
import { KvmVcpu } from './kvm/kvm-vcpu.js';
import type { VcpuConfig, VcpuControl, VcpuState, VcpuStats } from './messages.js';

/** A slice of guest execution between two looks at the control plane. */
const SLICE_MS = 20;

await runActor<VcpuControl>((ctx) => {
  const config = ctx.config as VcpuConfig;
  if (!ctx.memory) throw new Error('a vCPU needs guest memory');
  const devices = config.devices.map((d) => ({ index: d.index, variant: d.variant, mailbox: new Mailbox(d.mailbox, `device${d.index}`) }));
  const irq = new VcpuIrqState(config.irqState);
  // A device that hangs must not hold this vCPU (and so vm.stop()) past the stop request.
  const stopping = () => irq.stopRequested;
  const bus = new VcpuBusPort(config.vcpu, devices, ctx.replies, ctx.replySlots.first, config.writeCompletion, config.barTable, config.writeWindow, stopping);
  bus.trace = ctx.trace;
  if (ctx.bql) {
    // The qemu threading model: every device access under the BQL, in AIO_WAIT_WHILE (bql-mmio.ts).
    bus.qemu = new BqlMmio(ctx.bql, ctx.bqlTag, ctx.replies, ctx.replySlots.first, new Int32Array(config.writeCompletion), config.vcpu, bus.writes, stopping);
    bus.qemu.trace = ctx.trace;
  }
  const irqMailbox = new Mailbox(config.irqMailbox, 'irq');
  irqMailbox.giveUpWaitsWhen(stopping);
  const services: VcpuServices = {
    vcpu: config.vcpu,
    memory: ctx.memory,
    irq,
    mmioRead: (a, s) => bus.read(a, s),
    mmioWrite: (a, s, v) => bus.write(a, s, v),
    mmioReadHalves: (a, s, into) => bus.readHalves(a, s, into),
    mmioWriteHalves: (a, s, lo, hi) => bus.writeHalves(a, s, lo, hi),
    endOfInterrupt: (vector) => IrqEoi.post(irqMailbox, config.vcpu, vector),
  };
  // A KVM vCPU is made on first use, on this thread, and kept: KVM cannot destroy one.
  let kvmVcpu: KvmVcpu | null = null;
  const startGuest = (guest: GuestProgramConfig): CpuBackend => {
    if (!config.kvm) return new GuestProgram(services, guest);
    kvmVcpu ??= new KvmVcpu(config.kvm.vm, config.vcpu, irq);
    return new KvmGuest(services, kvmVcpu, config.kvm.entry, guest, config.kvm.testMode);
  };
  let backend: CpuBackend | null = null;
  /** The guest program last started: a reset runs it again from its entry (docs/lifecycle.md). */
  let entry: GuestProgramConfig | null = null;
  let state: VcpuState = 'idle';
  let fault: string | null = null;
  // whenDone() callers, answered when the guest stops running: no one needs to poll stats().
  let doneWaiters: (() => void)[] = [];
  const answerDoneWaiters = () => {
    if (state === 'running') return;
    const waiters = doneWaiters;
    doneWaiters = [];
    for (const w of waiters) w();
  };
  const begin = (guest: GuestProgramConfig) => {
    entry = guest;
    try {
      backend = startGuest(guest);
      state = 'running';
      fault = null;
    } catch (err) {
      if (!(err instanceof KvmGuestFault)) throw err;
      state = 'faulted';
      fault = err.message;
    }
  };
  if (config.guest) begin(config.guest);

  return {
    onStop() {
      kvmVcpu?.close();
      if (state === 'running') state = 'stopped';
      answerDoneWaiters();
    },
    onRecord() {
      // Nothing is posted to a vCPU yet: interrupts arrive through its interrupt state.
    },
    onIdle() {
      // Paused: no slice until resume() (vm.pause() waits for this vCPU's pause() answer).
      if (!backend || state !== 'running' || irq.pauseRequested) return false;
      try {
        return runSlice();
      } finally {
        answerDoneWaiters();
      }
    },
    control: {
      start: (guest) => {
        if (state === 'running') throw new Error(`vcpu${config.vcpu} is still running a guest`);
        begin(guest);
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
        backend = null;
        if (entry) begin(entry);
        else state = 'idle';
      },
      whenDone: async (): Promise<VcpuStats> => {
        if (state === 'running') await new Promise<void>((resolve) => doneWaiters.push(resolve));
        return stats();
      },
      stats,
    },
  };

  /** Runs the guest for one slice; false once it stopped running. */
  function runSlice(): boolean {
    const program = backend!;
    const until = performance.now() + SLICE_MS;
    try {
      // A pause request ends the slice at the next step boundary (one exit, or one frame's step).
      while (performance.now() < until && !irq.pauseRequested) {
        if (program.step() === 'done') {
          state = 'done';
          bus.drainWrites();
          return false;
        }
      }
    } catch (err) {
      // A reply error means the device side died: that is a host fault, escalate it.
      if (err instanceof ReplyError) throw err;
      if (err instanceof WaitAbandonedError) {
        state = 'stopped';
        return false;
      }
      state = 'faulted';
      fault = err instanceof Error ? err.message : String(err);
      return false;
    }
    return true;
  }

  function stats(): VcpuStats {
    return {
      vcpu: config.vcpu,
      cpu: config.kvm ? 'kvm' : 'ts',
      state,
      paused: irq.pauseRequested,
      fault,
      bus: bus.stats(),
      guest: backend ? (backend.stats() as VcpuStats['guest']) : null,
      irq: { parks: irq.stats().parks, wakes: irq.stats().wakes },
    };
  }
});
