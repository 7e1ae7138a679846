// A snapshot's engine sections checked on the loading thread, before any thread starts
// (docs/snapshots.md, "Restore"): each through the addon's checkEngineState, the same decoder
// the engine's loadState runs, against the limits that device's engine will have over the
// restored guest memory. Then the engine's view of its tasks is held against the device actor's
// task space, saved at the same quiescent point: the same tasks, each of the same size with the
// same mappings (va = the task space's offset, guest address, length, access). A file whose two
// sections disagree is refused naming both: each side alone would load, and the guest would see
// callbacks for tasks the host does not know refused as errors.
import { engineStateLimits } from '../../actors/device/engine-start.js';
import type { TaskSpaceState } from '../../actors/device/task-space.js';
import type { GuestMemory } from '../../shared/guest-memory/index.js';
import { native } from '../../shared/native/addon.js';
import type { EngineStateSummary } from '../../shared/native/types.js';
import type { ResolvedConfig } from '../config.js';
import { sectionName } from './container.js';
import { SnapshotFormatError } from './errors.js';
import { SectionKind } from './layout.js';

/** Device i's engine section, decoded and checked; SnapshotFormatError (section engine i) when refused. */
export function checkEngineSection(bytes: Uint8Array, config: ResolvedConfig, i: number, memory: GuestMemory): EngineStateSummary {
  const answer = native.checkEngineState(bytes, engineStateLimits(memory, config.devices[i]!, config.limits));
  if ('part' in answer) throw new SnapshotFormatError(sectionName(SectionKind.Engine, i), `${answer.part}: ${answer.reason}`);
  return answer;
}

/** The part a disagreement between device i's engine and task space is refused with. */
export const engineTaskSpacePart = (i: number) => `${sectionName(SectionKind.Engine, i)} and ${sectionName(SectionKind.TaskSpace, i)}`;

const mappingText = (m: { va: number; gpa: number; length: number; readOnly: boolean }) =>
  `0x${m.va.toString(16)}+0x${m.length.toString(16)} at 0x${m.gpa.toString(16)}${m.readOnly ? ' ro' : ''}`;

/** Throws SnapshotFormatError naming both sections when device i's engine and task space do not hold the same tasks and mappings. */
export function crossCheckEngineTasks(engine: EngineStateSummary, space: TaskSpaceState, i: number): void {
  const fail = (reason: string): never => {
    throw new SnapshotFormatError(engineTaskSpacePart(i), reason);
  };
  const ids = (list: readonly { id: number }[]) => list.map((t) => t.id).sort((a, b) => a - b);
  const engineIds = ids(engine.tasks);
  const spaceIds = ids(space.tasks);
  if (engineIds.join() !== spaceIds.join()) fail(`the engine has tasks [${engineIds.join(', ')}], the task space [${spaceIds.join(', ')}]`);
  const byId = new Map(space.tasks.map((t) => [t.id, t]));
  for (const t of engine.tasks) {
    const s = byId.get(t.id)!;
    if (t.size !== s.vmSize) fail(`task ${t.id}: ${t.size} bytes in the engine, ${s.vmSize} in the task space`);
    const a = [...t.mappings].sort((x, y) => x.va - y.va).map(mappingText);
    const b = [...s.mappings].sort((x, y) => x.offset - y.offset).map((m) => mappingText({ ...m, va: m.offset }));
    for (let n = 0; n < Math.max(a.length, b.length); n++)
      if (a[n] !== b[n]) fail(`task ${t.id}: mapping ${n} is ${a[n] ?? 'none'} in the engine, ${b[n] ?? 'none'} in the task space`);
  }
}
