// Progress on stderr: nothing with --json, a line per path off a terminal, a bar on one; and the
// Ctrl-C handler that stops it.
import { EventEmitter } from 'node:events';

import { describe, expect, it, vi } from 'vitest';

import { exitOnInterrupt } from '../../bench/progress/interrupt.js';
import { createProgress } from '../../bench/progress/progress.js';

function fakeStream(isTTY: boolean) {
  const stream = {
    isTTY,
    columns: 100,
    out: '',
    write(s: string) {
      stream.out += s;
      return true;
    },
  };
  return stream;
}
type Stream = Parameters<typeof createProgress>[0]['stream'];

function runSuite(stream: ReturnType<typeof fakeStream>, quiet = false) {
  const p = createProgress({ quiet, stream: stream as unknown as Stream });
  p.suiteStart('mailbox', 0, 2, 2);
  p.step('spin');
  p.step('futex');
  p.step('comlink'); // one more than announced: the bar grows
  p.suiteEnd();
  expect(p.stop()).toBe(false); // nothing left to clear
  return p;
}

describe('createProgress', () => {
  it('prints nothing in --json mode', () => {
    const s = fakeStream(true);
    runSuite(s, true);
    expect(s.out).toBe('');
  });

  it('prints one line per path when stderr is not a terminal', () => {
    const s = fakeStream(false);
    runSuite(s);
    expect(s.out).toBe('  mailbox: spin…\n  mailbox: futex…\n  mailbox: comlink…\n');
  });

  it('prints a finding as its own line off a terminal, and nothing of it on one or with --json', () => {
    for (const [tty, quiet, expected] of [
      [false, false, '  scaling: 1 device: 100 frames/s\n'],
      [true, false, ''],
      [false, true, ''],
    ] as const) {
      const s = fakeStream(tty);
      const p = createProgress({ quiet, stream: s as unknown as Stream });
      p.suiteStart('scaling', 0, 1, 1);
      p.stop();
      s.out = '';
      p.finding('1 device: 100 frames/s');
      expect(s.out).toBe(expected);
    }
  });

  it('draws a bar on a terminal and clears it when the suite ends', () => {
    const s = fakeStream(true);
    runSuite(s);
    const p = createProgress({ quiet: false, stream: s as unknown as Stream });
    p.suiteStart('frames', 1, 2, 12);
    expect(p.stop()).toBe(true); // Ctrl-C mid-suite: the bar goes
    expect(s.out).toMatch(/\[2\/2\] frames .* 0\/12 /);
    expect(s.out).toMatch(/\[1\/2\] mailbox .* 0\/2 .*starting/);
    expect(s.out).toMatch(/3\/3 .*done/);
    expect(s.out).not.toContain('\n');
    // Ends with the line cleared (ESC [2K) and no switch of line wrapping or cursor left behind.
    expect(s.out).toMatch(/\x1b\[2K[^\x1b]*(\x1b8)?$/);
    expect(s.out).not.toMatch(/\x1b\[\?7l|\x1b\[\?25l/);
  });
});

describe('exitOnInterrupt', () => {
  it('on SIGINT: cleans up, says "interrupted", exits 130, once', () => {
    const target = new EventEmitter();
    const order: string[] = [];
    const exit = vi.fn((code: number) => void order.push(`exit ${code}`));
    const remove = exitOnInterrupt({ cleanup: () => void order.push('cleanup'), stderr: { write: (s: string) => order.push(s) }, exit, target });
    target.emit('SIGINT');
    target.emit('SIGINT');
    expect(order).toEqual(['cleanup', '\ninterrupted\n', 'exit 130']);
    remove();
    expect(target.listenerCount('SIGINT')).toBe(0);
  });

  it('writes no blank line after a cleared progress bar', () => {
    const target = new EventEmitter();
    let out = '';
    exitOnInterrupt({ cleanup: () => true, stderr: { write: (s: string) => (out += s) }, exit: () => undefined, target });
    target.emit('SIGINT');
    expect(out).toBe('interrupted\n');
  });

  it('still exits 130 when the cleanup throws', () => {
    const target = new EventEmitter();
    const exit = vi.fn();
    exitOnInterrupt({
      cleanup: () => {
        throw new Error('bar');
      },
      stderr: { write: () => true },
      exit,
      target,
    });
    expect(() => target.emit('SIGINT')).toThrow('bar');
    expect(exit).toHaveBeenCalledWith(130);
  });
});
