// The compositor actor's worker: serves CompositorActor (compositor-actor.ts) on this thread.
import { runActor } from '../runtime/host.js';
import { CompositorActor } from './compositor-actor.js';

await runActor((ctx) => new CompositorActor(ctx));
