// The report's Markdown: the machine first, then each suite's charts (relative links to the SVGs
// beside it) and its tables.
import type { MachineInfo } from '../machine.js';
import type { Chart } from './charts.js';
import { machineLine } from './machine.js';

export interface SuiteSection {
  name: string;
  charts: Chart[];
  /** The suite's own tables (its `tables()`); absent for a suite the CLI has no tables for. */
  tables?: string;
}

export interface ReportHeader {
  machine: MachineInfo;
  date: Date;
  /** The command that produced the results, shown as typed. */
  command?: string;
}

export function ymd(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function reportMarkdown(header: ReportHeader, sections: SuiteSection[]): string {
  const lines = [
    `# Benchmarks (${ymd(header.date)})`,
    '',
    `Machine: ${machineLine(header.machine)}.`,
    ...(header.command ? ['', `Command: \`${header.command}\`.`] : []),
    '',
    `Each suite's result is in \`<suite>.json\` beside this file, all of them in \`all.json\`. Ratios compare numbers measured in the same run.`,
  ];
  if (sections.length > 1) lines.push('', `Suites: ${sections.map((s) => `[${s.name}](#${s.name})`).join(' · ')}`);
  for (const s of sections) {
    lines.push('', `## ${s.name}`);
    for (const c of s.charts) lines.push('', `![${c.alt}](${encodeURI(c.file)})`);
    if (s.tables) lines.push('', s.tables.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}
