// The end-of-run summary: frames, guest-visible errors by kind, MMIO and interrupt counts. After a
// restore the guests' frame count goes on from the snapshot while every other counter starts at
// zero (docs/snapshots.md): the first line then says which frames this run drew, and its rate
// counts only those.
import { ERROR_NAMES } from '../guest/ts/protocol.js';
import type { VmStats } from '../vmm/vm.js';

/** restoredAtFrames: Vm.restoredAtFrames (null: the VM booted). */
export function summarize(stats: VmStats, elapsedMs: number, restoredAtFrames: number | null = null): string {
  const lines: string[] = [];
  const frames = stats.vcpus.reduce((n, v) => n + (v.guest?.framesDone ?? 0), 0);
  const drawn = frames - (restoredAtFrames ?? 0);
  const since = restoredAtFrames === null ? '' : ` since boot, ${drawn} since the restore`;
  lines.push(`frames: ${frames}${since} in ${(elapsedMs / 1000).toFixed(2)} s (${((drawn * 1000) / Math.max(1, elapsedMs)).toFixed(1)} fps)`);
  for (const v of stats.vcpus) {
    const g = v.guest;
    lines.push(
      `vcpu${v.vcpu} (${v.cpu}): ${v.state}${v.fault ? ` (${v.fault})` : ''}` +
        (g ? `, workload ${g.workload}, ${g.framesDone} frames, ${g.interruptsHandled} interrupts handled, ${g.halts} halts` : ', idle') +
        `; MMIO ${v.bus.reads} reads, ${v.bus.writes} writes, ${v.bus.unassignedReads + v.bus.unassignedWrites} unassigned`,
    );
    if (g && 'exits' in g) {
      const kinds = Object.entries(g.exits.byKind)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`);
      lines.push(`  kvm exits: ${g.exits.total} (${kinds.join(', ') || 'none'}); ${g.exits.injections} interrupts injected`);
    }
  }
  stats.devices.forEach((d, i) => {
    const e = d.engine;
    const errors = (e?.errors ?? []).map((n, code) => [ERROR_NAMES[code] ?? `error-${code}`, n] as const).filter(([, n]) => n > 0);
    lines.push(
      `device${i} (${d.variant}): ${d.mmioReads} MMIO reads, ${d.mmioWrites} writes; ` +
        `interrupts ${d.interrupts.raised} raised, ${d.interrupts.delivered} delivered, ${d.interrupts.droppedWhileDisabled} dropped while disabled`,
    );
    lines.push(
      `  errors: ${errors.length ? errors.map(([k, n]) => `${k} ${n}`).join(', ') : 'none'}` +
        (Object.keys(d.refusals).length
          ? `; host refusals: ${Object.entries(d.refusals)
              .map(([k, n]) => `${k} ${n}`)
              .join(', ')}`
          : ''),
    );
    // Only the GPU backend is named: soft runs read as they always have.
    if (e?.backend === 'vulkan')
      lines.push(
        `  engine: vulkan on ${e.gpu?.name ?? 'a GPU'} (${e.gpu?.type ?? '?'})` +
          (e.deviceFaults > 0 ? `; ${e.deviceFaults} device faults (${e.storeFault})` : ''),
      );
    stats.compositor.displays
      .filter((s) => s.device === i)
      .forEach((s) => {
        lines.push(
          `  display${s.display}: ${s.mode ? `${s.mode.width}x${s.mode.height}` : 'no mode'}, ${s.frames} frames, ${s.encodes} encoded, ${s.coalesced} coalesced, ${s.staleEncodes} stale dropped` +
            (s.vnc ? `; VNC :${s.vnc.port} ${s.vnc.stats.clientsTotal} clients, ${s.vnc.stats.bytesSent} bytes sent` : ''),
        );
      });
  });
  lines.push(`interrupt controller: ${stats.irq.lines.reduce((n, l) => n + l.deliveries, 0) + stats.irq.msiDeliveries} deliveries, ${stats.irq.eois} EOIs`);
  if (stats.bql) {
    const l = stats.bql;
    lines.push(
      `BQL (qemu model): ${l.acquisitions} takes, ${l.contended} contended, ${l.waitMs.toFixed(1)} ms waited, ${l.holdMs.toFixed(1)} ms held; ` +
        `${l.aioWaits} AIO_WAIT_WHILE waits (${l.aioWaitMs.toFixed(1)} ms), ${l.lends} lent to bottom halves (${l.lentMs.toFixed(1)} ms)`,
    );
  }
  if (stats.bigLock) {
    const l = stats.bigLock;
    lines.push(`record lock: ${l.acquisitions} takes, ${l.contended} contended, ${l.waitMs.toFixed(1)} ms waited`);
  }
  return lines.join('\n');
}
