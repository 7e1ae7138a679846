// Where a report goes: the default folder for `bench all`, and checking a --report folder before
// a long run rather than after it.
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

import type { MachineInfo } from '../machine.js';
import { machineSlug } from './machine.js';
import { ymd } from './markdown.js';

/** bench/results/<machine-slug>-<YYYY-MM-DD> under the package root. */
export function defaultReportDir(root: string, machine: MachineInfo, date: Date): string {
  return path.join(root, 'bench', 'results', `${machineSlug(machine)}-${ymd(date)}`);
}

/** Creates the folder if needed; returns why it cannot hold a report, or null when it can. */
export function prepareReportDir(dir: string): string | null {
  if (dir.trim() === '') return '--report needs a folder, got an empty value';
  try {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) return `--report ${dir}: exists and is not a folder`;
    if (!st) mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    return `--report ${dir}: cannot create or write the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  return null;
}
