// `bench mailbox`: round-trip latency and CPU of every way two threads can talk here, from the
// physical reference (two threads spinning on shared words) to comlink. Each ratio compares two
// paths measured in this same run.
import { Worker } from 'node:worker_threads';

import type { EchoControl } from '../workers/echo/messages.js';
import { EchoKind } from '../workers/echo/messages.js';
import { Supervisor, type ActorHandle } from '../../actors/runtime/supervisor.js';
import { Mailbox, createMailboxBuffer } from '../../shared/mailbox/mailbox.js';
import { native } from '../../shared/native/addon.js';
import { nativeTesting } from '../native-testing.js';
import { compiledModuleUrl } from '../../shared/package-root.js';
import { LatencyRecorder, measureAsync, measureSync, type LatencySummary } from '../latency.js';
import { machineInfo, type MachineInfo } from '../machine.js';
import { PING, PONG, STOP } from '../workers/partner.js';

export interface MailboxBenchResult {
  suite: 'mailbox';
  machine: MachineInfo;
  paths: Record<string, LatencySummary & { description: string }>;
  ratio_hot_vs_spin: number;
  ratio_parked_vs_futex: number;
  ratio_comlink_vs_hot: number;
  targets: Record<string, string>;
}

export interface MailboxBenchOptions {
  /** Multiplies every iteration count (0.1 for a quick look). */
  scale: number;
  progress?: (path: string) => void;
}

/** A spin budget large enough that neither side ever parks during a hot measurement. */
const SPIN_FOREVER = 1_000_000_000;

async function withPartner<T>(mode: 'spin' | 'futex', run: (w: Int32Array) => T): Promise<T> {
  const words = new Int32Array(new SharedArrayBuffer(64 * 4));
  const worker = new Worker(compiledModuleUrl('bench/workers/partner'), { workerData: { mode, words } });
  await new Promise((resolve) => worker.once('online', resolve));
  try {
    return run(words);
  } finally {
    Atomics.store(words, PING, STOP);
    native.futexWake(words, PING, 1);
    await new Promise((resolve) => worker.once('exit', resolve));
  }
}

function spinPingPong(w: Int32Array, iterations: number): LatencySummary {
  return measureSync(iterations, Math.min(2000, iterations), (i) => {
    Atomics.store(w, PING, i + 1);
    while (Atomics.load(w, PONG) !== i + 1);
  });
}

function futexPingPong(w: Int32Array, iterations: number): LatencySummary {
  return measureSync(iterations, Math.min(500, iterations), (i) => {
    Atomics.store(w, PING, i + 1);
    native.futexWake(w, PING, 1);
    let v: number;
    while ((v = Atomics.load(w, PONG)) !== i + 1) native.futexWait(w, PONG, v, -1);
  });
}

/** Requests through an echo actor's mailbox and waits on a reply slot. */
function mailboxRoundTrips(vm: Supervisor, echo: ActorHandle<EchoControl>, slot: number, iterations: number, requesterSpin: number): LatencySummary {
  const replies = vm.replies;
  return measureSync(iterations, Math.min(1000, iterations), (i) => {
    const id = replies.begin(slot);
    echo.mailbox.post(EchoKind.Request, slot, id, i, 0);
    replies.wait(slot, requesterSpin);
  });
}

async function echoVm(spinBudget: number, park: 'futex' | 'atomics' = 'futex'): Promise<{ vm: Supervisor; echo: ActorHandle<EchoControl>; slot: number }> {
  const vm = new Supervisor({ replySlots: 8 });
  const mailbox = vm.createMailbox('echo', { capacity: 256, park });
  const echo = await vm.spawn<EchoControl>({ name: 'echo', module: 'bench/workers/echo/worker', mailbox, spinBudget, parkTimeoutMs: 100 });
  return { vm, echo, slot: vm.reserveReplySlots(2).first };
}

export async function runMailboxBench(options: MailboxBenchOptions): Promise<MailboxBenchResult> {
  const n = (base: number) => Math.max(50, Math.round(base * options.scale));
  const step = options.progress ?? (() => undefined);
  const paths: MailboxBenchResult['paths'] = {};

  step('spin');
  paths.spin = {
    description: 'two JS threads spinning on shared words (physical reference)',
    ...(await withPartner('spin', (w) => spinPingPong(w, n(50_000)))),
  };
  step('futex');
  paths.futex = {
    description: 'two JS threads parking in the addon futex every time (reference for parked)',
    ...(await withPartner('futex', (w) => futexPingPong(w, n(5_000)))),
  };

  {
    step('mailbox_hot');
    const { vm, echo, slot } = await echoVm(SPIN_FOREVER);
    paths.mailbox_hot = { description: 'mailbox + reply slot, consumer and requester spinning', ...mailboxRoundTrips(vm, echo, slot, n(50_000), SPIN_FOREVER) };
    step('native_js_native');
    const h = nativeTesting().nativeRequester(echo.mailbox.words, vm.replies.words, {
      slot: slot + 1,
      iterations: n(20_000),
      spinBudget: SPIN_FOREVER,
      kind: EchoKind.Request,
    });
    const rec = new LatencyRecorder();
    rec.start();
    // Blocking here is fine: the echo actor serves the native thread from its own worker.
    const joined = nativeTesting().joinRequester(h);
    for (const ns of joined.latenciesNs) rec.recordNs(ns);
    paths.native_js_native = { description: 'native thread → JS echo actor → native, both spinning', ...rec.summary() };
    step('comlink');
    paths.comlink = {
      description: 'comlink call to the echo actor (control plane)',
      ...(await measureAsync(n(3_000), 200, async (i) => void (await echo.control.ping(i)))),
    };
    await vm.shutdown();
  }
  {
    step('mailbox_parked');
    const { vm, echo, slot } = await echoVm(0);
    paths.mailbox_parked = {
      description: 'mailbox + reply slot, consumer and requester parking in futexes',
      ...mailboxRoundTrips(vm, echo, slot, n(5_000), 0),
    };
    await vm.shutdown();
  }
  {
    // The JS-only variant: the consumer parks in V8's Atomics.wait (no native thread can wake it).
    step('mailbox_parked_atomics');
    const { vm, echo, slot } = await echoVm(0, 'atomics');
    paths.mailbox_parked_atomics = {
      description: 'as mailbox_parked, the consumer parking in Atomics.wait (JS-only pairs)',
      ...mailboxRoundTrips(vm, echo, slot, n(5_000), 0),
    };
    await vm.shutdown();
  }
  {
    step('js_native_js');
    const vm = new Supervisor({ replySlots: 2 });
    const mailbox = new Mailbox(createMailboxBuffer({ capacity: 256 }), 'native-echo');
    const server = nativeTesting().startEchoServer(mailbox.words, vm.replies.words, { spinBudget: SPIN_FOREVER });
    const replies = vm.replies;
    paths.js_native_js = {
      description: 'JS → native echo thread → JS, both spinning',
      ...measureSync(n(50_000), 1000, (i) => {
        const id = replies.begin(0);
        mailbox.post(1, 0, id, i);
        replies.wait(0, SPIN_FOREVER);
      }),
    };
    nativeTesting().stopEchoServer(server);
  }
  {
    step('postmessage');
    const worker = new Worker(compiledModuleUrl('bench/workers/partner'), { workerData: { mode: 'post', words: new Int32Array(new SharedArrayBuffer(64)) } });
    paths.postmessage = {
      description: 'postMessage echo to a worker',
      ...(await measureAsync(
        n(5_000),
        200,
        (i) =>
          new Promise<void>((resolve) => {
            worker.once('message', () => resolve());
            worker.postMessage(i);
          }),
      )),
    };
    await worker.terminate();
  }

  const p50 = (k: string) => paths[k]!.p50_us;
  return {
    suite: 'mailbox',
    machine: machineInfo(),
    paths,
    ratio_hot_vs_spin: p50('mailbox_hot') / p50('spin'),
    ratio_parked_vs_futex: p50('mailbox_parked') / p50('futex'),
    ratio_comlink_vs_hot: p50('comlink') / p50('mailbox_hot'),
    targets: { ratio_hot_vs_spin: '<= 3', ratio_parked_vs_futex: '<= 1.2', ratio_comlink_vs_hot: '>= 50' },
  };
}
