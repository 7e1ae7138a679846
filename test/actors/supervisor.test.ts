// Supervision: an actor that dies mid-request fails the VM with a typed error, releases the
// thread waiting on it within a second, and leaves no worker running.
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ActorCrashedError, ActorExitedError, VmStoppedError } from '../../actors/runtime/errors.js';
import { Supervisor } from '../../actors/runtime/supervisor.js';
import { createGuestMemory } from '../../shared/guest-memory/index.js';
import { packageRoot } from '../../shared/package-root.js';
import { ReplyErrorCode } from '../../shared/reply/errors.js';
import { EchoKind, type EchoStats } from '../../bench/workers/echo/messages.js';
import { runUntilExit } from '../support/exits-by-itself.js';
import { createGate, hasArrived, openGate } from '../support/gate.js';
import { GatedEchoKind, type GatedEchoConfig, type GatedEchoControl } from '../support/gated-echo-kinds.js';
import { eventually, exited, nextMessage, startWorker } from '../support/spawn.js';

interface EchoControl {
  stats(): EchoStats;
  readGuest(gpa: number, length: number): number[];
}
interface Done {
  type: 'done';
  value?: number;
  error?: string;
  code?: number;
  waitedMs: number;
}

let vm: Supervisor | null = null;
afterEach(async () => {
  await vm?.shutdown();
  vm = null;
});

async function startVm() {
  vm = new Supervisor({ replySlots: 8 });
  const mailbox = vm.createMailbox('echo', { capacity: 64 });
  const echo = await vm.spawn<EchoControl>({ name: 'echo', module: 'bench/workers/echo/worker', mailbox });
  return { vm, echo };
}

describe('supervision', () => {
  it('answers requests from another thread while healthy', async () => {
    const { vm, echo } = await startVm();
    const slot = vm.reserveReplySlots(1).first;
    const w = startWorker('test/support/requester', { mailbox: echo.mailbox.buffer, replies: vm.replies.buffer, slot, value: 41, timeoutMs: 5000 });
    const done = await nextMessage<Done>(w, (m) => m.type === 'done');
    expect(done.value).toBe(42);
    expect((await echo.control.stats()).requests).toBe(1);
  });

  it.each([
    ['terminated', 'ActorExitedError'],
    ['crashes', 'ActorCrashedError'],
    ['exits', 'ActorExitedError'],
  ])('an actor that %s mid-request fails the VM and releases the waiter within a second', async (how, errorName) => {
    // A stand-in for echo that holds on a gate instead of stalling for a fixed time: the request
    // is in its mailbox (behind the crash or exit) before the test lets it go, however long the
    // requester's worker takes to start.
    const gate = createGate();
    vm = new Supervisor({ replySlots: 8 });
    const mailbox = vm.createMailbox('echo', { capacity: 64 });
    const echo = await vm.spawn<GatedEchoControl>({ name: 'echo', module: 'test/support/gated-echo', mailbox, config: { gate } satisfies GatedEchoConfig });
    const slot = vm.reserveReplySlots(1).first;
    const failure = vm.whenFailed();
    // Keep the actor busy (at its gate) so the request is still queued when it dies.
    echo.mailbox.post(GatedEchoKind.Hold);
    if (how === 'crashes') echo.mailbox.post(EchoKind.Crash);
    if (how === 'exits') echo.mailbox.post(EchoKind.Exit, 9);
    const w = startWorker('test/support/requester', { mailbox: echo.mailbox.buffer, replies: vm.replies.buffer, slot, value: 1, timeoutMs: 30_000 });
    const answer = nextMessage<Done>(w, (m) => m.type === 'done');
    await nextMessage(w, (m: { type: string }) => m.type === 'posted');
    // Held in a JS wait (not parked in the mailbox's futex), where terminate() reaches it at once.
    await eventually(() => hasArrived(gate), 10_000, 'the actor to hold at its gate');
    const killedAt = performance.now();
    if (how === 'terminated') await echo.worker.terminate();
    else openGate(gate);
    const f = await failure;
    const done = await answer;
    expect(f.name).toBe(errorName);
    expect(f).toBeInstanceOf(how === 'crashes' ? ActorCrashedError : ActorExitedError);
    expect(f.actor).toBe('echo');
    if (how === 'exits') expect((f as ActorExitedError).exitCode).toBe(9);
    expect(done.error).toBe('ReplyError');
    expect(done.code).toBe(ReplyErrorCode.ActorDied);
    if (how === 'terminated') expect(performance.now() - killedAt).toBeLessThan(1000);
    await exited(w);
    await vm.joined();
    expect(vm.liveActors()).toEqual([]);
    await expect(echo.control.stats()).rejects.toBeInstanceOf(VmStoppedError);
    expect(() => echo.mailbox.post(EchoKind.Request)).toThrow(/closed/);
  });

  it('hands every actor the one guest-memory SAB', async () => {
    const memory = createGuestMemory({ regions: [{ name: 'ram', base: 0x4000_0000, size: 0x10000 }] });
    vm = new Supervisor({ memory });
    const echo = await vm.spawn<EchoControl>({ name: 'echo', module: 'bench/workers/echo/worker', mailbox: vm.createMailbox('echo', { capacity: 8 }) });
    memory.write(0x4000_fffc, Uint8Array.of(1, 2, 3, 4));
    expect(await echo.control.readGuest(0x4000_fffc, 4)).toEqual([1, 2, 3, 4]);
    await expect(echo.control.readGuest(0x4000_fffc, 5)).rejects.toThrow(/crosses|outside|0x40010000|region/);
  });

  it('shuts down cleanly: queued records are finished, workers exit, later calls are refused', async () => {
    const { vm, echo } = await startVm();
    for (let i = 0; i < 50; i++) echo.mailbox.post(EchoKind.Stream, 1, i, 0);
    await vm.shutdown();
    expect(vm.liveActors()).toEqual([]);
    expect(vm.failed).toBeNull();
    expect(echo.mailbox.stats().dequeued).toBe(50);
    await expect(echo.control.stats()).rejects.toBeInstanceOf(VmStoppedError);
  });

  it('a process that starts and stops a VM exits by itself', async () => {
    const script = path.join(packageRoot, 'dist', 'test', 'support', 'start-stop-vm.js');
    // However long the VM takes to start and stop, the process must end once it has stopped.
    const r = await runUntilExit(script, [], { done: (out) => out.includes('stopped') });
    expect(r.workTimedOut, r.stderr).toBe(false);
    expect(r.leftRunning).toBe(false); // nothing kept it alive
    expect(r.stdout).toContain('stopped');
    expect(r.status).toBe(0);
  }, 120_000);
});
