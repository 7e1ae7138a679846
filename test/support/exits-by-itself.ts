// For tests that check a process ends by itself (no worker, engine thread or handle left
// keeping it alive): runs a support script in a child Node process and waits for the script to
// say it has finished its work, however long that takes on a loaded machine; only from then on
// is it given a bounded time to exit. A whole-run timeout would mix "slow" with "never exits".
import { spawn } from 'node:child_process';

export interface ChildRun {
  stdout: string;
  stderr: string;
  /** Exit code (null when killed). */
  status: number | null;
  /** True when it said it was done but had not exited exitWithinMs later (it was then killed). */
  leftRunning: boolean;
  /** True when it never said it was done within workMs (it was then killed). */
  workTimedOut: boolean;
}

export interface ExitOptions {
  /** True once the output so far says the script has done its work. */
  done: (stdout: string) => boolean;
  /** How long it may take to exit after saying it is done. */
  exitWithinMs?: number;
  /** A backstop for a script that never finishes (so that no child outlives the test). */
  workMs?: number;
}

export function runUntilExit(script: string, args: readonly string[], options: ExitOptions): Promise<ChildRun> {
  const { done, exitWithinMs = 10_000, workMs = 100_000 } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let leftRunning = false;
    let workTimedOut = false;
    let exitTimer: NodeJS.Timeout | undefined;
    const workTimer = setTimeout(() => {
      workTimedOut = true;
      child.kill('SIGKILL');
    }, workMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!exitTimer && done(stdout)) {
        clearTimeout(workTimer);
        exitTimer = setTimeout(() => {
          leftRunning = true;
          child.kill('SIGKILL');
        }, exitWithinMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(workTimer);
      clearTimeout(exitTimer);
      resolve({ stdout, stderr, status, leftRunning, workTimedOut });
    });
  });
}
