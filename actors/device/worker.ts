// The device actor's worker: serves DeviceActor (device-actor.ts) on this thread.
import { isActorEntry, runActor } from '../runtime/host.js';
import { DeviceActor } from './device-actor.js';

if (isActorEntry(import.meta.url)) await runActor((ctx) => new DeviceActor(ctx));
