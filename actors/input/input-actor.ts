// The input actor: owns the VM's virtio-input devices (their virtio-mmio or virtio-pci
// transports, queues and waiting events) on its own worker, like every other concern
// (docs/design.md rule 1). A vCPU's MMIO read is answered here straight into its reply slot, a
// write completed on its posted-write counter; the embedder's events arrive as records.
// virtio-mmio interrupts go to the interrupt controller as line levels; virtio-pci's are MSI-X messages
// through the interrupt table (atomics and at most a futex wake) or, with MSI-X off, INTA# levels
// on the function's line as virtio-mmio's, and its BAR placements go to
// the vCPUs' buses through the BAR table. It never waits for another actor (rule 3): a full
// controller mailbox keeps the level for the idle hook.
import type { ActorBehaviour, ActorContext } from '../runtime/host.js';
import type { MailboxRecord } from '../../shared/mailbox/record.js';
import { DeviceKind } from '../device/messages.js';
import { InMmioRead, InMmioWrite } from '../device/engine-records.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { completeWrite } from '../../shared/mmio/completion.js';
import { InputKey, InputPointer } from '../../abi/generated/input-records.js';
import { InterruptTable } from '../../shared/irq/interrupt-table.js';
import { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';
import { BarTable } from '../../shared/mmio/bar-table.js';
import { VirtioMmioTransport } from '../../shared/virtio/mmio-transport.js';
import { VirtioPciTransport } from '../../shared/virtio/pci-transport.js';
import { PCI_CLASS_INPUT_OTHER } from '../../abi/generated/virtio.js';
import { IrqLevels } from './irq-levels.js';
import { InputKind, PCI_CONFIG_WINDOW, type InputActorConfig, type InputActorStats, type InputControl } from './messages.js';
import { VirtioInputDevice, type TransportFactory } from './virtio-input.js';
import { loadInputDevices, saveInputDevice } from './input-snapshot.js';

export class InputActor implements ActorBehaviour<InputControl> {
  readonly control: InputControl;
  private readonly writeCompletion: Int32Array;
  private readonly levels: IrqLevels;
  private readonly devices: VirtioInputDevice[];
  private badRecords = 0;
  private handled = 0;
  private readonly halves = new Uint32Array(2);

  constructor(private readonly ctx: ActorContext) {
    const config = ctx.config as InputActorConfig;
    const memory = ctx.memory;
    if (!memory) throw new Error('the input actor needs guest memory');
    this.writeCompletion = new Int32Array(config.writeCompletion);
    const levels = new IrqLevels(new Mailbox(config.irqMailbox, 'irq'));
    this.levels = levels;
    const transport = transportFactories(config, levels, ctx);
    this.devices = config.devices.map((d, i) => new VirtioInputDevice(d.kind, `pvg-${d.kind}-${d.display.device}.${d.display.display}`, transport(i)));
    const devices = this.devices;
    this.control = {
      stats: (): InputActorStats => ({
        devices: devices.map((d, i) => ({ ...d.stats(), display: config.devices[i]!.display })),
        badRecords: this.badRecords,
        irqBacklogged: levels.backlogged,
        mailbox: ctx.mailbox.stats(),
      }),
      activity: () => ({
        idle: ctx.mailbox.depth() === 0 && !levels.pending,
        busy: [...(ctx.mailbox.depth() > 0 ? ['mailbox'] : []), ...(levels.pending ? ['interrupt levels'] : [])],
        counters: [this.handled, levels.posted],
      }),
      reset: () => {
        for (const d of devices) d.transport.reset();
      },
      hold: (held: boolean) => {
        for (const d of devices) d.hold(held);
      },
      saveState: () => devices.map((d) => saveInputDevice(d)),
      loadState: (saved: Uint8Array[]) => loadInputDevices(devices, saved),
    };
  }

  onRecord(record: MailboxRecord): void {
    this.handled++;
    const a = record.args;
    switch (record.kind) {
      case DeviceKind.MmioRead:
        return this.mmioRead(a);
      case DeviceKind.MmioWrite:
        return this.mmioWrite(a);
      case InputKind.Key: {
        const device = this.devices[InputKey.device(a)];
        if (device) device.key(InputKey.code(a), InputKey.down(a));
        else this.badRecords++;
        return;
      }
      case InputKind.Pointer: {
        const device = this.devices[InputPointer.device(a)];
        if (device) device.pointer(InputPointer.x(a), InputPointer.y(a), InputPointer.buttons(a));
        else this.badRecords++;
        return;
      }
      default:
        this.badRecords++;
    }
  }

  onIdle(): boolean {
    return this.levels.flush();
  }

  private mmioRead(a: Int32Array): void {
    const target = this.target(InMmioRead.window(a));
    // An offset past 2^32 is outside every window; the bus never sends one, but records are checked all the same.
    const halves = this.halves;
    halves[1] = 0;
    if (!target || InMmioRead.offsetHi(a) !== 0) halves[0] = 0xffffffff;
    // BAR0 of virtio-pci takes QWORDs in its MSI-X table and PBA: both halves go back.
    else if (target instanceof VirtioPciTransport) target.readHalves(InMmioRead.offsetLo(a), InMmioRead.size(a), halves);
    else halves[0] = target.read(InMmioRead.offsetLo(a), InMmioRead.size(a));
    if (!target) this.badRecords++;
    this.ctx.replies.reply(InMmioRead.slot(a), InMmioRead.id(a), halves[0], halves[1]);
  }

  private mmioWrite(a: Int32Array): void {
    const target = this.target(InMmioWrite.window(a));
    if (target && InMmioWrite.offsetHi(a) === 0) target.write(InMmioWrite.offsetLo(a), InMmioWrite.size(a), InMmioWrite.valueLo(a), InMmioWrite.valueHi(a));
    else this.badRecords++;
    completeWrite(this.writeCompletion, InMmioWrite.vcpu(a));
  }

  /** A record's window: a device's registers (virtio-mmio) or BAR0 (virtio-pci), or with PCI_CONFIG_WINDOW its PCI configuration space. */
  private target(
    window: number,
  ): { read(offset: number, size: number): number; write(offset: number, size: number, value: number, high: number): void } | null {
    const device = this.devices[window & ~PCI_CONFIG_WINDOW];
    if (!device) return null;
    if ((window & PCI_CONFIG_WINDOW) === 0) return device.transport;
    return device.transport instanceof VirtioPciTransport ? device.transport.config : null;
  }
}

/** Device i's transport: virtio-mmio on its level line, or virtio-pci with MSI-X messages through the interrupt table and INTA# on its level line. */
function transportFactories(config: InputActorConfig, levels: IrqLevels, ctx: ActorContext): (i: number) => TransportFactory {
  const memory = ctx.memory!;
  if (config.transport === 'mmio') return (i) => (model) => new VirtioMmioTransport(memory, model, (high) => levels.set(config.devices[i]!.line, high));
  if (!config.irqTable || !config.irqTargets || !config.barTable) throw new Error('virtio-pci input devices need the interrupt table and a BAR table');
  const table = new InterruptTable(
    config.irqTable,
    config.irqTargets.map((b) => new VcpuIrqState(b)),
    ctx.trace,
  );
  const bars = new BarTable(config.barTable);
  return (i) => (model) =>
    new VirtioPciTransport(memory, model, {
      classCode: PCI_CLASS_INPUT_OTHER << 8,
      msi: table,
      onBar: (address) => bars.publish(i, address),
      intx: (asserted) => levels.set(config.devices[i]!.line, asserted),
    });
}
