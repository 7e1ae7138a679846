// The README's sample outputs (written by scripts/readme-samples.mjs from a real run) still have
// the shape the command prints today: same lines, same words, only the numbers may differ.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../shared/package-root.js';

const shape = (text: string) => text.replace(/\d+(\.\d+)?/g, '#');

/** The lines of the README's sample block `id`, from the `$ npx pvg-vmm …` line to the fence. */
function readmeSample(id: string): { args: string[]; output: string; machine: string } {
  const readme = readFileSync(path.join(packageRoot, 'README.md'), 'utf8');
  const block = new RegExp(
    `<!-- sample ${id}: [^\\n]*-->\\n(Measured on [^\\n]+)\\n\\n\`\`\`\\n\\$ npx pvg-vmm ([^\\n]+)\\n([\\s\\S]*?)\\n\`\`\`\\n<!-- /sample ${id} -->`,
  ).exec(readme);
  expect(block, `README.md sample ${id}`).not.toBeNull();
  return { machine: block![1]!, args: block![2]!.split(' '), output: block![3]! };
}

describe('the README samples', () => {
  it('pvg-vmm run: the README shows what the command prints now, and names the machine', () => {
    const sample = readmeSample('run');
    expect(sample.machine).toMatch(/^Measured on \d+ × .+, Node v\d+/);
    // The same command, fewer frames: the shape does not depend on the count.
    const args = sample.args.map((a, i) => (sample.args[i - 1] === '--frames' ? '5' : a));
    const r = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'pvg-vmm.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(shape(r.stdout.trimEnd())).toBe(shape(sample.output));
  });
});
