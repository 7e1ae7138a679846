// The built-in TypeScript guest as a CPU backend: finds its device (MMIO windows, or PCI config
// space, BAR sizing and MSI), starts the ring, then runs a workload frame by frame. Each frame
// ends with a fence that raises an interrupt; the guest keeps at most two frames in flight and
// sleeps (HLT) on its interrupt state until the older one completes, one halt per step.
import { APPLE_VENDOR_ID, MSI_CAP_ID } from '../../abi/generated/machine.js';
import type { CpuBackend, StepOutcome, VcpuServices } from '../../actors/vcpu/cpu-backend.js';
import {
  MSI_ADDRESS_BASE,
  MSI_VECTORS_ENABLED,
  PCI_BAR_BASE,
  PCI_BAR_STRIDE,
  deviceVectors,
  ecamBase,
  mmioGfxBase,
  mmioIosfcBase,
  virtioMmioBase,
  virtioPciBarBase,
  virtioPciEcamBase,
  virtioPciIntxVector,
  virtioPciVectors,
  virtioVector,
} from '../../machine/memory-map.js';
import { type DisplayModeInfo, DriverError, type DriverState, PvgDriver, type MmioPort } from './driver.js';
import { GuestInputDevices, type GuestInputState } from './guest-input.js';
import { PageAllocator } from './page-allocator.js';
import { IrqCause, Reg } from './protocol.js';
import { Rng } from './rng.js';
import { VirtioInputGuestDriver, checkSavedDriver, type VirtioInputDriverState } from './virtio-input.js';
import type { GuestVirtioTransport } from './virtio-transport.js';
import { GuestVirtioMmio } from './virtio-mmio-guest.js';
import { GuestVirtioPci } from './virtio-pci-guest.js';
import { VIRTIO_ID_INPUT } from '../../abi/generated/virtio.js';
import { WORKLOADS, type GuestEnv, type Workload } from './workloads/index.js';

export interface GuestProgramConfig {
  device: number;
  variant: 'apple-gfx-mmio' | 'apple-gfx-pci';
  workload: string;
  frames: number;
  seed: number;
  mode: number;
  /** The band workload's share of the frame redrawn each frame, in percent. */
  damagePercent?: number;
  /** Guest RAM this vCPU's guest may allocate from. */
  ramBase: number;
  ramEnd: number;
  /** The virtio-input devices bound to the device's display 0 (their indices on the virtio bus, and their transport), if it has them. */
  input?: {
    keyboard: number;
    tablet: number;
    transport: 'mmio' | 'pci';
    /** virtio-pci: INTx with MSI-X left off (default MSI-X). */ interrupts?: 'msix' | 'intx';
  };
}

export interface GuestStats {
  workload: string;
  framesDone: number;
  interruptsHandled: number;
  /**
   * Interrupts handled by the device's vector they came on, relative to the device's first (PCI:
   * its MSI block, one vector per cause: 0 fence, 1 error, 2 ring idle; MMIO: 0 the gfx line, 1 the iosfc line).
   * The TypeScript guest only (the machine-code guest counts interrupts, not vectors).
   */
  interruptsByVector?: Record<number, number>;
  deviceErrorsSeen: number;
  halts: number;
  lastError: string | null;
  /** Input events the guest's virtio-input drivers took (keyboard and tablet; absent without input devices). */
  inputEvents?: number;
}

/**
 * The program's state between two steps (a snapshot: program-snapshot.ts), what a real guest
 * keeps in RAM and registers: where it is in the workload, the fence it waits for, its driver's
 * ring, its allocator, its RNG, the modes it probed, and the workload's own numbers. null fields
 * before the boot step ran. The device's and RAM's state are saved with them, not here.
 */
export interface GuestProgramState {
  readonly booted: boolean;
  readonly frame: number;
  readonly finished: boolean;
  readonly fenceWait: { readonly value: number; readonly last: boolean } | null;
  readonly displayModes: readonly (readonly DisplayModeInfo[])[];
  readonly mode: number;
  readonly rng: number;
  readonly pagesNext: number;
  readonly driver: DriverState;
  readonly workload: readonly number[];
  /** The virtio-input drivers (null: the guest drives none). */
  readonly input: GuestInputState | null;
  readonly stats: Omit<GuestStats, 'workload'>;
}

const FENCE_TIMEOUT_MS = 30_000;

export class GuestProgram implements CpuBackend {
  private driver: PvgDriver | null = null;
  private env: GuestEnv | null = null;
  private readonly workload: Workload;
  private frame = 0;
  private finished = false;
  private readonly s: GuestStats & { interruptsByVector: Record<number, number> };
  /** The device's first vector (PCI: its MSI block; MMIO: its gfx line's). */
  private firstVector = 0;
  /** The fence the guest waits for before it goes on, and until when. */
  private fenceWait: { value: number; last: boolean; deadline: number } | null = null;
  /** The virtio-input drivers by vector (none without input devices). */
  private readonly virtio = new Map<number, VirtioInputGuestDriver>();
  /** The keyboard and tablet the workload reads (null without input devices). */
  private inputDevices: GuestInputDevices | null = null;

  constructor(
    private readonly cpu: VcpuServices,
    private readonly config: GuestProgramConfig,
  ) {
    const workload = WORKLOADS[config.workload];
    if (!workload) throw new DriverError(`unknown workload ${config.workload}`);
    this.workload = workload;
    this.s = { workload: config.workload, framesDone: 0, interruptsHandled: 0, interruptsByVector: {}, deviceErrorsSeen: 0, halts: 0, lastError: null };
  }

  step(): StepOutcome {
    if (this.finished || this.cpu.irq.stopRequested) return 'done';
    if (!this.env) {
      this.boot();
      return 'running';
    }
    // A fence to wait for first: one halt per step, so the vCPU actor serves its control plane
    // (stats, stop) between halts instead of only once the fence arrives.
    if (this.fenceWait !== null) return this.fenceReached() ? this.fenceDone() : 'running';
    if (this.frame < this.config.frames) {
      const n = this.frame++;
      this.workload.frame(this.env, n);
      this.driver!.fence(n + 1, true);
      this.driver!.flush();
      this.startFenceWait(n); // two frames in flight at most
      return 'running';
    }
    this.startFenceWait(this.config.frames, true);
    return this.fenceWait === null && this.finished ? 'done' : 'running';
  }

  stats(): GuestStats {
    const inputEvents = this.virtio.size > 0 ? { inputEvents: [...new Set(this.virtio.values())].reduce((n, d) => n + d.eventsTaken, 0) } : {};
    return { ...this.s, interruptsByVector: { ...this.s.interruptsByVector }, ...inputEvents };
  }

  /** The program's state between steps (see GuestProgramState). */
  saveState(): GuestProgramState {
    const { workload: _, ...stats } = this.stats();
    const env = this.env;
    return {
      booted: env !== null,
      frame: this.frame,
      finished: this.finished,
      fenceWait: this.fenceWait && { value: this.fenceWait.value, last: this.fenceWait.last },
      displayModes: env ? env.displayModes.map((d) => d.map((m) => ({ ...m }))) : [],
      mode: env ? env.mode : 0,
      rng: env ? env.rng.saveState() : 0,
      pagesNext: env ? env.driver.pages.saveState() : this.config.ramBase,
      driver: env ? env.driver.saveState() : { ring: false, ringGpa: 0, payload: 0, tail: 0, head: 0, dirty: false },
      workload: env && this.workload.saveState ? this.workload.saveState(env) : [],
      input: this.inputDevices?.saveState() ?? null,
      stats,
    };
  }

  /**
   * Takes a saved state into a program that has not stepped yet, with no MMIO (the device was
   * restored with it): the next step continues where the saved one stopped. Returns why not (and
   * changes nothing) when the state cannot be this program's: its configuration, RAM or workload.
   */
  loadState(state: GuestProgramState): string | null {
    if (this.env !== null || this.frame !== 0) return 'the program has already run';
    if (state.frame > this.config.frames) return `frame ${state.frame} of a ${this.config.frames}-frame workload`;
    if (!state.booted) return state.frame === 0 && !state.finished && state.fenceWait === null && state.input === null ? null : 'progress before the boot';
    const input = this.config.input && this.workload.usesInput ? this.config.input : null;
    if ((input === null) !== (state.input === null))
      return input ? 'no virtio-input drivers, and this guest drives its display’s input devices' : 'virtio-input drivers, and this guest drives none';
    const modes = state.displayModes[0];
    if (!modes || modes.length === 0) return 'no display modes';
    if (state.mode >= modes.length) return `mode ${state.mode} of ${modes.length}`;
    const { driver, env } = this.build(state.displayModes);
    if (!driver.pages.loadState(state.pagesNext)) return `allocator at 0x${state.pagesNext.toString(16)}, outside this guest's RAM`;
    // The mode first: a workload's state is checked against the frame it draws in.
    env.mode = state.mode;
    const bad =
      driver.loadState(state.driver) ??
      (this.workload.loadState
        ? this.workload.loadState(env, state.workload)
        : state.workload.length === 0
          ? null
          : 'workload words for a workload that keeps none');
    if (bad !== null) return bad;
    if (input && state.input) {
      const restoredInput = this.restoreInput(input, state.input, { base: this.config.ramBase, next: state.pagesNext });
      if (typeof restoredInput === 'string') return restoredInput;
      env.input = restoredInput.devices;
      this.inputDevices = restoredInput.devices;
      for (const [v, d] of restoredInput.byVector) this.virtio.set(v, d);
    }
    env.rng.loadState(state.rng);
    this.driver = driver;
    this.env = env;
    this.frame = state.frame;
    this.finished = state.finished;
    this.fenceWait = state.fenceWait && { ...state.fenceWait, deadline: performance.now() + FENCE_TIMEOUT_MS };
    Object.assign(this.s, state.stats, { interruptsByVector: { ...state.stats.interruptsByVector } });
    return null;
  }

  private boot(): void {
    if (this.config.variant === 'apple-gfx-pci') this.setUpPci();
    const probe = new PvgDriver(this.port(), this.cpu.memory, this.where().gfxBase, new PageAllocator(this.config.ramBase, this.config.ramEnd), null);
    const info = probe.probe();
    const { driver, env } = this.build(info.displays);
    if (env.modes.length === 0) throw new DriverError('the device has no display');
    // Like a driver loading: start from a reset device, whatever an earlier guest left behind.
    driver.reset();
    driver.startRing(256 * 1024);
    driver.setReg(Reg.IrqMask, IrqCause.Fence | IrqCause.Error);
    this.driver = driver;
    // The virtio-input drivers' queues come after the GPU driver's pages (workloads that take input only).
    if (this.config.input && this.workload.usesInput) env.input = this.inputDevices = this.setUpInput(this.config.input, driver.pages);
    this.env = env;
    this.workload.setup(this.env);
    driver.flush();
  }

  private port(): MmioPort {
    return {
      read32: (a) => this.cpu.mmioRead(a, 4) >>> 0,
      write32: (a, v) => this.cpu.mmioWrite(a, 4, v),
    };
  }

  /** Where the device is and which vectors are its (fixed by the configuration and the machine's layout). */
  private where(): { gfxBase: number; iosfc: number | null; firstVector: number } {
    const { device } = this.config;
    const vectors = deviceVectors(device);
    if (this.config.variant === 'apple-gfx-pci') return { gfxBase: PCI_BAR_BASE + device * PCI_BAR_STRIDE, iosfc: null, firstVector: vectors.msi };
    return { gfxBase: mmioGfxBase(device), iosfc: mmioIosfcBase(device), firstVector: vectors.gfx };
  }

  /** A driver and workload environment over the probed (or saved) modes, touching no device. */
  private build(displayModes: readonly (readonly DisplayModeInfo[])[]): { driver: PvgDriver; env: GuestEnv } {
    const { gfxBase, iosfc, firstVector } = this.where();
    this.firstVector = firstVector;
    const driver = new PvgDriver(this.port(), this.cpu.memory, gfxBase, new PageAllocator(this.config.ramBase, this.config.ramEnd), iosfc);
    const displays = displayModes.map((d) => d.map((m) => ({ ...m })));
    const modes = displays[0] ?? [];
    const env: GuestEnv = {
      driver,
      rng: new Rng(this.config.seed),
      modes,
      displayModes: displays,
      mode: Math.max(0, Math.min(this.config.mode, modes.length - 1)),
      damagePercent: this.config.damagePercent ?? 100,
      rawRead: (a, s) => this.cpu.mmioRead(a, s),
      rawWrite: (a, s, v) => this.cpu.mmioWrite(a, s, v),
      gfxBase,
      input: null,
      idle: (ms) => this.halt(ms),
    };
    return { driver, env };
  }

  /** Probes and starts the keyboard's and tablet's virtio drivers (virtio-input.ts). */
  private setUpInput(input: NonNullable<GuestProgramConfig['input']>, pages: PageAllocator): GuestInputDevices {
    const start = (k: number) => {
      const d = new VirtioInputGuestDriver(this.virtioTransport(input, k), this.cpu.memory, pages);
      for (const v of d.vectors) this.virtio.set(v, d);
      return d;
    };
    return new GuestInputDevices(
      start(input.keyboard),
      start(input.tablet),
      (ms) => this.halt(ms),
      () => this.cpu.irq.stopRequested,
    );
  }

  /**
   * The keyboard's and tablet's drivers as saved (no device access: the devices were restored
   * with them), each checked against this guest's RAM and placement; or why they cannot be.
   */
  private restoreInput(
    input: NonNullable<GuestProgramConfig['input']>,
    saved: GuestInputState,
    ram: { base: number; next: number },
  ): { devices: GuestInputDevices; byVector: Map<number, VirtioInputGuestDriver> } | string {
    const byVector = new Map<number, VirtioInputGuestDriver>();
    const restore = (k: number, s: VirtioInputDriverState, which: string): VirtioInputGuestDriver => {
      const bad = checkSavedDriver(s, ram);
      if (bad !== null) throw new DriverError(`${which}: ${bad}`);
      if (input.transport === 'mmio' && s.transport.length !== 0) throw new DriverError(`${which}: virtio-pci words for a virtio-mmio device`);
      const transport = this.virtioTransport(input, k, s.transport);
      const d = new VirtioInputGuestDriver(transport, this.cpu.memory, s);
      for (const v of d.vectors) byVector.set(v, d);
      return d;
    };
    try {
      const devices = new GuestInputDevices(
        restore(input.keyboard, saved.keyboard, 'keyboard'),
        restore(input.tablet, saved.tablet, 'tablet'),
        (ms) => this.halt(ms),
        () => this.cpu.irq.stopRequested,
      );
      if (!devices.loadPointer(saved.pointer)) return 'tablet: a pointer state that cannot be one';
      return { devices, byVector };
    } catch (err) {
      if (err instanceof DriverError) return err.message;
      throw err;
    }
  }

  /** Input device k's transport: probed, or (saved words) as a restored guest had found it. */
  private virtioTransport(input: NonNullable<GuestProgramConfig['input']>, k: number, saved?: readonly number[]): GuestVirtioTransport {
    const port = { read: (a: number, s: number) => this.cpu.mmioRead(a, s), write: (a: number, s: number, v: number) => this.cpu.mmioWrite(a, s, v) };
    return input.transport === 'pci'
      ? new GuestVirtioPci(
          port,
          {
            ecam: virtioPciEcamBase(k),
            bar: virtioPciBarBase(k),
            msiAddress: MSI_ADDRESS_BASE | (this.cpu.vcpu << 12),
            vectors: virtioPciVectors(k),
            interrupts: input.interrupts ?? 'msix',
            intxVector: virtioPciIntxVector(k),
          },
          VIRTIO_ID_INPUT,
          saved,
        )
      : new GuestVirtioMmio(port, virtioMmioBase(k), VIRTIO_ID_INPUT, virtioVector(k), saved === undefined);
  }

  /** Sleeps until an interrupt (at most `ms`) and handles what came. */
  private halt(ms: number): void {
    this.s.halts++;
    if (this.cpu.irq.waitForInterrupt(Math.max(0, ms)) !== 'stopped') this.handleInterrupts();
  }

  /**
   * PCI enumeration as a firmware would: check the ID, size and place BAR0, enable MSI with
   * MSI_VECTORS_ENABLED vectors of those offered (fewer if it offers fewer) in an aligned block.
   */
  private setUpPci(): void {
    const cfg = ecamBase(this.config.device);
    const rd = (o: number, s: number) => this.cpu.mmioRead(cfg + o, s);
    const wr = (o: number, s: number, v: number) => this.cpu.mmioWrite(cfg + o, s, v);
    if ((rd(0x00, 2) & 0xffff) !== APPLE_VENDOR_ID) throw new DriverError(`no apple-gfx-pci at config 0x${cfg.toString(16)}`);
    wr(0x10, 4, 0xffffffff);
    const size = (~(rd(0x10, 4) & 0xfffffff0) + 1) >>> 0;
    if (size === 0 || (size & (size - 1)) !== 0) throw new DriverError(`BAR0 reports a bad size 0x${size.toString(16)}`);
    const bar = PCI_BAR_BASE + this.config.device * PCI_BAR_STRIDE;
    wr(0x10, 4, bar);
    let cap = rd(0x34, 1) & 0xfc;
    while (cap !== 0 && (rd(cap, 1) & 0xff) !== MSI_CAP_ID) cap = rd(cap + 1, 1) & 0xfc;
    if (cap === 0) throw new DriverError('no MSI capability');
    wr(cap + 4, 4, MSI_ADDRESS_BASE | (this.cpu.vcpu << 12));
    wr(cap + 8, 4, 0);
    wr(cap + 12, 2, deviceVectors(this.config.device).msi);
    const flags = rd(cap + 2, 2);
    const enable = Math.min((flags >> 1) & 7, Math.log2(MSI_VECTORS_ENABLED));
    wr(cap + 2, 2, (flags & ~0x70) | (enable << 4) | 1);
    wr(0x04, 2, rd(0x04, 2) | 0x6); // memory space and bus master
  }

  /** Waits for FENCE_COMPLETED to reach `value`; `last`: the wait after the last frame. */
  private startFenceWait(value: number, last = false): void {
    this.fenceWait = { value, last, deadline: performance.now() + FENCE_TIMEOUT_MS };
    if (this.fenceReached()) this.fenceDone();
  }

  private fenceDone(): StepOutcome {
    const { last } = this.fenceWait!;
    this.fenceWait = null;
    this.s.framesDone = this.frame;
    if (!last) return 'running';
    this.finished = true;
    return 'done';
  }

  /**
   * Whether FENCE_COMPLETED has reached the awaited value; if not, sleeps on interrupts once
   * (at most 100 ms), handling each interrupt.
   */
  private fenceReached(): boolean {
    const { value, deadline } = this.fenceWait!;
    const d = this.driver!;
    if (((d.completedFence() - value) | 0) >= 0) {
      this.handleInterrupts();
      return true;
    }
    if (performance.now() > deadline) throw new DriverError(`fence ${value} not reached in ${FENCE_TIMEOUT_MS / 1000} s`);
    this.s.halts++;
    if (this.cpu.irq.waitForInterrupt(100) !== 'stopped') this.handleInterrupts();
    return false;
  }

  private handleInterrupts(): void {
    const d = this.driver!;
    for (let vector = this.cpu.irq.takeHighest(); vector >= 0; vector = this.cpu.irq.takeHighest()) {
      const virtio = this.virtio.get(vector);
      if (virtio) {
        // A level (virtio-mmio): acknowledged at the device first, so the EOI does not find it still high.
        virtio.acknowledge(vector);
        this.s.interruptsHandled++;
        this.cpu.endOfInterrupt(vector);
        continue;
      }
      const causes = d.takeIrqCauses();
      if (causes & IrqCause.Error) {
        this.s.deviceErrorsSeen++;
        this.s.lastError = d.errors().name;
        d.ackErrors();
      }
      this.s.interruptsHandled++;
      const which = vector - this.firstVector;
      this.s.interruptsByVector[which] = (this.s.interruptsByVector[which] ?? 0) + 1;
      this.cpu.endOfInterrupt(vector);
    }
  }
}
