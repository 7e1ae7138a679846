// Starts `pvg-vmm run --control PATH` in its own process for the control-socket tests, and waits
// for lines on its stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

import { packageRoot } from '../../shared/package-root.js';

const BIN = path.join(packageRoot, 'bin', 'pvg-vmm.js');

export interface ControlledRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  waitFor(text: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

export function startControlledRun(socket: string, args: string[]): ControlledRun {
  const child = spawn(process.execPath, [BIN, 'run', '--quiet', '--control', socket, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(text, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!text.test(err)) {
        if (gone) throw new Error(`pvg-vmm exited before ${text}; stderr: ${err}`);
        if (Date.now() > deadline) throw new Error(`no ${text} on stderr in time; stderr: ${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
