// The interrupt controller actor's worker: serves IrqActor (irq-actor.ts) on this thread.
import { runActor } from '../runtime/host.js';
import { IrqActor } from './irq-actor.js';

await runActor((ctx) => new IrqActor(ctx));
