// Per-thread CPU time of this process, read from /proc (Linux): every actor names its thread
// (device0, vcpu3, compositor, irq) and the engine names its own (pvg-mmio, pvg-pool-N,
// pvg-display), so a benchmark can say which role burns the cores and whether one thread is
// saturated (a serial bottleneck) while the others wait. Spinning counts as CPU time here,
// exactly as it costs a core.
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time in ms by thread id, with the thread's name, at one instant. */
export type ThreadCpuSample = Map<number, { name: string; cpuMs: number }>;

const TICKS_PER_SECOND = 100; // USER_HZ: the unit of utime/stime in /proc, 100 on Linux.

/** Reads every thread of this process; empty where /proc is not there. */
export function sampleThreadCpu(): ThreadCpuSample {
  const sample: ThreadCpuSample = new Map();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return sample;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // The name sits in parentheses and may hold spaces; the fields after it are space-separated.
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the name.
      const ticks = Number(fields[11]) + Number(fields[12]);
      sample.set(Number(tid), { name, cpuMs: (ticks * 1000) / TICKS_PER_SECOND });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return sample;
}

/** A thread's role: its name without the per-device number (device3 → device, pvg-pool-2 → pvg-pool). */
export function threadRole(name: string): string {
  return name.replace(/-?\d+$/, '') || name;
}

export interface RoleCpu {
  role: string;
  threads: number;
  /** CPU ms of all the role's threads over the interval. */
  cpuMs: number;
  /** The busiest thread of the role: its CPU time over the interval's wall time (1 = one core). */
  busiestShare: number;
}

/**
 * CPU by role between two samples over `wallMs`. Threads that started inside the interval count
 * from zero; threads that ended inside it are lost (their time is gone from /proc).
 */
export function cpuByRole(before: ThreadCpuSample, after: ThreadCpuSample, wallMs: number): RoleCpu[] {
  const roles = new Map<string, RoleCpu>();
  for (const [tid, now] of after) {
    const delta = now.cpuMs - (before.get(tid)?.cpuMs ?? 0);
    const role = threadRole(now.name);
    const r = roles.get(role) ?? { role, threads: 0, cpuMs: 0, busiestShare: 0 };
    r.threads++;
    r.cpuMs += delta;
    r.busiestShare = Math.max(r.busiestShare, wallMs > 0 ? delta / wallMs : 0);
    roles.set(role, r);
  }
  return [...roles.values()].sort((a, b) => b.cpuMs - a.cpuMs);
}
