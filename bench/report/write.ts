// Writes a benchmark report folder: <suite>.json for each suite, all.json, one SVG per chart and
// report.md. Takes results, not suites, so it runs (and is tested) without running a benchmark.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { MachineInfo } from '../machine.js';
import { suiteCharts } from './charts.js';
import { reportMarkdown, type SuiteSection } from './markdown.js';

export interface ReportInput {
  /** The machine the run was on (each result also carries its own). */
  machine: MachineInfo;
  /** Results by suite name, in the order they ran. */
  results: Record<string, unknown>;
  /** Each suite's Markdown tables, by suite name. */
  tables?: Record<string, string>;
  command?: string;
  date?: Date;
}

/** The same object `bench all --json` prints. */
export function allJson(input: Pick<ReportInput, 'machine' | 'results'>): { machine: MachineInfo; suites: Record<string, unknown> } {
  return { machine: input.machine, suites: input.results };
}

/** Writes the report into `dir` (created if missing) and returns the names of the files written. */
export function writeReport(dir: string, input: ReportInput): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const write = (file: string, text: string) => {
    writeFileSync(path.join(dir, file), text);
    written.push(file);
  };
  const json = (x: unknown) => `${JSON.stringify(x, null, 2)}\n`;

  const sections: SuiteSection[] = [];
  for (const [name, result] of Object.entries(input.results)) {
    // Suite names become file names.
    if (!/^[\w-]+$/.test(name)) throw new Error(`suite name ${JSON.stringify(name)} cannot name a file`);
    write(`${name}.json`, json(result));
    const charts = suiteCharts(name, result, input.machine);
    for (const c of charts) write(c.file, c.svg);
    const tables = input.tables?.[name];
    sections.push({ name, charts, ...(tables !== undefined ? { tables } : {}) });
  }
  write('all.json', json(allJson(input)));
  write(
    'report.md',
    reportMarkdown({ machine: input.machine, date: input.date ?? new Date(), ...(input.command ? { command: input.command } : {}) }, sections),
  );
  return written;
}
