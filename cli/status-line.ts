// The text of `pvg-vmm run`'s live status line, from two stats snapshots: rates and read latency
// over the time between them, mailbox depths as of the later one. Pure, so it is tested apart
// from the terminal.
import { latencyQuantileUs, type ReadLatencyStats } from '../actors/vcpu/read-latency.js';
import type { VmStats } from '../vmm/vm.js';

/**
 * One line: frames/s (the guests' and the compositor's kept frames), MMIO read latency p50/p99,
 * interrupts delivered/s and the deepest mailbox, cut to `width` columns. `from` null counts
 * from zero (the first line, before there is an earlier snapshot).
 */
export function formatStatusLine(from: VmStats | null, to: VmStats, ms: number, width: number): string {
  const perSecond = (now: number, then: number) => (ms > 0 ? (since(now, then) * 1000) / ms : null);
  const fps = perSecond(guestFrames(to), from ? guestFrames(from) : 0);
  const kept = perSecond(keptFrames(to), from ? keptFrames(from) : 0);
  const irqs = perSecond(deliveries(to), from ? deliveries(from) : 0);
  const buckets = latencyDelta(to, from);
  const p50 = buckets && latencyQuantileUs(buckets, 0.5);
  const p99 = buckets && latencyQuantileUs(buckets, 0.99);
  const deepest = deepestMailbox(to);
  const parts = [
    `${rate(fps)} fps (${rate(kept)} kept)`,
    p50 == null ? 'no MMIO reads' : `MMIO read p50 ${micros(p50)} p99 ${micros(p99!)}`,
    `${irqs == null ? '-' : Math.round(irqs)} irq/s`,
    deepest ? `deepest mailbox ${deepest.name} ${deepest.depth}/${deepest.capacity}` : 'deepest mailbox -',
  ];
  return truncate(parts.join(' | '), width);
}

/** Cuts a line to `width` columns, marking the cut. */
export function truncate(line: string, width: number): string {
  if (line.length <= width) return line;
  return width >= 1 ? `${line.slice(0, width - 1)}…` : '';
}

const guestFrames = (s: VmStats) => s.vcpus.reduce((n, v) => n + (v.guest?.framesDone ?? 0), 0);
const keptFrames = (s: VmStats) => s.compositor.displays.reduce((n, d) => n + d.encodes, 0);
const deliveries = (s: VmStats) => s.irq.lines.reduce((n, l) => n + l.deliveries, 0) + s.irq.msiDeliveries;

/** Every vCPU's read-latency buckets summed, less the earlier snapshot's; null if none are reported. */
function latencyDelta(to: VmStats, from: VmStats | null): number[] | null {
  const sum = (s: VmStats) => {
    const all = s.vcpus.map((v) => v.bus.readLatency as ReadLatencyStats | undefined).filter((l) => l !== undefined);
    if (all.length === 0) return null;
    return all.reduce<number[]>((acc, l) => (l.buckets.forEach((c, i) => (acc[i] = (acc[i] ?? 0) + c)), acc), []);
  };
  const now = sum(to);
  if (!now) return null;
  const then = from ? sum(from) : null;
  return now.map((c, i) => since(c, then?.[i] ?? 0));
}

/** A counter's growth; one that went down started over (a new workload on a vCPU), so it grew from zero. */
const since = (now: number, then: number) => (now >= then ? now - then : now);

function deepestMailbox(s: VmStats): { name: string; depth: number; capacity: number } | null {
  const boxes = [...s.devices.map((d, i) => ({ name: `device${i}`, ...d.mailbox })), { name: 'compositor', ...s.compositor.mailbox }];
  return boxes.reduce<(typeof boxes)[number] | null>((best, b) => (b.depth !== undefined && (!best || b.depth > best.depth) ? b : best), null);
}

/** One decimal where it matters. */
const rate = (r: number | null) => (r == null ? '-' : r < 100 ? r.toFixed(1) : String(Math.round(r)));

function micros(us: number): string {
  if (us >= 1000) return `${(us / 1000).toFixed(1)}ms`;
  return us < 10 ? `${us.toFixed(1)}µs` : `${Math.round(us)}µs`;
}
