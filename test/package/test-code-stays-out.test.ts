// Test hooks stay out of production (issue 18): nothing the library, its actors' workers or the
// command reach imports test support, and the production addon exports no harness binding.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { nativeTesting } from '../../bench/native-testing.js';
import { native } from '../../shared/native/addon.js';
import { packageRoot } from '../../shared/package-root.js';
import { VmConfigError, resolveConfig } from '../../vmm/config.js';
import { reachableModules } from '../support/import-graph.js';

const dist = path.join(packageRoot, 'dist');
/** The library (package.json main) and the command (bin/pvg-vmm.js runs cli/main). */
const ENTRIES = ['index.js', 'cli/main.js'];
/** `pvg-vmm bench` starts the benchmarks, which are test tooling and may use test support. */
const intoBench = (edge: { to: string }) => edge.to.startsWith('bench/');

describe('production code imports no test support', () => {
  it('from the library, the command and every actor worker they start', () => {
    const { files, edges } = reachableModules(dist, ENTRIES, intoBench);
    // The scan does follow imports and worker modules, or its verdict would mean nothing.
    for (const f of ['vmm/vm.js', 'actors/device/worker.js', 'actors/vcpu/worker.js', 'outputs/vnc-sink/worker.js', 'abi/generated/engine-records.js']) {
      expect(files, f).toContain(f);
    }
    expect([...files].filter((f) => f.startsWith('test/') || f.startsWith('bench/'))).toEqual([]);
    // The one way into bench/: the command's `bench`, not followed.
    expect(edges.filter(intoBench)).toEqual([{ from: 'cli/main.js', to: 'bench/cli.js' }]);
  });

  it('the scan finds a test module reached through an import or a worker path', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'pvg-graph-'));
    mkdirSync(path.join(root, 'actors'), { recursive: true });
    mkdirSync(path.join(root, 'test/support'), { recursive: true });
    writeFileSync(path.join(root, 'index.js'), "import { a } from './actors/a.js';\n");
    writeFileSync(path.join(root, 'actors/a.js'), "export const a = { module: 'test/support/w' };\nawait import('../test/support/x.js');\n");
    writeFileSync(path.join(root, 'test/support/w.js'), '');
    writeFileSync(path.join(root, 'test/support/x.js'), '');
    const { files } = reachableModules(root, ['index.js']);
    expect([...files].sort()).toEqual(['actors/a.js', 'index.js', 'test/support/w.js', 'test/support/x.js']);
  });
});

describe('the production addon has no harness in it', () => {
  it("exports none of the testing addon's functions, which the testing addon has", () => {
    const harness = Object.keys(nativeTesting());
    for (const name of ['startEchoServer', 'startProducers', 'nativeRequester', 'benchRender', 'kvmRawExitBench', 'mailboxEnqueue'])
      expect(harness).toContain(name);
    expect(Object.keys(native).filter((name) => harness.includes(name))).toEqual([]);
    // The production addon still loads with its own functions.
    expect(typeof native.Engine).toBe('function');
  });
});

describe('the public options have no test fields', () => {
  it.each(['testFaults', 'testKvmGuest'])('Vm.create refuses %s as an unknown option', (key) => {
    expect(() => resolveConfig({ [key]: {} })).toThrow(VmConfigError);
  });
});
