// The interrupt controller actor (messages.ts lists what it understands). It owns the
// controller state; a delivery is a few atomics on the target vCPU's state and at most one futex
// wake, so it never blocks on anyone (docs/design.md rule 3). Bad records are counted, never
// thrown on.
import { runActor } from '../runtime/host.js';
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

await runActor((ctx) => {
  // Spawn config is optional: without it every line is unknown until configure() is called.
  let config = (ctx.config as IrqConfig | null) ?? { lines: [], vcpus: [] };
  let controller = build(config, ctx.trace);
  let unknownRecords = 0;
  return {
    onRecord(record) {
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
          unknownRecords++;
      }
    },
    control: {
      configure: (next: IrqConfig) => {
        controller = build(next, ctx.trace);
        config = next;
        unknownRecords = 0;
      },
      activity: () => {
        const m = ctx.mailbox.stats();
        return { idle: m.depth === 0, busy: m.depth === 0 ? [] : ['irq mailbox'], counters: [m.enqueued, m.dequeued] };
      },
      reset: () => {
        // The table is shared with the devices and vCPUs: reset in place, never replaced.
        controller.table.reset();
      },
      stats: (): IrqActorStats => ({ ...controller.stats(), vcpus: controller.vcpuCount, unknownRecords }),
    } satisfies IrqControl,
  };
});
