// `npm run soak -- --frames N [options]`: runs mixed workloads on one VM back to back and
// samples memory every K frames; prints the samples and the growth after warm-up with a verdict
// (or with --json one JSON object on stdout). Progress on stderr; Ctrl-C stops after the round
// under way and reports what was measured. Exit status: 0 flat, 1 growing / inconclusive / a
// fault, 2 bad arguments, 130 interrupted.
import { writeFileSync } from 'node:fs';

import { machineInfo } from '../machine.js';
import { analyze, growthTable, mib, samplesTable, type SoakSample } from './analyze.js';
import { SOAK_HELP, UsageError, parseSoakArgs, type SoakArgs } from './args.js';
import { runSoak } from './run.js';

function progressLine(s: SoakSample, total: number): string {
  const pct = Math.min(100, (100 * s.frames) / total).toFixed(0);
  return (
    `soak: ${s.frames}/${total} frames (${pct}%), ${(s.elapsedMs / 1000).toFixed(0)} s, ${s.fps.toFixed(0)} fps; ` +
    `rss ${mib(s.rssBytes)} MiB, js heap ${mib(s.heapUsedBytes)} MiB, native ${s.nativeBytes === null ? 'n/a' : `${mib(s.nativeBytes)} MiB`}`
  );
}

async function main(): Promise<number> {
  let args: SoakArgs | 'help';
  try {
    args = parseSoakArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`soak: ${err.message}\n\n${SOAK_HELP}`);
    return 2;
  }
  if (args === 'help') {
    console.log(SOAK_HELP);
    return 0;
  }
  const { soak, warmupPercent, bounds } = args;
  const tty = process.stderr.isTTY === true && !args.quiet;
  const say = (line: string) => {
    if (args.quiet) return;
    process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  };
  const endLine = () => {
    if (tty) process.stderr.write('\n');
  };

  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) {
      endLine();
      process.stderr.write('soak: interrupted again, exiting at once\n');
      process.exit(130);
    }
    endLine();
    process.stderr.write('soak: stopping after the round under way (Ctrl-C again to exit at once)\n');
  };
  process.on('SIGINT', onInterrupt);

  if (!(globalThis as { gc?: unknown }).gc) say('soak: no gc() (run node with --expose-gc, as npm run soak does): JS heap samples will be noisier');
  if (soak.every % args.cycleFrames !== 0)
    say(`soak: --every ${soak.every} is not a multiple of one cycle (${args.cycleFrames} frames): samples follow different workloads and will be noisier`);
  if (!tty && !args.quiet)
    say(
      `soak: ${soak.frames} frames on ${soak.devices} device(s) (${soak.cpu} vCPUs), workloads ${soak.workloads.join(',')}, a sample every ${soak.every} frames`,
    );
  const run = await runSoak(soak, {
    onSample: (s) => say(progressLine(s, soak.frames)),
    stopRequested: () => interrupts > 0,
  });
  endLine();
  process.off('SIGINT', onInterrupt);

  const warmupFrames = Math.round((soak.frames * warmupPercent) / 100);
  const analysis = analyze(run.samples, warmupFrames, bounds);
  const fps = run.elapsedMs > 0 ? (run.framesDone * 1000) / run.elapsedMs : 0;
  const result = {
    machine: machineInfo(),
    options: { ...soak, warmupPercent, bounds },
    framesDone: run.framesDone,
    elapsedMs: run.elapsedMs,
    fps,
    interrupted: run.interrupted,
    fault: run.fault,
    gc: run.gc,
    nativeHeap: run.nativeHeap,
    workloadRounds: run.workloadRounds,
    analysis,
    samples: run.samples,
  };
  if (args.json) {
    console.log(JSON.stringify(result));
  } else {
    const m = result.machine;
    console.log(
      `soak: ${run.framesDone} frames in ${(run.elapsedMs / 1000).toFixed(1)} s (${fps.toFixed(0)} fps) on ${soak.devices} device(s), ${soak.cpu} vCPUs — ${m.cpus} × ${m.cpu_model}, Node ${m.node}`,
    );
    console.log(
      `rounds: ${Object.entries(run.workloadRounds)
        .map(([w, n]) => `${w} ${n}`)
        .join(', ')} (${soak.chunk} frames per device each; modes ${soak.modes.join(', ')})`,
    );
    console.log(
      `samples every ${soak.every} frames; warm-up: the first ${warmupFrames} frames (${warmupPercent}%, marked *)${run.gc ? '' : '; no gc between samples'}\n`,
    );
    console.log(samplesTable(run.samples, warmupFrames));
    console.log(`\ngrowth after warm-up (${analysis.measuredSamples} samples):\n`);
    console.log(growthTable(analysis));
    const peak = analysis.heldPeak;
    console.log(
      `\nheld before each sample's collections, at worst after warm-up: rss ${peak.rssBytes === null ? 'n/a' : `${mib(peak.rssBytes)} MiB`}, native heap ${peak.nativeBytes === null ? 'n/a' : `${mib(peak.nativeBytes)} MiB`}` +
        (soak.workerGc ? ' (garbage the workers had not collected yet included)' : ''),
    );
    if (!run.nativeHeap) console.log('native heap: not measured (no glibc mallinfo2 here: another C library, or the allocator of a sanitizer)');
    console.log('');
    if (run.fault) console.log(`FAULT: ${run.fault}`);
    if (run.interrupted) console.log(`interrupted after ${run.framesDone} of ${soak.frames} frames`);
    console.log(analysis.verdictLine);
  }
  if (args.out) writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  if (run.interrupted) return 130;
  return run.fault === null && analysis.verdict === 'flat' ? 0 : 1;
}

process.exitCode = await main();
