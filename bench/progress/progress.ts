// Progress of a benchmark run on stderr: a bar per suite when stderr is a terminal, one line per
// measured path otherwise (CI logs, pipes), nothing in --json mode.
import cliProgress from 'cli-progress';

export interface BenchProgress {
  /** A suite begins; `steps` is how many paths it reports (a guess: the bar grows past it). */
  suiteStart(suite: string, index: number, count: number, steps?: number): void;
  /** The suite's `progress` callback: a path begins. */
  step(what: string): void;
  /**
   * A point's figures as soon as they are measured, so a run cut short (a time limit, Ctrl-C)
   * still leaves them in the log: a line off a terminal, nothing on one (the tables follow).
   */
  finding(line: string): void;
  /** The suite is done: the bar goes, so the suite's tables print on a clean line. */
  suiteEnd(): void;
  /**
   * Stops any bar (Ctrl-C, an error); safe to call at any time, more than once. True when it
   * cleared a bar: the cursor is then at the start of an empty line.
   */
  stop(): boolean;
}

export interface ProgressOptions {
  /** --json: print nothing. */
  quiet: boolean;
  stream: NodeJS.WritableStream & { isTTY?: boolean };
}

export function createProgress(options: ProgressOptions): BenchProgress {
  if (options.quiet) return { suiteStart() {}, step() {}, finding() {}, suiteEnd() {}, stop: () => false };
  return options.stream.isTTY ? barProgress(options.stream) : lineProgress(options.stream);
}

/** The messages the CLI always printed: one line per path. */
function lineProgress(stream: NodeJS.WritableStream): BenchProgress {
  let suite = '';
  return {
    suiteStart: (name) => void (suite = name),
    step: (what) => void stream.write(`  ${suite}: ${what}…\n`),
    finding: (line) => void stream.write(`  ${suite}: ${line}\n`),
    suiteEnd() {},
    stop: () => false,
  };
}

function barProgress(stream: NodeJS.WritableStream): BenchProgress {
  let bar: cliProgress.SingleBar | null = null;
  let done = -1; // paths finished; the first step() starts path 0
  let total = 1;
  return {
    suiteStart(suite, index, count, steps) {
      bar?.stop();
      done = -1;
      total = Math.max(1, steps ?? 1);
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${count > 1 ? `[${index + 1}/${count}] ` : ''}${suite} {bar} {value}/{total} {duration_formatted} {what}`,
          barsize: 20,
          // Keep the terminal's own line wrapping (cli-progress otherwise switches it off until
          // stop()); it trims the line to the width instead.
          linewrap: true,
          hideCursor: false,
          clearOnComplete: true,
          fps: 4,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { what: 'starting' });
    },
    step(what) {
      done++;
      if (done + 1 > total) bar?.setTotal((total = done + 1));
      bar?.update(done, { what });
    },
    finding() {},
    suiteEnd() {
      bar?.update(total, { what: 'done' });
      bar?.stop();
      bar = null;
    },
    stop() {
      if (!bar) return false;
      bar.stop();
      bar = null;
      return true;
    },
  };
}
