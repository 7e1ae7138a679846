// A compositor that hangs (test/vmm/faults.test.ts): the production actor's behaviour, wrapped so
// that its thread busy-waits once, for `ms`, after it handled `afterRecords` records; its mailbox
// then fills behind it and the engines posting display events into it meet back-pressure. Started
// instead of actors/compositor/worker only by VMs a test builds with test/support/test-vm.ts.
import { CompositorActor } from '../../../actors/compositor/compositor-actor.js';
import { runActor } from '../../../actors/runtime/host.js';

export interface CompositorStall {
  afterRecords: number;
  ms: number;
}

await runActor((ctx) => {
  const actor = new CompositorActor(ctx);
  const stall = (ctx.config as { stall: CompositorStall }).stall;
  let handled = 0;
  return {
    control: actor.control,
    onRecord(record) {
      actor.onRecord(record);
      if (++handled !== stall.afterRecords) return;
      const until = performance.now() + stall.ms;
      while (performance.now() < until);
    },
    onIdle: () => actor.onIdle(),
    onStop: () => actor.onStop(),
  };
});
