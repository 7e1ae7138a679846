// The production addon and its typings (shared/native/types.ts) name the same functions: every
// export of pvg_native is declared in NativeAddon, and every declared one is exported. The list
// below is typed Record<keyof NativeAddon, true>, so the compiler (npx tsc -p tsconfig.test.json)
// refuses it when it misses a declared name or has one NativeAddon lacks; the test then holds
// the built addon to it.
import { describe, expect, it } from 'vitest';

import { native } from '../../../shared/native/addon.js';
import type { NativeAddon } from '../../../shared/native/types.js';

const declared: Record<keyof NativeAddon, true> = {
  Engine: true,
  vulkanProbe: true,
  checkEngineState: true,
  futexWait: true,
  futexWaitEither: true,
  futexWake: true,
  EventLoopDoorbell: true,
  ringEventLoop: true,
  copyPixelRect: true,
  monotonicMicros: true,
  kvmProbe: true,
  pageOffsetOf: true,
  kvmCreateVm: true,
  kvmDestroyVm: true,
  kvmCreateVcpu: true,
  kvmEnterLongMode: true,
  kvmRun: true,
  kvmCompleteRead: true,
  kvmRegisters: true,
  kvmSaveState: true,
  kvmLoadState: true,
  kvmCloseVcpu: true,
  kickThread: true,
  threadCpuMicros: true,
  currentThreadId: true,
  setThreadName: true,
};

describe('the production addon and NativeAddon', () => {
  it('export and declare the same functions', () => {
    expect(Object.keys(native).sort()).toEqual(Object.keys(declared).sort());
    for (const name of Object.keys(native)) expect(typeof (native as unknown as Record<string, unknown>)[name], name).toBe('function');
  });
});
