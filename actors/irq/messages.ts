// The interrupt controller actor's record kinds, control plane and configuration. Devices post
// line changes and MSIs, vCPUs post EOIs; all arguments are u32 words and all are distrusted.
import type { Mailbox } from '../../shared/mailbox/mailbox.js';
import { splitU64 } from '../../shared/mailbox/record.js';
import { IrqEoi, IrqKind, IrqLineLevel, IrqLinePulse, IrqMask, IrqMsi } from '../../abi/generated/irq-records.js';
import type { IrqStats, LineConfig } from './controller.js';

/** Record kinds; their fields are in abi/schema/irq-records.ts. */
export { IrqKind };

export interface IrqConfig {
  lines: LineConfig[];
  /** One VcpuIrqState buffer per vCPU, indexed by vCPU number. */
  vcpus: SharedArrayBuffer[];
  /**
   * The interrupt table (createInterruptTable(lines, vcpus.length)) that devices deliver MSIs and
   * edge pulses through and vCPUs EOI edge vectors in; absent: the actor makes its own.
   */
  table?: SharedArrayBuffer;
}

export interface IrqActorStats extends IrqStats {
  vcpus: number;
  /** Records of a kind this actor does not know (ignored). */
  unknownRecords: number;
}

export interface IrqControl {
  /** Replaces the lines and vCPUs (all line state and counters start over); throws on a bad config. */
  configure(config: IrqConfig): void;
  stats(): IrqActorStats;
  /** For vm.pause(): idle once its mailbox is drained (a delivery is a few atomics, never pending). */
  activity(): { idle: boolean; busy: string[]; counters: number[] };
  /** A system reset: every line back to its configured, idle state and every counter to zero (the shared table in place). */
  reset(): void;
}

export function postLinePulse(mailbox: Mailbox, line: number): void {
  IrqLinePulse.post(mailbox, line);
}

export function postLineLevel(mailbox: Mailbox, line: number, high: boolean): void {
  IrqLineLevel.post(mailbox, line, high);
}

export function postMsi(mailbox: Mailbox, address: number, data: number): void {
  const [lo, hi] = splitU64(address);
  IrqMsi.post(mailbox, lo, hi, data);
}

export function postEoi(mailbox: Mailbox, vcpu: number, vector: number): void {
  IrqEoi.post(mailbox, vcpu, vector);
}

export function postMask(mailbox: Mailbox, line: number, masked: boolean): void {
  IrqMask.post(mailbox, line, masked);
}
