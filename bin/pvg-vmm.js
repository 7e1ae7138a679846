#!/usr/bin/env node
// The pvg-vmm command (compiled TypeScript lives in dist/; `npm install` builds it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error('pvg-vmm: not built yet — run "npm install" (or "npm run build") in the package folder');
  process.exit(1);
}
await import(main);
