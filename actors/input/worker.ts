// The input actor's worker: serves InputActor (input-actor.ts) on this thread.
import { runActor } from '../runtime/host.js';
import { InputActor } from './input-actor.js';

await runActor((ctx) => new InputActor(ctx));
