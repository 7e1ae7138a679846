// The report folder written from synthetic results: which files, and what report.md says.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { defaultReportDir, prepareReportDir } from '../../bench/report/dir.js';
import { machineSlug } from '../../bench/report/machine.js';
import { writeReport } from '../../bench/report/write.js';
import { engineResult, framesResult, mailboxResult, MACHINE, scalingResult } from './fixtures.js';
import { xmlProblems } from './xml-check.js';

const temp = () => mkdtempSync(path.join(tmpdir(), 'pvg-bench-report-'));

describe('writeReport', () => {
  it('writes each suite as JSON, all.json, the charts and report.md', () => {
    const dir = path.join(temp(), 'new', 'folder');
    const results = { mailbox: mailboxResult(), engine: engineResult(), frames: framesResult(), scaling: scalingResult() };
    const tables = { mailbox: '| mailbox table |', engine: '| engine table |', frames: '| frames table |' };
    const date = new Date(2026, 10, 21, 12);
    const files = writeReport(dir, { machine: MACHINE, results, tables, command: 'npm run bench -- all', date });

    const expected = [
      'mailbox.json',
      'mailbox-latency.svg',
      'engine.json',
      'engine-latency.svg',
      'frames.json',
      'frames-fps.svg',
      'scaling.json',
      'scaling-devices.svg',
      'all.json',
      'report.md',
    ];
    expect(files).toEqual(expected);
    expect(readdirSync(dir).sort()).toEqual([...expected].sort());

    for (const [name, result] of Object.entries(results)) expect(JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8'))).toEqual(result);
    expect(JSON.parse(readFileSync(path.join(dir, 'all.json'), 'utf8'))).toEqual({ machine: MACHINE, suites: results });
    for (const f of files.filter((f) => f.endsWith('.svg'))) expect(xmlProblems(readFileSync(path.join(dir, f), 'utf8')), f).toEqual([]);

    const md = readFileSync(path.join(dir, 'report.md'), 'utf8');
    const lines = md.split('\n');
    expect(lines[0]).toBe('# Benchmarks (2026-11-21)');
    expect(lines.slice(0, 4).join('\n')).toContain('Machine: 16 × Intel(R) Xeon(R) Processor, 126 GiB, Node v20.20.2, linux 6.18.');
    expect(md).toContain('Command: `npm run bench -- all`.');
    expect(md).toContain('Suites: [mailbox](#mailbox) · [engine](#engine) · [frames](#frames) · [scaling](#scaling)');
    for (const svg of files.filter((f) => f.endsWith('.svg'))) expect(md).toMatch(new RegExp(`!\\[[^\\]]+\\]\\(${svg}\\)`));
    // Each suite's heading, then its charts, then its tables, in run order.
    const at = (s: string) => md.indexOf(s);
    expect(at('## mailbox')).toBeLessThan(at('(mailbox-latency.svg)'));
    expect(at('(mailbox-latency.svg)')).toBeLessThan(at('| mailbox table |'));
    expect(at('| mailbox table |')).toBeLessThan(at('## engine'));
    expect(at('## frames')).toBeLessThan(at('(frames-fps.svg)'));
    expect(at('## scaling')).toBeLessThan(at('(scaling-devices.svg)'));
  });

  it('writes a single suite without charts it has no data for', () => {
    const dir = temp();
    const files = writeReport(dir, { machine: MACHINE, results: { device: { suite: 'device', machine: MACHINE, paths: {} } } });
    expect(files).toEqual(['device.json', 'all.json', 'report.md']);
    const md = readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(md).toContain('## device');
    expect(md).not.toContain('![');
    expect(md).not.toContain('Suites:');
  });

  it('refuses a suite name that is not a file name', () => {
    expect(() => writeReport(temp(), { machine: MACHINE, results: { '../x': mailboxResult() } })).toThrow(/cannot name a file/);
  });
});

describe('report folder', () => {
  it('names the default folder after the machine and the day', () => {
    expect(defaultReportDir('/r', MACHINE, new Date(2026, 10, 21, 23, 59))).toBe(path.join('/r', 'bench', 'results', 'xeon16-2026-11-21'));
    expect(defaultReportDir('/r', MACHINE, new Date(2027, 0, 2))).toMatch(/xeon16-2027-01-02$/);
  });

  it.each([
    ['Intel(R) Xeon(R) Processor', 16, 'xeon16'],
    ['AMD EPYC 7763 64-Core Processor', 64, 'epyc-7763x64'],
    ['Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz', 128, 'xeon-gold128'],
    ['Apple M2 Pro', 10, 'm2-pro10'],
    ['', 4, 'machine4'],
    ['unknown', 2, 'unknown2'],
  ])('slug of %j × %i is %s', (model, cpus, slug) => {
    expect(machineSlug({ ...MACHINE, cpu_model: model, cpus })).toBe(slug);
  });

  it('creates a missing folder and accepts an existing one', () => {
    const dir = path.join(temp(), 'a', 'b');
    expect(prepareReportDir(dir)).toBeNull();
    expect(readdirSync(dir)).toEqual([]);
    expect(prepareReportDir(dir)).toBeNull();
  });

  it('refuses an empty value, a file, and a folder under a file', () => {
    const file = path.join(temp(), 'file');
    writeFileSync(file, 'x');
    expect(prepareReportDir('')).toMatch(/needs a folder/);
    expect(prepareReportDir(file)).toMatch(/exists and is not a folder/);
    expect(prepareReportDir(path.join(file, 'sub'))).toMatch(/cannot create or write the folder \(ENOTDIR\)/);
  });
});
