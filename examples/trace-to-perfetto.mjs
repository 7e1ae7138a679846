// A timeline for Perfetto: run a workload on a VM created paused with tracing on, so the trace
// starts at the guest's first instruction, and write Chrome Trace Event JSON. Open the file in
// https://ui.perfetto.dev (Open trace file) or chrome://tracing. Every argument has a name
// (docs/tracing.md). Run it: node examples/trace-to-perfetto.mjs [FILE] (default trace.json)
import { writeFileSync } from 'node:fs';

import { Vm } from 'pvg-vmm';

const file = process.argv[2] ?? 'trace.json';
const vm = await Vm.create({ devices: [{ displayModes: ['1280x720@60'] }], workload: { name: 'desktop', frames: 30 }, start: 'paused', trace: true });
try {
  await vm.resume();
  await vm.whenGuestsDone();
  await vm.settle();
  const trace = vm.stopTrace();
  writeFileSync(file, JSON.stringify(trace));
  const tracks = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name');
  console.log(`${trace.traceEvents.length} events on ${tracks.length} tracks (${tracks.map((t) => t.args.name).join(', ')}) written to ${file}`);
  // Nothing the guest did is missing: every MMIO read the vCPU made is a span on its track.
  const vcpuTrack = tracks.find((t) => t.args.name === 'vcpu0').tid;
  const traced = trace.traceEvents.filter((e) => e.tid === vcpuTrack && e.name === 'apple_gfx_read').length;
  console.log(`vcpu0: ${traced} MMIO reads on the timeline, ${(await vm.stats()).vcpus[0].bus.reads} made`);
  if (trace.otherData.lostEvents > 0) console.log(`${trace.otherData.lostEvents} events lost: the rings wrapped (fewer frames keep them all)`);
} finally {
  await vm.stop();
}
