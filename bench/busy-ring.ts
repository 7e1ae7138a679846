// The parent's side of bench/workers/busy-ring.ts: start one on an external vCPU of a VM and send
// it commands, one at a time. Shared by `bench preempt` and test/vmm/preempt.test.ts.
import { MessageChannel, Worker } from 'node:worker_threads';

import { RAM_BASE } from '../machine/memory-map.js';
import { compiledModuleUrl } from '../shared/package-root.js';
import type { Vm } from '../vmm/vm.js';
import type { BusyRingCommand, BusyRingData, ControlResult, FillResult, ProbeResult, ReadBehindResult, ReadsResult } from './workers/busy-ring.js';

export type { ControlResult, FillResult, ProbeResult, ReadBehindResult, ReadsResult };

export interface BusyRingOptions {
  width: number;
  height: number;
  /** Ring bytes (the largest the protocol allows: 1 MiB). */
  ringBytes?: number;
  /** Where this vCPU's guest RAM starts, relative to RAM_BASE (the ring, then the image 2 MiB up). */
  ramOffset?: number;
  device?: number;
}

type Result<C extends BusyRingCommand['op']> = C extends 'fill'
  ? FillResult
  : C extends 'reset' | 'stopRing'
    ? ControlResult
    : C extends 'reads'
      ? ReadsResult
      : C extends 'readBehind'
        ? ReadBehindResult
        : C extends 'probe'
          ? ProbeResult
          : { op: C };

export class BusyRingVcpu {
  private readonly worker: Worker;
  private readonly channel = new MessageChannel();
  private readonly commands = new Int32Array(new SharedArrayBuffer(4));
  private pending: Promise<unknown> = Promise.resolve();

  /**
   * `signal`: one word shared by a guest and its reader (the RESETs the guest posted, which the
   * reader's `readBehind` waits for): pass the guest's `signal` to its reader.
   */
  constructor(
    vm: Vm,
    externalVcpu: number,
    options: BusyRingOptions,
    readonly signal: Int32Array = new Int32Array(new SharedArrayBuffer(4)),
  ) {
    const data: BusyRingData = {
      config: vm.externalVcpu(externalVcpu),
      port: this.channel.port2,
      commands: this.commands.buffer,
      signal: signal.buffer as SharedArrayBuffer,
      device: options.device ?? 0,
      ramBase: RAM_BASE + (options.ramOffset ?? 0),
      width: options.width,
      height: options.height,
      ringBytes: options.ringBytes ?? 1024 * 1024,
    };
    this.worker = new Worker(compiledModuleUrl('bench/workers/busy-ring'), { workerData: data, transferList: [this.channel.port2] });
    this.worker.unref();
  }

  /** Sends one command; commands queue behind each other. Rejects with the worker's error. */
  send<C extends BusyRingCommand>(cmd: C): Promise<Result<C['op']>> {
    const next = this.pending.then(
      () =>
        new Promise<Result<C['op']>>((resolve, reject) => {
          const onMessage = (m: { op: string; error?: string }) => {
            cleanup();
            if (m.error) reject(new Error(`busy-ring ${cmd.op}: ${m.error}`));
            else resolve(m as Result<C['op']>);
          };
          const onError = (e: Error) => {
            cleanup();
            reject(e);
          };
          const onExit = (code: number) => {
            cleanup();
            reject(new Error(`busy-ring worker exited with ${code} during ${cmd.op}`));
          };
          const cleanup = () => {
            this.worker.off('message', onMessage);
            this.worker.off('error', onError);
            this.worker.off('exit', onExit);
          };
          this.worker.on('message', onMessage);
          this.worker.on('error', onError);
          this.worker.on('exit', onExit);
          this.channel.port1.postMessage(cmd);
          Atomics.add(this.commands, 0, 1);
          Atomics.notify(this.commands, 0);
        }),
    );
    this.pending = next.catch(() => undefined);
    return next;
  }

  /** Ends the worker (a blocked MMIO wait is cut short too). */
  async close(): Promise<void> {
    await this.worker.terminate();
    this.channel.port1.close();
  }
}
