// The machine as one line (under chart titles, at the top of a report) and as a folder name.
import type { MachineInfo } from '../machine.js';

export function machineLine(m: MachineInfo): string {
  return `${m.cpus} × ${m.cpu_model}, ${m.memory_gib} GiB, Node ${m.node}, ${m.platform}`;
}

// Words every CPU model repeats: left out so the slug names the part ("Intel(R) Xeon(R) Processor" → xeon).
const NOISE = new Set(['intel', 'amd', 'apple', 'cpu', 'processor', 'core', 'with', 'radeon', 'graphics', 'r', 'tm']);

/**
 * A short folder-safe name: the model's first two telling words and the CPU count
 * ("xeon16", "epyc-7763x64"), as in bench/results/xeon16-2026-11-21.
 */
export function machineSlug(m: MachineInfo): string {
  const words = m.cpu_model
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w && !NOISE.has(w) && !/^\d+(ghz|mhz)$/.test(w));
  const name = words.slice(0, 2).join('-') || 'machine';
  return /\d$/.test(name) ? `${name}x${m.cpus}` : `${name}${m.cpus}`;
}
