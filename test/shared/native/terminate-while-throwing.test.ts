// Found in CI (a crashed device actor, test/vmm/faults.test.ts): a worker terminated while the
// addon was throwing aborted the whole process with "terminate called after throwing an
// instance of 'Napi::Error'". node-addon-api rethrows as a C++ exception when it cannot hand an
// error to a terminating environment, with nothing above to catch it; the addon is built with
// NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS (nodejs/node-addon-api#975) so that such a throw is
// dropped. Runs in a child process, as the failure aborts the process.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../../shared/package-root.js';

describe('the addon in a worker being terminated', () => {
  it('a native call that throws while its worker is terminated does not abort the process', () => {
    const rounds = 60;
    const script = path.join(packageRoot, 'dist', 'test', 'support', 'terminate-throwing-workers.js');
    const r = spawnSync(process.execPath, [script, String(rounds)], { timeout: 120_000, encoding: 'utf8' });
    const printed = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    expect(r.signal, printed).toBeNull();
    expect(r.status, printed).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ terminated: rounds });
  }, 130_000);
});
