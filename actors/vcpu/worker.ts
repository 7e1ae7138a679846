// The vCPU actor's worker: serves VcpuActor (vcpu-actor.ts) on this thread.
import { runActor } from '../runtime/host.js';
import { VcpuActor } from './vcpu-actor.js';

await runActor((ctx) => new VcpuActor(ctx));
