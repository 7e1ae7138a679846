// A vCPU actor: runs its CPU backend (the built-in TypeScript guest) in slices between which it
// serves its control plane; MMIO goes through its bus to the devices' mailboxes, interrupts
// arrive in its interrupt state (HLT sleeps there). A guest that faults stops this vCPU with a
// report; it does not take the VM down.
import { IrqKind } from '../irq/messages.js';
import { runActor } from '../runtime/host.js';
import { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { ReplyError } from '../../shared/reply/errors.js';
import { VcpuBusPort } from './bus-port.js';
import type { CpuBackend, VcpuServices } from './cpu-backend.js';
import { GuestProgram } from './guest/program.js';
import type { VcpuConfig, VcpuControl, VcpuState, VcpuStats } from './messages.js';

/** A slice of guest execution between two looks at the control plane. */
const SLICE_MS = 20;

await runActor<VcpuControl>((ctx) => {
  const config = ctx.config as VcpuConfig;
  if (!ctx.memory) throw new Error('a vCPU needs guest memory');
  const devices = config.devices.map((d) => ({ index: d.index, variant: d.variant, mailbox: new Mailbox(d.mailbox, `device${d.index}`) }));
  const bus = new VcpuBusPort(config.vcpu, devices, ctx.replies, ctx.replySlots.first, config.writeCompletion, config.barTable, config.writeWindow);
  bus.trace = ctx.trace;
  const irq = new VcpuIrqState(config.irqState);
  const irqMailbox = new Mailbox(config.irqMailbox, 'irq');
  const services: VcpuServices = {
    vcpu: config.vcpu,
    memory: ctx.memory,
    irq,
    mmioRead: (a, s) => bus.read(a, s),
    mmioWrite: (a, s, v) => bus.write(a, s, v),
    endOfInterrupt: (vector) => irqMailbox.post(IrqKind.Eoi, config.vcpu, vector),
  };
  let backend: CpuBackend | null = config.guest ? new GuestProgram(services, config.guest) : null;
  let state: VcpuState = backend ? 'running' : 'idle';
  let fault: string | null = null;

  return {
    onRecord() {
      // Nothing is posted to a vCPU yet: interrupts arrive through its interrupt state.
    },
    onIdle() {
      if (!backend || state !== 'running') return false;
      const until = performance.now() + SLICE_MS;
      try {
        while (performance.now() < until) {
          if (backend.step() === 'done') {
            state = 'done';
            bus.drainWrites();
            return false;
          }
        }
      } catch (err) {
        // A reply error means the device side died: that is a host fault, escalate it.
        if (err instanceof ReplyError) throw err;
        state = 'faulted';
        fault = err instanceof Error ? err.message : String(err);
        return false;
      }
      return true;
    },
    control: {
      start: (guest) => {
        if (state === 'running') throw new Error(`vcpu${config.vcpu} is still running a guest`);
        backend = new GuestProgram(services, guest);
        state = 'running';
        fault = null;
      },
      stats: (): VcpuStats => ({
        vcpu: config.vcpu,
        state,
        fault,
        bus: bus.stats(),
        guest: backend ? (backend.stats() as VcpuStats['guest']) : null,
        irq: { parks: irq.stats().parks, wakes: irq.stats().wakes },
      }),
    },
  };
});
