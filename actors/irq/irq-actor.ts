// The interrupt controller actor (messages.ts lists what it understands). It owns the
// controller state; a delivery is a few atomics on the target vCPU's state and at most one futex
// wake, so it never blocks on anyone (docs/design.md rule 3). Bad records are counted, never
// thrown on.
import type { ActorBehaviour, ActorContext } from '../runtime/host.js';
import type { MailboxRecord } from '../../shared/mailbox/record.js';
import { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';
import { IrqEoi, IrqLineLevel, IrqLinePulse, IrqMask, IrqMsi } from '../../abi/generated/irq-records.js';
import { IrqController, type IrqTraceSink } from './controller.js';
import { IrqKind, type IrqActorStats, type IrqConfig, type IrqControl } from './messages.js';

function build(config: IrqConfig, trace: IrqTraceSink | null): IrqController {
  if (config === null || typeof config !== 'object' || !Array.isArray(config.vcpus)) {
    throw new TypeError('irq config needs { lines, vcpus: SharedArrayBuffer[] }');
  }
  const vcpus = config.vcpus.map((sab) => new VcpuIrqState(sab));
  return new IrqController(config.lines ?? [], vcpus, trace, config.table);
}

export class IrqActor implements ActorBehaviour<IrqControl> {
  readonly control: IrqControl;
  private controller: IrqController;
  private unknownRecords = 0;

  constructor(ctx: ActorContext) {
    // Spawn config is optional: without it every line is unknown until configure() is called.
    const config = (ctx.config as IrqConfig | null) ?? { lines: [], vcpus: [] };
    this.controller = build(config, ctx.trace);
    this.control = {
      configure: (next: IrqConfig) => {
        this.controller = build(next, ctx.trace);
        this.unknownRecords = 0;
      },
      activity: () => {
        const m = ctx.mailbox.stats();
        return { idle: m.depth === 0, busy: m.depth === 0 ? [] : ['irq mailbox'], counters: [m.enqueued, m.dequeued] };
      },
      reset: () => {
        // The table is shared with the devices and vCPUs: reset in place, never replaced.
        this.controller.table.reset();
      },
      stats: (): IrqActorStats => ({ ...this.controller.stats(), vcpus: this.controller.vcpuCount, unknownRecords: this.unknownRecords }),
    };
  }

  onRecord(record: MailboxRecord): void {
    const { controller } = this;
    const a = record.args;
    switch (record.kind) {
      case IrqKind.LinePulse:
        controller.pulse(IrqLinePulse.line(a));
        break;
      case IrqKind.LineLevel:
        controller.setLevel(IrqLineLevel.line(a), IrqLineLevel.high(a));
        break;
      case IrqKind.Msi:
        // The address is NaN beyond 2^53: the controller counts that as an invalid MSI, never rounds.
        controller.msi(IrqMsi.address(a), IrqMsi.data(a));
        break;
      case IrqKind.Eoi:
        controller.eoi(IrqEoi.vcpu(a), IrqEoi.vector(a));
        break;
      case IrqKind.Mask:
        controller.mask(IrqMask.line(a), IrqMask.masked(a));
        break;
      default:
        this.unknownRecords++;
    }
  }
}
