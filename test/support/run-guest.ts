// Runs one engine script on a guest thread against an EngineRig and returns its result.
import { GFX_BASE, IOSFC_BASE, RAM_BASE, type EngineRig } from './engine-rig.js';
import { exited, nextMessage, startWorker } from './spawn.js';

export async function runGuest<T>(rig: EngineRig, script: string, param?: unknown): Promise<T> {
  const worker = startWorker('test/support/engine-guest', {
    ...rig.guestData(),
    script,
    param,
    gfxBase: GFX_BASE,
    iosfcBase: IOSFC_BASE,
    ramBase: RAM_BASE,
    ramSize: rig.ramSize,
  });
  const reply = await nextMessage<{ ok: boolean; result?: T; error?: string }>(worker);
  await exited(worker);
  if (!reply.ok) throw new Error(`guest script ${script} failed: ${reply.error}`);
  return reply.result as T;
}
