// A test-only stand-in for the echo actor (bench/workers/echo), for the supervision tests: it answers
// requests, crashes and exits as echo does, and where echo busy-waits a fixed time on Stall it
// holds on HOLD until the test opens the gate passed in its config. The test can then queue a
// request behind a crash or exit and know it is queued before the actor gets to it.
import { runActor } from '../../actors/runtime/host.js';
import { EchoKind } from '../../bench/workers/echo/messages.js';
import { holdAtGate } from './gate.js';
import { GatedEchoKind, type GatedEchoConfig, type GatedEchoControl } from './gated-echo-kinds.js';

await runActor((ctx) => {
  const { gate } = ctx.config as GatedEchoConfig;
  let requests = 0;
  return {
    onRecord(record) {
      const a = record.args;
      switch (record.kind) {
        case EchoKind.Request:
          requests++;
          ctx.replies.reply(a[0]!, a[1]!, (a[2]! + 1) | 0, a[3]);
          break;
        case EchoKind.Crash:
          throw new Error('gated echo actor told to crash');
        case EchoKind.Exit:
          process.exit(a[0]);
          break;
        case GatedEchoKind.Hold:
          holdAtGate(gate);
          break;
        default:
          throw new Error(`gated echo actor: unknown record kind ${record.kind}`);
      }
    },
    control: {
      stats: () => ({ requests }),
    } satisfies GatedEchoControl,
  };
});
