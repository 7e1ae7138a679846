#!/usr/bin/env node
// Generates the cross-language contract files from the schema in abi/schema (docs/abi.md):
// `--write` (the default) rewrites them, `--check` fails if a committed one differs (CI).
// The schema and generator are TypeScript; this transpiles them with the project's own
// typescript package into node_modules/.cache (so their imports of prettier resolve) and runs
// them, without a build of the rest of the package.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const unknown = process.argv.slice(2).filter((a) => a !== '--write' && a !== '--check');
if (unknown.length > 0) {
  console.error(`abi-gen: unknown argument ${unknown.join(' ')} (use --write or --check)`);
  process.exit(2);
}

const out = path.join(root, 'node_modules', '.cache', `pvg-abi-gen-${process.pid}`);
try {
  for (const dir of ['abi/schema', 'abi/gen']) {
    mkdirSync(path.join(out, dir), { recursive: true });
    for (const name of readdirSync(path.join(root, dir)).filter((n) => n.endsWith('.ts'))) {
      const source = readFileSync(path.join(root, dir, name), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        fileName: name,
      });
      writeFileSync(path.join(out, dir, name.replace(/\.ts$/, '.js')), outputText);
    }
  }
  writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
  const { main } = await import(pathToFileURL(path.join(out, 'abi', 'gen', 'main.js')).href);
  process.exitCode = await main(root, process.argv.slice(2));
} finally {
  rmSync(out, { recursive: true, force: true });
}
