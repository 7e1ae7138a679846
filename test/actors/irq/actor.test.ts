// The interrupt controller actor end to end: spawned by the Supervisor, routing lines and MSIs to
// vCPU interrupt states that test workers halt on, with EOIs coming back through its mailbox.
import type { Worker } from 'node:worker_threads';

import { afterEach, describe, expect, it } from 'vitest';

import type { LineConfig } from '../../../actors/irq/controller.js';
import { IrqKind, postLineLevel, postLinePulse, postMask, postMsi, type IrqActorStats, type IrqConfig, type IrqControl } from '../../../actors/irq/messages.js';
import type { ActorHandle } from '../../../actors/runtime/supervisor.js';
import { Supervisor } from '../../../actors/runtime/supervisor.js';
import { VcpuIrqState, createVcpuIrqBuffer } from '../../../shared/irq/vcpu-irq.js';
import { TRACE_EVENTS } from '../../../shared/trace/events.js';
import { TraceSetReader } from '../../../shared/trace/reader.js';
import { eventually, exited, nextMessage, startWorker } from '../../support/spawn.js';

interface VcpuMessage {
  type: 'running' | 'took' | 'stopped' | 'error';
  vector?: number;
  taken?: number[];
  message?: string;
}

const LINES: LineConfig[] = [
  { trigger: 'edge', vcpu: 0, vector: 0x30 },
  { trigger: 'edge', vcpu: 0, vector: 0x50 },
  { trigger: 'level', vcpu: 0, vector: 0x40 },
  { trigger: 'edge', vcpu: 1, vector: 0x60, masked: true },
];

let vm: Supervisor | null = null;
const vcpus: { worker: Worker; state: VcpuIrqState }[] = [];
afterEach(async () => {
  // Worker.terminate() cannot interrupt a thread asleep in the addon futex: release it first.
  await Promise.all(vcpus.splice(0).map(({ worker, state }) => (state.requestStop(), worker.terminate())));
  await vm?.shutdown();
  vm = null;
});

async function startIrq(config: IrqConfig | null = null) {
  vm = new Supervisor();
  const mailbox = vm.createMailbox('irq', { capacity: 256 });
  return vm.spawn<IrqControl>({ name: 'irq', module: 'actors/irq/worker', mailbox, config });
}

/** A vCPU worker on `state`; `took` collects, in order, every vector it took. */
function startVcpu(
  irq: ActorHandle<IrqControl>,
  state: VcpuIrqState,
  vcpu: number,
  options: { gate?: SharedArrayBuffer; deassert?: { vector: number; line: number; after: number }[] } = {},
) {
  const worker = startWorker('test/support/irq-vcpu', {
    state: state.buffer,
    irq: irq.mailbox.buffer,
    vcpu,
    gate: options.gate ?? null,
    deassert: options.deassert ?? [],
    spinBudget: 200,
  });
  vcpus.push({ worker, state });
  const took: number[] = [];
  worker.on('message', (m: VcpuMessage) => {
    if (m.type === 'took') took.push(m.vector!);
  });
  const stop = async (): Promise<VcpuMessage> => {
    const done = nextMessage<VcpuMessage>(worker, (m) => m.type === 'stopped' || m.type === 'error');
    state.requestStop();
    const m = await done;
    await exited(worker);
    return m;
  };
  return { worker, took, stop };
}

function vcpuStates(n: number): VcpuIrqState[] {
  return Array.from({ length: n }, () => new VcpuIrqState(createVcpuIrqBuffer()));
}

describe('interrupt controller actor', () => {
  it('delivers pulses, a level line and an MSI highest first, and counts the EOIs', async () => {
    const [cpu0, cpu1] = vcpuStates(2);
    const irq = await startIrq({ lines: LINES, vcpus: [cpu0!.buffer, cpu1!.buffer] });
    const gate = new SharedArrayBuffer(4);
    const v0 = startVcpu(irq, cpu0!, 0, { gate, deassert: [{ vector: 0x40, line: 2, after: 1 }] });
    postLinePulse(irq.mailbox, 0);
    postLinePulse(irq.mailbox, 1);
    postLineLevel(irq.mailbox, 2, true);
    postMsi(irq.mailbox, 0xfee0_0000, 0x70);
    // Everything is pending before the vCPU runs, so it must take them highest first.
    await eventually(() => cpu0!.pendingVectors().length === 4, 5000, 'four interrupts pending');
    Atomics.store(new Int32Array(gate), 0, 1);
    Atomics.notify(new Int32Array(gate), 0);
    await eventually(async () => (await irq.control.stats()).eois === 4, 5000, 'four EOIs');
    // The vCPU's reports travel on another port than the stats answer: wait for them too.
    await eventually(() => v0.took.length === 4, 5000, 'four reports');
    expect(v0.took).toEqual([0x70, 0x50, 0x40, 0x30]);
    const s = await irq.control.stats();
    expect(s).toMatchObject({ vcpus: 2, msiDeliveries: 1, spuriousEois: 0, coalesced: 0, invalidLines: 0, unknownRecords: 0 });
    expect(s.lines.map((l) => l.deliveries)).toEqual([1, 1, 1, 0]);
    expect(s.lines[2]).toMatchObject({ level: false, inService: false, assertions: 1 });
    expect(cpu1!.pending()).toBe(false);
    expect(await v0.stop()).toMatchObject({ type: 'stopped', taken: [0x70, 0x50, 0x40, 0x30] });

    const events = new TraceSetReader(vm!.traceSet).drain().events.filter((e) => e.ring === irq.traceRing);
    const of = (id: number) => events.filter((e) => e.id === id).map((e) => e.args);
    expect(of(TRACE_EVENTS.irq_deliver)).toEqual([
      [0, 0x30, 0],
      [0, 0x50, 1],
      [0, 0x40, 2],
      [0, 0x70, -1],
    ]);
    expect(of(TRACE_EVENTS.irq_msi)).toEqual([[0xfee0_0000, 0x70, 0]]);
    expect(of(TRACE_EVENTS.irq_eoi).map((a) => a[1])).toEqual([0x70, 0x50, 0x40, 0x30]);
  });

  it('a level line held high is delivered again after each EOI until the handler lowers it', async () => {
    const [cpu0, cpu1] = vcpuStates(2);
    const irq = await startIrq({ lines: LINES, vcpus: [cpu0!.buffer, cpu1!.buffer] });
    const v0 = startVcpu(irq, cpu0!, 0, { deassert: [{ vector: 0x40, line: 2, after: 3 }] });
    postLineLevel(irq.mailbox, 2, true);
    await eventually(async () => (await irq.control.stats()).eois === 3, 5000, 'three EOIs');
    await eventually(() => v0.took.length === 3, 5000, 'three reports');
    // The handler lowered the line before its third EOI: nothing more may arrive.
    await new Promise((r) => setTimeout(r, 50));
    expect(v0.took).toEqual([0x40, 0x40, 0x40]);
    const s = await irq.control.stats();
    expect(s.lines[2]).toMatchObject({ assertions: 1, deliveries: 3, level: false, inService: false });
    expect(s.spuriousEois).toBe(0);
    await v0.stop();
  });

  it('routes MSIs and lines to the right vCPU; a masked line latches until unmasked', async () => {
    const [cpu0, cpu1] = vcpuStates(2);
    const irq = await startIrq({ lines: LINES, vcpus: [cpu0!.buffer, cpu1!.buffer] });
    const v0 = startVcpu(irq, cpu0!, 0);
    const v1 = startVcpu(irq, cpu1!, 1);
    for (let i = 0; i < 3; i++) postLinePulse(irq.mailbox, 3);
    postMsi(irq.mailbox, 0xfee0_1000, 0x21);
    postMsi(irq.mailbox, 0xfee0_0000, 0x22);
    await eventually(() => v0.took.length === 1 && v1.took.length === 1, 5000, 'one MSI each');
    expect(v0.took).toEqual([0x22]);
    expect(v1.took).toEqual([0x21]);
    expect((await irq.control.stats()).lines[3]).toMatchObject({ pulses: 3, maskedLatched: 3, latched: true, deliveries: 0 });
    postMask(irq.mailbox, 3, false);
    await eventually(() => v1.took.length === 2, 5000, 'the latched pulse');
    expect(v1.took).toEqual([0x21, 0x60]);
    await eventually(async () => (await irq.control.stats()).eois === 3, 5000, 'three EOIs');
    await Promise.all([v0.stop(), v1.stop()]);
  });

  it('many pulses and MSIs from the main thread: every one is merged or taken, each take acknowledged once', async () => {
    const [cpu0, cpu1] = vcpuStates(2);
    const irq = await startIrq({ lines: LINES, vcpus: [cpu0!.buffer, cpu1!.buffer] });
    const v0 = startVcpu(irq, cpu0!, 0);
    const vectors = [0x30, 0x50];
    for (let i = 0; i < 2000; i++) {
      if (i % 3 === 2) {
        const vector = 0x80 + (i % 64);
        vectors.push(vector);
        postMsi(irq.mailbox, 0xfee0_0000, vector);
      } else postLinePulse(irq.mailbox, i % 2);
    }
    const delivered = (s: IrqActorStats) => s.lines[0]!.deliveries + s.lines[1]!.deliveries + s.msiDeliveries;
    // Every delivery that found its bit clear is taken once and EOI'd once.
    await eventually(
      async () => {
        const s = await irq.control.stats();
        return delivered(s) === 2000 && s.eois === delivered(s) - s.coalesced;
      },
      10_000,
      'everything handled',
    );
    const s = await irq.control.stats();
    await eventually(() => v0.took.length === s.eois, 5000, 'every take reported');
    expect(cpu0!.pending()).toBe(false);
    expect(s.spuriousEois).toBe(0);
    expect(new Set(v0.took)).toEqual(new Set(vectors));
    await v0.stop();
  });

  it('counts hostile records and keeps running', async () => {
    const [cpu0] = vcpuStates(1);
    const irq = await startIrq({ lines: LINES.slice(0, 3), vcpus: [cpu0!.buffer] });
    const mb = irq.mailbox;
    mb.post(IrqKind.LinePulse, 9999);
    mb.post(IrqKind.LineLevel, -1, 1);
    mb.post(IrqKind.Mask, 3, 0);
    mb.post(IrqKind.Msi, 0xfee0_0000, 0, 0x05);
    mb.post(IrqKind.Msi, 0xfee0_0000, 0xffff_ffff, 0x30);
    mb.post(IrqKind.Msi, 0xfee0_9000, 0, 0x30);
    mb.post(IrqKind.Eoi, 7, 0x30);
    mb.post(IrqKind.Eoi, 0, 300);
    mb.post(99, 1, 2, 3);
    postLinePulse(mb, 0);
    await eventually(() => cpu0!.pending(), 5000, 'the valid pulse');
    const s = await irq.control.stats();
    expect(s).toMatchObject({ invalidLines: 3, invalidMsis: 2, unknownTargets: 1, spuriousEois: 2, unknownRecords: 1, msis: 3 });
    expect(cpu0!.pendingVectors()).toEqual([0x30]);
    expect(vm!.failed).toBeNull();
  });

  it('takes its configuration from the control plane, and rejects a bad one without dying', async () => {
    const irq = await startIrq();
    postLinePulse(irq.mailbox, 0);
    await eventually(async () => (await irq.control.stats()).invalidLines === 1, 5000, 'the pulse counted');
    const [cpu0] = vcpuStates(1);
    await expect(irq.control.configure({ lines: [{ trigger: 'edge', vcpu: 1, vector: 0x30 }], vcpus: [cpu0!.buffer] })).rejects.toThrow(/vcpu 1/);
    await irq.control.configure({ lines: [{ trigger: 'edge', vcpu: 0, vector: 0x30 }], vcpus: [cpu0!.buffer] });
    postLinePulse(irq.mailbox, 0);
    await eventually(() => cpu0!.pending(), 5000, 'the pulse delivered');
    expect(await irq.control.stats()).toMatchObject({ invalidLines: 0, vcpus: 1 });
    expect(vm!.failed).toBeNull();
  });

  it('a stop request releases a halted vCPU', async () => {
    const [cpu0] = vcpuStates(1);
    const irq = await startIrq({ lines: LINES.slice(0, 3), vcpus: [cpu0!.buffer] });
    const v0 = startVcpu(irq, cpu0!, 0);
    await eventually(() => cpu0!.stats().parks > 0, 5000, 'vCPU asleep');
    expect(await v0.stop()).toMatchObject({ type: 'stopped', taken: [] });
  });
});
