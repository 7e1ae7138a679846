// The echo actor (messages.ts lists what it understands): a diagnostic actor for the mailbox
// benchmark (bench/suites/mailbox.ts) and the supervisor and mailbox tests; not part of a VM.
import { runActor } from '../../../actors/runtime/host.js';
import { u32 } from '../../../shared/mailbox/record.js';
import { EchoKind, streamChecksum, type EchoControl, type EchoStats } from './messages.js';

await runActor((ctx) => {
  const stats: EchoStats = { requests: 0, streamed: 0, outOfOrder: 0, badChecksums: 0, next: {} };
  return {
    onRecord(record) {
      const a = record.args;
      switch (record.kind) {
        case EchoKind.Request:
          stats.requests++;
          ctx.replies.reply(a[0]!, a[1]!, (a[2]! + 1) | 0, a[3]);
          break;
        case EchoKind.Stream: {
          stats.streamed++;
          const producer = u32(a, 0);
          const seq = u32(a, 1);
          if ((stats.next[producer] ?? 0) !== seq) stats.outOfOrder++;
          stats.next[producer] = seq + 1;
          if (u32(a, 2) !== streamChecksum(producer, seq)) stats.badChecksums++;
          break;
        }
        case EchoKind.Crash:
          throw new Error('echo actor told to crash');
        case EchoKind.Exit:
          process.exit(a[0]);
          break;
        case EchoKind.Stall: {
          const until = performance.now() + a[0]!;
          while (performance.now() < until);
          break;
        }
        default:
          throw new Error(`echo actor: unknown record kind ${record.kind}`);
      }
    },
    control: {
      ping: (value: number) => value + 1,
      stats: (): EchoStats => stats,
      readGuest: (gpa: number, length: number): number[] => {
        if (!ctx.memory) throw new Error('this VM has no guest memory');
        const out = new Uint8Array(length);
        ctx.memory.read(gpa, out);
        return [...out];
      },
      mailboxStats: () => ctx.mailbox.stats(),
    } satisfies EchoControl,
  };
});
