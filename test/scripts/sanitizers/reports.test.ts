// Leak reports (scripts/sanitizers/reports.mjs): a leak with a frame of ours fails a sanitized
// run unless V8's heap allocated the block itself while our code called into V8.
import { describe, expect, it } from 'vitest';

// @ts-expect-error -- a plain .mjs script without type declarations
import { classifyLeak, sanitizerReports } from '../../../scripts/sanitizers/reports.mjs';

const leak = (frames: string[]) => `=================================================================
==1==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 128 byte(s) in 1 object(s) allocated from:
    #0 0x7fd7970b94c8 in operator new(unsigned long) ../../../../src/libsanitizer/asan/asan_new_delete.cpp:95
${frames.map((f, i) => `    #${i + 1} ${f}`).join('\n')}

SUMMARY: AddressSanitizer: 128 byte(s) leaked in 1 allocation(s).
`;

const OUR_FRAME = '0x7fd76fa98824 in pvg::addon::registerHeap(Napi::Env, Napi::Object) /work/main/native/src/addon/heap_binding.cpp:40';
const verdicts = (text: string) => (sanitizerReports(text) as { verdict: string }[]).map((r) => r.verdict);

describe('leak reports', () => {
  it("a block V8's heap allocated while our code called into V8 is V8's (tolerated, told apart)", () => {
    const text = leak([
      '0x10efaa1 in v8::internal::Heap_CombinedGenerationalAndSharedBarrierSlow(v8::internal::HeapObject, unsigned long, v8::internal::HeapObject) (/usr/bin/node+0x10efaa1)',
      '0xc47ad9 in napi_create_function (/usr/bin/node+0xc47ad9)',
      OUR_FRAME,
    ]);
    expect(verdicts(text)).toEqual(['node-via-ours']);
  });

  it('a block Node-API allocated for us (a reference) is ours to free', () => {
    expect(verdicts(leak(['0xc50f19 in napi_create_reference (/usr/bin/node+0xc50f19)', OUR_FRAME]))).toEqual(['ours']);
  });

  it("a block our code allocated is ours; one with no frame of ours and only Node is Node's", () => {
    expect(verdicts(leak([OUR_FRAME]))).toEqual(['ours']);
    expect(verdicts(leak(['0xc50f19 in node::Start(int, char**) (/usr/bin/node+0xc50f19)']))).toEqual(['node']);
  });

  it("V8's slot sets, allocated under its write barrier, are V8's too", () => {
    const text = leak([
      '0x116728d in v8::internal::MemoryChunk::AllocateSlotSet(v8::internal::SlotSet**) (/usr/bin/node+0x116728d)',
      '0x10efb60 in v8::internal::Heap_CombinedGenerationalAndSharedBarrierSlow(v8::internal::HeapObject, unsigned long, v8::internal::HeapObject) (/usr/bin/node+0x10efb60)',
      OUR_FRAME,
    ]);
    expect(verdicts(text)).toEqual(['node-via-ours']);
  });

  it('classifyLeak reads past the sanitizer runtime to the code that allocated', () => {
    expect(classifyLeak(leak(['0x10efaa1 in v8::internal::Heap::InsertIntoRememberedSetFromCode (/usr/bin/node+0x10efaa1)', OUR_FRAME]))).toBe('node-via-ours');
  });
});
