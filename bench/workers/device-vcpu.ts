// The vCPU side of `bench device`: an embedder-style vCPU loop (connectVcpu) on its own thread,
// running one exercise against a running VM and posting its numbers back. Every access goes
// through the same bus, posted-write window and interrupt state as a built-in vCPU.
//
//   read     the gfx ID register, each read timed: vCPU → device actor → engine dispatcher → vCPU
//   writes   IRQ_MASK writes in timed rounds (each round ends when every posted write is done)
//   irq      PCI variant only: enumerate (BAR0, MSI aimed at this vCPU), start a ring, then
//            FENCE(irq) + doorbell, timed until waitForInterrupt returns; also config-space
//            reads, which the device actor answers itself (no engine hop)
import { parentPort, workerData } from 'node:worker_threads';

import { connectVcpu, type ExternalVcpuConfig } from '../../actors/vcpu/external.js';
import { PvgDriver, type MmioPort } from '../../guest/ts/driver.js';
import { PageAllocator } from '../../guest/ts/page-allocator.js';
import { IrqCause, PVG_ID, Reg } from '../../guest/ts/protocol.js';
import { MSI_ADDRESS_BASE, PCI_BAR_BASE, RAM_BASE, deviceVectors, ecamBase, mmioGfxBase } from '../../machine/memory-map.js';
import { DEFAULT_HALT_SPIN } from '../../shared/irq/vcpu-irq.js';
import { LatencyRecorder, type LatencySummary } from '../latency.js';

export interface DeviceVcpuData {
  config: ExternalVcpuConfig;
  exercise: 'read' | 'writes' | 'irq';
  /** Timed operations (read, irq, config reads) or writes per round (writes). */
  iterations: number;
  warmup: number;
  /** writes: timed rounds. */
  rounds?: number;
  /** irq: guest RAM the driver may allocate from (bytes from RAM_BASE). */
  ramBytes?: number;
}

export interface ReadResult {
  exercise: 'read';
  latency: LatencySummary;
  mismatches: number;
}

export interface WritesResult {
  exercise: 'writes';
  window: number;
  writesPerRound: number;
  /** writes/s of each round, in order. */
  roundRates: number[];
  cpu_us_per_write: number;
  /** Writes the bus issued (warm-up included). */
  busWrites: number;
}

export interface IrqResult {
  exercise: 'irq';
  /** Config-space reads of the vendor ID: answered by the device actor, no engine hop. */
  configRead: LatencySummary;
  /** gfx ID reads through BAR0, interleaved with the config reads (the engine answers). */
  gfxRead: LatencySummary;
  /** Doorbell → waitForInterrupt returns, the vCPU halting as the built-in guest does (spin 2000 checks, then futex). */
  halt: LatencySummary;
  /** The same with a vCPU that spins on its interrupt state and never parks. */
  spin: LatencySummary;
  vector: number;
  /** Interrupts taken whose vector was not the device's MSI vector. */
  wrongVectors: number;
  /** IRQ_STATUS reads with no fence cause set. */
  noFenceCause: number;
  /** waitForInterrupt calls that timed out (each counted, then the fence is waited for). */
  timeouts: number;
  /** Times the vCPU parked in its futex during the halt loop / spin loop. */
  parksHalt: number;
  parksSpin: number;
}

export type DeviceVcpuResult = ReadResult | WritesResult | IrqResult;

const PCI_VENDOR_APPLE = 0x106b;
const MSI_CAP_ID = 0x05;
/** A spin budget large enough that the vCPU never parks while waiting for its interrupt. */
const SPIN_FOREVER = 1_000_000_000;

const data = workerData as DeviceVcpuData;
const cpu = connectVcpu(data.config);

function timedLoop(iterations: number, warmup: number, op: (i: number) => void): LatencySummary {
  const rec = new LatencyRecorder();
  for (let i = 0; i < warmup; i++) op(i);
  rec.start();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    op(i);
    rec.recordMs(performance.now() - t0);
  }
  return rec.summary();
}

function readExercise(): ReadResult {
  const id = mmioGfxBase(0) + Reg.Id;
  let mismatches = 0;
  const latency = timedLoop(data.iterations, data.warmup, () => {
    if (cpu.mmioRead(id, 4) >>> 0 !== PVG_ID) mismatches++;
  });
  return { exercise: 'read', latency, mismatches };
}

function writesExercise(): WritesResult {
  const mask = mmioGfxBase(0) + Reg.IrqMask;
  const n = data.iterations;
  // IRQ_STATUS stays 0 (no ring runs), so no mask value raises anything.
  for (let i = 0; i < data.warmup; i++) cpu.mmioWrite(mask, 4, i & 7);
  cpu.bus.drainWrites();
  const roundRates: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < (data.rounds ?? 5); r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) cpu.mmioWrite(mask, 4, i & 7);
    cpu.bus.drainWrites();
    roundRates.push((n * 1e3) / (performance.now() - t0));
  }
  const used = process.cpuUsage(cpu0);
  return {
    exercise: 'writes',
    window: data.config.writeWindow,
    writesPerRound: n,
    roundRates,
    cpu_us_per_write: (used.user + used.system) / (n * (data.rounds ?? 5)),
    busWrites: cpu.bus.stats().writes,
  };
}

/** PCI enumeration as the built-in guest's firmware does it (GuestProgram.setUpPci), the MSI aimed at this vCPU. */
function setUpPci(device: number): number {
  const cfg = ecamBase(device);
  const rd = (o: number, s: number) => cpu.mmioRead(cfg + o, s);
  const wr = (o: number, s: number, v: number) => cpu.mmioWrite(cfg + o, s, v);
  if ((rd(0x00, 2) & 0xffff) !== PCI_VENDOR_APPLE) throw new Error(`no apple-gfx-pci at config 0x${cfg.toString(16)}`);
  const bar = PCI_BAR_BASE;
  wr(0x10, 4, bar);
  let cap = rd(0x34, 1) & 0xfc;
  while (cap !== 0 && (rd(cap, 1) & 0xff) !== MSI_CAP_ID) cap = rd(cap + 1, 1) & 0xfc;
  if (cap === 0) throw new Error('no MSI capability');
  wr(cap + 4, 4, MSI_ADDRESS_BASE | (cpu.vcpu << 12));
  wr(cap + 8, 4, 0);
  wr(cap + 12, 2, deviceVectors(device).msi);
  wr(cap + 2, 2, rd(cap + 2, 2) | 1);
  wr(0x04, 2, rd(0x04, 2) | 0x6); // memory space and bus master
  return bar;
}

function irqExercise(): IrqResult {
  const gfxBase = setUpPci(0);

  // Config-space reads (the device actor answers) and gfx reads through BAR0 (the engine
  // answers), interleaved so that load on the machine hits both alike.
  const cfg = ecamBase(0);
  const configRec = new LatencyRecorder();
  const gfxRec = new LatencyRecorder();
  for (let i = 0; i < data.warmup + data.iterations; i++) {
    if (i === data.warmup) {
      configRec.start();
      gfxRec.start();
    }
    let t0 = performance.now();
    if ((cpu.mmioRead(cfg, 2) & 0xffff) !== PCI_VENDOR_APPLE) throw new Error('config read: wrong vendor ID');
    configRec.recordMs(performance.now() - t0);
    t0 = performance.now();
    if (cpu.mmioRead(gfxBase + Reg.Id, 4) >>> 0 !== PVG_ID) throw new Error('BAR0 read: wrong ID');
    gfxRec.recordMs(performance.now() - t0);
  }
  // Both ran in one loop: the CPU per operation is the loop's, split evenly between the two.
  const configRead = configRec.summary();
  const gfxRead = { ...gfxRec.summary(), cpu_us_per_op: configRead.cpu_us_per_op / 2 };
  configRead.cpu_us_per_op /= 2;
  const port: MmioPort = { read32: (a) => cpu.mmioRead(a, 4) >>> 0, write32: (a, v) => cpu.mmioWrite(a, 4, v) };
  // The upper half of RAM: the idle built-in vCPU's guest (none here) would own the lower part.
  const ram = data.ramBytes ?? 32 * 1024 * 1024;
  const pages = new PageAllocator(RAM_BASE + ram / 2, RAM_BASE + ram);
  const driver = new PvgDriver(port, cpu.memory, gfxBase, pages, null);
  driver.probe();
  driver.reset();
  driver.startRing(64 * 1024);
  driver.setReg(Reg.IrqMask, IrqCause.Fence);

  const vector = deviceVectors(0).msi;
  let fence = 0;
  let wrongVectors = 0;
  let noFenceCause = 0;
  let timeouts = 0;
  let recorder = new LatencyRecorder();
  const oneInterrupt = (spinBudget: number): void => {
    driver.fence(++fence, true);
    const t0 = performance.now();
    driver.flush(); // the doorbell (a posted write)
    const outcome = cpu.irq.waitForInterrupt(5000, spinBudget);
    const elapsed = performance.now() - t0;
    if (outcome === 'stopped') throw new Error('the VM stopped under the benchmark');
    if (outcome === 'timed-out') {
      timeouts++;
      driver.waitFence(fence);
    }
    for (let v = cpu.irq.takeHighest(); v >= 0; v = cpu.irq.takeHighest()) {
      if (v !== vector) wrongVectors++;
      const causes = driver.reg(Reg.IrqStatus);
      if ((causes & IrqCause.Fence) === 0) noFenceCause++;
      if (causes !== 0) driver.setReg(Reg.IrqAck, causes);
      cpu.endOfInterrupt(v);
    }
    recorder.recordMs(elapsed);
  };
  const phase = (spinBudget: number): { summary: LatencySummary; parks: number } => {
    recorder = new LatencyRecorder();
    for (let i = 0; i < data.warmup; i++) oneInterrupt(spinBudget);
    const parks0 = cpu.irq.stats().parks;
    recorder.start();
    for (let i = 0; i < data.iterations; i++) oneInterrupt(spinBudget);
    return { summary: recorder.summary(), parks: cpu.irq.stats().parks - parks0 };
  };
  const halt = phase(DEFAULT_HALT_SPIN);
  const spin = phase(SPIN_FOREVER);
  driver.stopRing();
  cpu.bus.drainWrites();
  return {
    exercise: 'irq',
    configRead,
    gfxRead,
    halt: halt.summary,
    spin: spin.summary,
    vector,
    wrongVectors,
    noFenceCause,
    timeouts,
    parksHalt: halt.parks,
    parksSpin: spin.parks,
  };
}

const result: DeviceVcpuResult = data.exercise === 'read' ? readExercise() : data.exercise === 'writes' ? writesExercise() : irqExercise();
parentPort!.postMessage(result);
