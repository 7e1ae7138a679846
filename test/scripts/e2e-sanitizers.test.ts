// The end-to-end sanitizer run's report classifier (scripts/e2e-sanitizers.mjs): what fails the
// run and what is tolerated as Node's own, on report bodies shaped like TSan's.
import { describe, expect, it } from 'vitest';

// @ts-expect-error -- a plain .mjs script without type declarations
import { sanitizerReports } from '../../scripts/e2e-sanitizers.mjs';

type Report = { verdict: string; where: string };
const verdicts = (text: string): string[] => (sanitizerReports(text) as Report[]).map((r) => r.verdict);

const race = (current: string[], previous: string[] | null, location = '') => `==================
WARNING: ThreadSanitizer: data race (pid=1)
  Write of size 8 at 0x7b3000021a48 by thread T2:
${current.map((f, i) => `    #${i} ${f}`).join('\n')}

  Previous write of size 8 at 0x7b3000021a48 by thread T11:
${previous ? previous.map((f, i) => `    #${i} ${f}`).join('\n') : '    [failed to restore the stack]'}
${location}
  Thread T2 (tid=20786, running) created by main thread at:
    #0 pthread_create ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:1001 (libtsan.so+0x5e686)

SUMMARY: ThreadSanitizer: data race ../../../../src/libsanitizer/tsan/tsan_new_delete.cpp:150 in operator delete(void*, unsigned long)
==================
`;

const V8_DELETE = [
  'operator delete(void*, unsigned long) ../../../../src/libsanitizer/tsan/tsan_new_delete.cpp:150 (libtsan.so+0x86c3d)',
  'v8::platform::DefaultJobWorker::~DefaultJobWorker() <null> (node+0x1d5aa65)',
];
const V8_READ = ['v8::platform::tracing::TracingController::GetCategoryGroupEnabled(char const*) <null> (node+0x1d60db8)'];
const OUR_WRITE = ['pvg::engine::SoftEngine::drawStatus() /work/main/native/src/engine/soft/soft_engine.cpp:120 (pvg_native.node+0x4a1c0)'];

describe('e2e sanitizer report classifier', () => {
  it('tolerates V8 deleting its own object against a write whose stack TSan lost', () => {
    expect(verdicts(race(V8_DELETE, null))).toEqual(['node']);
  });

  it("fails a race whose lost-stack partner is not a free by Node and whose memory is not known to be Node's", () => {
    expect(verdicts(race(V8_READ, null))).toEqual(['unknown']);
  });

  it('fails any race with an access of ours, even when Node frees the memory', () => {
    expect(verdicts(race(V8_DELETE, OUR_WRITE))).toEqual(['ours']);
    expect(verdicts(race(OUR_WRITE, null))).toEqual(['ours']);
  });

  it('tolerates a race of Node against Node on memory Node allocated', () => {
    const location = `
  Location is heap block of size 35 at 0x7b0c00024360 allocated by main thread:
    #0 malloc ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:647 (libtsan.so+0x3ebb8)
    #1 v8::platform::tracing::TracingController::GetCategoryGroupEnabled(char const*) <null> (node+0x1d60e56)
`;
    expect(verdicts(race(V8_READ, null, location))).toEqual(['node']);
  });
});
