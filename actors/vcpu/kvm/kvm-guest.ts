// The machine-code guest as a CPU backend: boots it on the actor's KVM vCPU and turns each exit
// into what the TypeScript guest would have done: MMIO reads and writes through the same bus
// (reads wait for the device's answer, writes are posted); writes into the hypercall window are
// the guest talking to us: EOI to the interrupt controller, HALT to a sleep on the interrupt
// state, DONE, FAIL, MARK. The guest reports its progress in its
// boot block; a guest that misbehaves (triple fault, a write to its read-only image, an
// exception) ends with a fault report naming what and where, and the VM runs on.
import type { GuestRegion } from '../../../shared/guest-memory/index.js';
import { ERROR_NAMES } from '../../../guest/ts/protocol.js';
import type { GuestProgramConfig, GuestStats } from '../../../guest/ts/program.js';
import type { CpuBackend, StepOutcome, VcpuServices } from '../cpu-backend.js';
import { prepareBoot, ramView } from './boot.js';
import { ExitInfo, ExitKind, type KvmExitStats } from './exits.js';
import type { KvmVcpu } from './kvm-vcpu.js';
import type { KvmVcpuSaved } from './vcpu-state.js';
import {
  Boot,
  BootArea,
  GuestState,
  HYPERCALL_BASE,
  HYPERCALL_BYTES,
  Hypercall,
  KVM_BENCH_PROGRAMS,
  KVM_INPUT_WORKLOADS,
  KVM_WORKLOADS,
  KvmInputTransport,
} from './machine.js';

export class KvmGuestFault extends Error {
  override readonly name = 'KvmGuestFault';
}

export interface KvmGuestStats extends GuestStats {
  exits: KvmExitStats;
  /** Hypercalls by kind (eoi, halt, done, mark, fail). */
  hypercalls: Record<string, number>;
  /** Port I/O (the guest has none: it runs in ring 3) and hypercall-window reads: ignored, counted. */
  unassignedPortAccesses: number;
  /** When (performance.now() on the vCPU's thread, ms) the guest wrote each MARK, value → time; at most 16. */
  marks: { value: number; atMs: number }[];
}

const MAX_MARKS = 16;
const HYPERCALL_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Hypercall).map(([name, offset]) => [offset, name]));

const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * The boot block's inputBinding and inputTransport: k when the workload drives input and the
 * keyboard and tablet are virtio devices 2k and 2k + 1 (vmm/assembly/guests.ts binds them so);
 * null when it has none. Virtio-pci devices are taken through MSI-X only.
 */
function inputBindingOf(config: GuestProgramConfig): { binding: number; transport: number } | null {
  const input = config.input;
  if (!input || !KVM_INPUT_WORKLOADS.has(config.workload)) return null;
  if (input.transport === 'pci' && input.interrupts === 'intx')
    throw new KvmGuestFault("the KVM guest takes virtio-pci interrupts through MSI-X only, not 'intx'");
  if (input.keyboard % 2 !== 0 || input.tablet !== input.keyboard + 1) {
    throw new KvmGuestFault(`the KVM guest needs its keyboard and tablet at virtio devices 2k and 2k + 1, not ${input.keyboard} and ${input.tablet}`);
  }
  return { binding: input.keyboard / 2, transport: input.transport === 'pci' ? KvmInputTransport.pci : KvmInputTransport.mmio };
}

export class KvmGuest implements CpuBackend {
  private readonly block: DataView;
  /** The regions a guest write must never reach (its image): checked on every MMIO write exit. */
  private readonly readOnly: readonly GuestRegion[];
  private finished = false;
  private unassignedPorts = 0;
  private readonly marks: KvmGuestStats['marks'] = [];
  private readonly hypercalls: Record<string, number> = { eoi: 0, halt: 0, done: 0, mark: 0, fail: 0 };
  /** An MMIO read's [lo, hi] (exact for 8 bytes). */
  private readonly readValue = new Uint32Array(2);

  constructor(
    private readonly cpu: VcpuServices,
    private readonly vcpu: KvmVcpu,
    entry: number,
    private readonly config: GuestProgramConfig,
    testMode = 0,
    /** A snapshot's vCPU (checked): it goes on from there; its boot block and stacks are in the restored RAM. */
    restored: KvmVcpuSaved | null = null,
  ) {
    const workload = KVM_WORKLOADS[config.workload] ?? KVM_BENCH_PROGRAMS[config.workload];
    if (workload === undefined) {
      throw new KvmGuestFault(`the KVM guest has no workload ${config.workload} (it runs ${Object.keys(KVM_WORKLOADS).join(', ')})`);
    }
    this.block = ramView(cpu.memory, config.ramBase + BootArea.block, Boot.bytes);
    this.readOnly = cpu.memory.regions.filter((r) => r.readOnly);
    if (restored) {
      vcpu.loadState(restored.cpu);
      this.finished = restored.finished;
      return;
    }
    const boot = prepareBoot(cpu.memory, entry, {
      vcpu: cpu.vcpu,
      device: config.device,
      variant: config.variant,
      workload,
      frames: config.frames,
      seed: config.seed,
      mode: config.mode,
      damagePercent: config.damagePercent ?? 100,
      sliceBase: config.ramBase,
      sliceEnd: config.ramEnd,
      testMode,
      input: inputBindingOf(config),
    });
    vcpu.enter(boot);
  }

  /**
   * At a step boundary (paused): what a snapshot keeps of this guest. Everything else it has is
   * in guest RAM (boot block, stacks, page tables) or its read-only image; the exit and
   * hypercall counts are statistics and start over.
   */
  saveState(imageCrc: number): KvmVcpuSaved {
    return { finished: this.finished, imageCrc, cpu: this.vcpu.saveState() };
  }

  /** Runs until one exit has been handled. */
  step(): StepOutcome {
    if (this.finished) return 'done';
    if (this.cpu.irq.stopRequested) return this.finish();
    const v = this.vcpu;
    const kind = v.run();
    const info = v.info;
    switch (kind) {
      case ExitKind.MmioRead:
        this.mmioRead(info[ExitInfo.Address]!, info[ExitInfo.Size]!);
        break;
      case ExitKind.MmioWrite: {
        const address = info[ExitInfo.Address]!;
        if (address - HYPERCALL_BASE >= 0 && address - HYPERCALL_BASE < HYPERCALL_BYTES)
          return this.hypercall(address - HYPERCALL_BASE, info[ExitInfo.ValueLo]!);
        this.mmioWrite(address, info[ExitInfo.Size]!, info[ExitInfo.ValueLo]!, info[ExitInfo.ValueHi]!);
        break;
      }
      case ExitKind.IoOut:
        this.unassignedPorts++;
        break;
      case ExitKind.IoIn:
        this.unassignedPorts++;
        v.completeRead(0xffffffff, 0xffffffff);
        break;
      case ExitKind.Halt:
        // HLT: sleep until an interrupt is pending (the next run injects it); KVM resumes
        // after the HLT either way, so a bounded sleep keeps the guest's own timeouts alive.
        if (this.cpu.irq.waitForInterrupt(100) === 'stopped') return this.finish();
        break;
      case ExitKind.InterruptWindow:
      case ExitKind.Interrupted:
        break;
      case ExitKind.Shutdown:
        throw new KvmGuestFault(`triple fault: the guest reset itself (${this.where()})`);
      case ExitKind.FailEntry:
        throw new KvmGuestFault(`KVM could not enter the guest (hardware reason ${hex(info[ExitInfo.Detail]!)}; ${this.where()})`);
      case ExitKind.InternalError:
        throw new KvmGuestFault(`KVM internal error (suberror ${info[ExitInfo.Detail]}; ${this.where()})`);
      default:
        throw new KvmGuestFault(`unexpected KVM exit ${info[ExitInfo.Detail]} (${this.where()})`);
    }
    return 'running';
  }

  stats(): KvmGuestStats {
    const b = this.block;
    const lastError = b.getUint32(Boot.lastError, true);
    return {
      workload: this.config.workload,
      framesDone: b.getUint32(Boot.framesDone, true),
      interruptsHandled: b.getUint32(Boot.interruptsHandled, true),
      deviceErrorsSeen: b.getUint32(Boot.deviceErrorsSeen, true),
      halts: b.getUint32(Boot.halts, true),
      lastError: lastError === 0 ? null : (ERROR_NAMES[lastError] ?? `error-${lastError}`),
      exits: this.vcpu.exits.stats(),
      unassignedPortAccesses: this.unassignedPorts,
      marks: [...this.marks],
      hypercalls: { ...this.hypercalls },
      ...(this.config.input && KVM_INPUT_WORKLOADS.has(this.config.workload) ? { inputEvents: b.getUint32(Boot.inputEventsTaken, true) } : {}),
    };
  }

  private mmioRead(address: number, size: number): void {
    if (address - HYPERCALL_BASE >= 0 && address - HYPERCALL_BASE < HYPERCALL_BYTES) {
      this.unassignedPorts++;
      this.vcpu.completeRead(0, 0);
      return;
    }
    this.cpu.mmioReadHalves(address, size, this.readValue);
    this.vcpu.completeRead(this.readValue[0]!, this.readValue[1]!);
  }

  private mmioWrite(address: number, size: number, lo: number, hi: number): void {
    if (this.inReadOnlyMemory(address)) {
      throw new KvmGuestFault(`write of ${size} bytes to read-only memory at ${hex(address)} (${this.where()})`);
    }
    this.cpu.mmioWriteHalves(address, size, lo, hi);
  }

  private hypercall(call: number, value: number): StepOutcome {
    const name = HYPERCALL_NAMES[call];
    if (name) this.hypercalls[name]!++;
    switch (call) {
      case Hypercall.eoi:
        this.cpu.endOfInterrupt(value & 0xff);
        return 'running';
      case Hypercall.halt:
        // The guest's HLT (ring 3 has none): sleep unless an interrupt was handled since the
        // guest looked (its count moved on), or one is pending (the next entry injects it).
        if (this.block.getUint32(Boot.interruptsHandled, true) === value && this.cpu.irq.waitForInterrupt(100) === 'stopped') return this.finish();
        return 'running';
      case Hypercall.done:
        return this.finish();
      case Hypercall.mark:
        if (this.marks.length < MAX_MARKS) this.marks.push({ value, atMs: performance.now() });
        return 'running';
      case Hypercall.fail:
        throw new KvmGuestFault(`the guest failed (code ${value}): ${this.failMessage()}`);
      default:
        this.unassignedPorts++;
        return 'running';
    }
  }

  private finish(): StepOutcome {
    this.finished = true;
    return 'done';
  }

  private inReadOnlyMemory(address: number): boolean {
    for (const r of this.readOnly) if (address >= r.base && address < r.base + r.size) return true;
    return false;
  }

  private failMessage(): string {
    const bytes = new Uint8Array(this.block.buffer, this.block.byteOffset + Boot.failMessage, Boot.failMessageBytes);
    const end = bytes.indexOf(0);
    const text = Buffer.from(bytes.subarray(0, end < 0 ? bytes.length : end)).toString('latin1');
    const state = this.block.getUint32(Boot.state, true);
    return (text || '(no message)') + (state === GuestState.Failed ? '' : ' (state not set to failed)');
  }

  private where(): string {
    try {
      const r = this.vcpu.registers();
      return `rip ${hex(r.rip)}, rsp ${hex(r.rsp)}, rflags ${hex(r.rflags)}`;
    } catch {
      return 'registers unavailable';
    }
  }
}
