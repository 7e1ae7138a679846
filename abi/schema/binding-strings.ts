// The strings the native addon returns or takes and shared/native/types.ts types: futexWait's
// result, the testing addon's mailboxEnqueue result, why the vulkan backend refuses, a frame store's fault, and the Engine options' string
// values (native/src/addon/*_binding.cpp). Values are kebab-case; order is the C++ enum's.
import type { StringSet, Unit } from './types.js';

const set = (ts: string, values: string, doc: string, members: readonly (string | [string, string])[]): StringSet => ({
  ts: { type: ts, values },
  cpp: { enum: ts },
  doc,
  members: members.map((m) => (typeof m === 'string' ? { value: m } : { value: m[0], doc: m[1] })),
});

export const bindingStrings: Unit = {
  name: 'binding-strings',
  doc: "The strings the native addon's bindings return or take: futexWait's result, vulkan refusals, frame store faults, the Engine options' string values.",
  ts: 'abi/generated/binding-strings.ts',
  cpp: { path: 'native/src/abi/binding_strings.h', namespace: 'pvg::strings' },
  strings: [
    set('FutexWaitResult', 'FUTEX_WAIT_RESULTS', 'What futexWait and futexWaitEither return.', [
      ['ok', 'Woken (or spuriously: callers re-check their condition).'],
      ['not-equal', 'The word did not hold the expected value.'],
      ['timed-out', 'The timeout passed.'],
    ]),
    set('MailboxEnqueueResult', 'MAILBOX_ENQUEUE_RESULTS', "What the testing addon's mailboxEnqueue returns (the C++ mailbox's enqueue, for cross-checks).", [
      ['ok', 'The record is in the mailbox.'],
      ['closed', 'The mailbox is closed: nothing was enqueued.'],
      ['timed-out', 'The mailbox stayed full past the timeout.'],
    ]),
    set('VulkanRefusal', 'VULKAN_REFUSALS', "Why the vulkan backend cannot run here (docs/vulkan.md): vulkanProbe's reason, an ERR_PVG_VULKAN error's.", [
      ['not-built', 'This addon was built without the Vulkan headers or glslc.'],
      ['no-loader', 'The Vulkan loader could not be opened or lacks an entry point.'],
      ['no-instance', 'vkCreateInstance failed (no driver).'],
      ['no-device', 'No physical device with a compute queue (or not the one asked for).'],
      ['missing-feature', 'The loader or device lacks something the backend needs.'],
      ['init-failed', 'Creating the device, its queue or its pipeline failed.'],
    ]),
    set('StoreFault', 'STORE_FAULTS', "Why a frame store's device failed (engine stats' storeFault; the first fault stays).", [
      ['none', 'No fault.'],
      ['out-of-memory', 'Host or device memory ran out.'],
      ['device-lost', 'The GPU device was lost.'],
      ['device-error', 'Any other device error.'],
    ]),
    set(
      'MapSemantics',
      'MAP_SEMANTICS',
      "What the host's mapMemory/unmapMemory do where mappings already are (Engine opts.mapSemantics; actors/device/task-space.ts).",
      [
        ['strict', "This project's guest protocol (the default): an overlapping map is refused; an unmap removes whole mappings, at least one."],
        ['framework', 'The host contract upstream QEMU gives the framework: a map overwrites what it overlaps, an unmap clears its range.'],
      ],
    ),
    set('Pacing', 'PACINGS', "When a display's presents go out (Engine opts.displays[i].pacing).", [
      ['none', 'As fast as the ring goes (the default).'],
      ['refresh', "On the refresh ticks of the display's mode."],
    ]),
    set('Readback', 'READBACKS', "How a display's frames are read back (Engine opts.displays[i].readback).", [
      ['damage', 'The damage rectangles (the default).'],
      ['whole-frame', 'Every present damages the whole frame.'],
    ]),
    set('EngineBackend', 'ENGINE_BACKENDS', "Where the pixels are drawn (Engine opts.backend, engine stats' backend; docs/vulkan.md).", [
      ['soft', 'The CPU (the default).'],
      ['vulkan', 'A GPU through the Vulkan loader found at run time.'],
    ]),
  ],
};
