// Locates the package root from either the TypeScript sources or the compiled dist/ tree, so
// worker entry points (always compiled JavaScript) and the native addon are found the same way.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'pvg-vmm') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('pvg-vmm: cannot find the package root (package.json named pvg-vmm)');
    dir = parent;
  }
}

export const packageRoot = findRoot();

/** URL of the compiled JavaScript for a module given by its path from the package root, without extension. */
export function compiledModuleUrl(modulePath: string): URL {
  const file = path.join(packageRoot, 'dist', `${modulePath}.js`);
  if (!existsSync(file)) {
    throw new Error(`pvg-vmm: ${file} is missing; run "npm run build" first`);
  }
  return pathToFileURL(file);
}
