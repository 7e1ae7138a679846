// The running pvg-vmm's version, as a snapshot's header records it and a loader requires it.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { packageRoot } from '../../shared/package-root.js';

let version: string | null = null;

export function vmmVersion(): string {
  version ??= (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
