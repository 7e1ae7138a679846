// Makes every generated file from the schema, formatted as the repository's formatters want it
// (prettier for TypeScript, clang-format with .clang-format for C and C++), and either
// writes them (--write) or lists the committed ones that differ and fails (--check).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import { guestHeaders, units } from '../schema/index.js';
import { emitC } from './emit-c.js';
import { emitCTables, INPUT_TABLES_HEADER } from './emit-c-tables.js';
import { emitCpp } from './emit-cpp.js';
import { emitTs } from './emit-ts.js';

export interface Output {
  /** Repository-relative path. */
  readonly path: string;
  readonly text: string;
}

const SCHEMA = 'abi/schema';

function clangFormat(root: string, file: string, text: string): string {
  const r = spawnSync('clang-format', ['--style=file', `--assume-filename=${path.join(root, file)}`], { input: text, encoding: 'utf8', cwd: root });
  if (r.error || r.status !== 0) throw new Error(`abi: clang-format failed on ${file}: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

async function prettierFormat(root: string, file: string, text: string): Promise<string> {
  const prettier = await import('prettier');
  const abs = path.join(root, file);
  const options = (await prettier.resolveConfig(abs)) ?? {};
  return prettier.format(text, { ...options, filepath: abs });
}

/** Every generated file's path and contents, formatted. */
export async function generate(root: string): Promise<Output[]> {
  const out: Output[] = [];
  for (const unit of units) {
    if (unit.ts) out.push({ path: unit.ts, text: await prettierFormat(root, unit.ts, emitTs(unit, SCHEMA)) });
    if (unit.cpp) out.push({ path: unit.cpp.path, text: clangFormat(root, unit.cpp.path, emitCpp(unit, SCHEMA)) });
  }
  for (const h of guestHeaders) out.push({ path: h.path, text: clangFormat(root, h.path, emitC(h, SCHEMA)) });
  out.push({ path: INPUT_TABLES_HEADER, text: clangFormat(root, INPUT_TABLES_HEADER, emitCTables(`${SCHEMA}/input-tables.ts`)) });
  const paths = out.map((o) => o.path);
  if (new Set(paths).size !== paths.length) throw new Error(`abi: two units write the same file: ${paths.join(', ')}`);
  return out;
}

const readOrNull = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/** The generated files whose committed contents differ from what the schema makes. */
export async function stale(root: string): Promise<string[]> {
  return (await generate(root)).filter((o) => readOrNull(path.join(root, o.path)) !== o.text).map((o) => o.path);
}

export async function main(root: string, argv: readonly string[]): Promise<number> {
  const check = argv.includes('--check');
  if (check) {
    const differ = await stale(root);
    if (differ.length === 0) {
      console.log('abi: generated files are up to date');
      return 0;
    }
    console.error(`abi: ${differ.length} generated file(s) differ from the schema (npm run abi:gen rewrites them):\n${differ.map((f) => `  ${f}`).join('\n')}`);
    return 1;
  }
  let written = 0;
  for (const o of await generate(root)) {
    const file = path.join(root, o.path);
    if (readOrNull(file) === o.text) continue;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, o.text);
    written++;
    console.log(`abi: wrote ${o.path}`);
  }
  console.log(`abi: ${written} file(s) written`);
  return 0;
}
