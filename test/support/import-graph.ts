// The compiled modules a set of entry points reaches: relative imports (static, and dynamic ones
// with a literal path) and the worker modules they start by package path (`module: '…'`,
// compiledModuleUrl('…'), startWorker('…')), as scripts/pack-check.mjs reads them too.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const RELATIVE = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g;
const WORKER = /(?:module: |compiledModuleUrl\(|startWorker\()'((?:actors|outputs|guest|test|bench|shared|vmm|cli)\/[\w/-]+)'/g;

export interface ImportEdge {
  from: string;
  to: string;
}

/**
 * Every file under `distRoot` reachable from `entries` (paths relative to distRoot), and the
 * edges followed. `stopAt(edge)` true: the edge is recorded but not followed.
 */
export function reachableModules(
  distRoot: string,
  entries: string[],
  stopAt: (edge: ImportEdge) => boolean = () => false,
): { files: Set<string>; edges: ImportEdge[] } {
  const files = new Set<string>();
  const edges: ImportEdge[] = [];
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const full = path.join(distRoot, file);
    if (!existsSync(full)) continue;
    const text = readFileSync(full, 'utf8');
    const targets = [
      ...[...text.matchAll(RELATIVE)].map((m) => path.posix.join(path.posix.dirname(file), m[1]!)),
      ...[...text.matchAll(WORKER)].map((m) => `${m[1]}.js`),
    ];
    for (const to of targets) {
      const edge = { from: file, to };
      edges.push(edge);
      if (!stopAt(edge)) queue.push(to);
    }
  }
  return { files, edges };
}
