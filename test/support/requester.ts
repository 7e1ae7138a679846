// A JS requester thread (like a vCPU waiting on an MMIO read): sends one request to a mailbox
// and blocks on its reply slot, then reports what happened and how long it waited. It says
// 'posted' once the request is in the mailbox, and 'done' with the answer or the error.
import { parentPort, workerData } from 'node:worker_threads';

import { Mailbox } from '../../shared/mailbox/mailbox.js';
import { ReplyTable } from '../../shared/reply/reply-table.js';
import { EchoKind } from '../../bench/workers/echo/messages.js';

interface RequesterData {
  mailbox: SharedArrayBuffer;
  replies: SharedArrayBuffer;
  slot: number;
  value: number;
  timeoutMs: number;
}

const data = workerData as RequesterData;
const mailbox = new Mailbox(data.mailbox, 'target');
const replies = new ReplyTable(data.replies);
const id = replies.begin(data.slot);
const start = performance.now();
try {
  mailbox.post(EchoKind.Request, data.slot, id, data.value, 0);
  // Only now is the request in the mailbox: a test may wait for this before it lets the actor go.
  parentPort!.postMessage({ type: 'posted' });
  replies.wait(data.slot, 1000, data.timeoutMs);
  parentPort!.postMessage({ type: 'done', value: replies.value(data.slot, 0), waitedMs: performance.now() - start });
} catch (err) {
  const e = err as Error & { code?: number };
  parentPort!.postMessage({ type: 'done', error: e.name, code: e.code, waitedMs: performance.now() - start });
}
