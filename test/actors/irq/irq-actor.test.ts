// The interrupt controller actor as a unit: IrqActor built on this thread from a context, fed
// records directly (no worker, no mailbox pump), as a tool or a test can now reach any actor.
import { describe, expect, it } from 'vitest';

import { IrqActor } from '../../../actors/irq/irq-actor.js';
import { IrqKind, type IrqConfig } from '../../../actors/irq/messages.js';
import type { ActorContext } from '../../../actors/runtime/host.js';
import { createInterruptTable } from '../../../shared/irq/interrupt-table.js';
import { createVcpuIrqBuffer, VcpuIrqState } from '../../../shared/irq/vcpu-irq.js';
import { Mailbox, createMailboxBuffer } from '../../../shared/mailbox/mailbox.js';
import { newRecord } from '../../../shared/mailbox/record.js';
import { ReplyTable, createReplyTableBuffer } from '../../../shared/reply/reply-table.js';

function actorOn(config: IrqConfig): { actor: IrqActor; mailbox: Mailbox } {
  const mailbox = new Mailbox(createMailboxBuffer({ capacity: 8 }), 'irq');
  const ctx: ActorContext = {
    name: 'irq',
    mailbox,
    replies: new ReplyTable(createReplyTableBuffer(1)),
    memory: null,
    replySlots: { first: 0, count: 0 },
    peers: {},
    trace: null,
    traceSet: null,
    spinGate: null,
    config,
    bql: null,
    bqlTag: 1,
  };
  return { actor: new IrqActor(ctx), mailbox };
}

describe('IrqActor, reached without a worker', () => {
  const lines: IrqConfig['lines'] = [{ trigger: 'level', vcpu: 1, vector: 0x41 }];

  it('delivers a level line to its vCPU, counts unknown records and resets the shared table in place', () => {
    const vcpus = [createVcpuIrqBuffer(), createVcpuIrqBuffer()];
    const table = createInterruptTable(lines, 2);
    const { actor } = actorOn({ lines, vcpus, table });
    const record = newRecord();
    record.kind = IrqKind.LineLevel;
    record.args[0] = 0; // line
    record.args[1] = 1; // high
    actor.onRecord(record);
    const target = new VcpuIrqState(vcpus[1]!);
    expect(target.takeHighest()).toBe(0x41);
    expect(new VcpuIrqState(vcpus[0]!).takeHighest()).toBe(-1);

    record.kind = 0x7fff;
    actor.onRecord(record);
    expect(actor.control.stats()).toMatchObject({ vcpus: 2, unknownRecords: 1 });

    actor.control.reset();
    // After the reset the line is low again: raising it delivers anew.
    record.kind = IrqKind.LineLevel;
    actor.onRecord(record);
    expect(target.takeHighest()).toBe(0x41);
  });

  it('starts with no lines when spawned without a config, and configure() brings them', () => {
    const { actor } = actorOn(null as unknown as IrqConfig);
    expect(actor.control.stats()).toMatchObject({ vcpus: 0 });
    const vcpus = [createVcpuIrqBuffer()];
    actor.control.configure({ lines: [{ trigger: 'edge', vcpu: 0, vector: 0x30 }], vcpus });
    const record = newRecord();
    record.kind = IrqKind.LinePulse;
    record.args[0] = 0;
    actor.onRecord(record);
    expect(new VcpuIrqState(vcpus[0]!).takeHighest()).toBe(0x30);
  });
});
