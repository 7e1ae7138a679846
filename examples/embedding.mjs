// The README's embedding example: a VM created paused with tracing on, so the listeners and the
// trace are in place before the guest's first instruction; then its last frame, a PNG snapshot
// and the counters. Run it: node examples/embedding.mjs (writes frame.png where it runs).
import { Vm } from 'pvg-vmm';

const vm = await Vm.create({
  ramMiB: 128,
  devices: [{ variant: 'pci', displayModes: ['1920x1080@60', '1280x720@60'] }],
  workload: { name: 'desktop', frames: 100 },
  outputs: { vnc: { port: 0 } }, // loopback, free ports (5900: display k on 5900 + k); web: { port } for the browser viewer
  start: 'paused', // every thread is up, no guest runs until vm.resume()
  trace: true, // every thread records from creation
});
vm.on('modeChange', (e) => console.log(`display ${e.display}: ${e.width}x${e.height}`));
vm.on('frame', () => {
  /* a frame reached the compositor: e.frameSeq */
});
vm.on('error', (failure) => console.error(failure.message)); // an actor died
await vm.resume(); // the guest's first instruction runs now
await vm.whenGuestsDone();
await vm.settle();
const timeline = vm.stopTrace(); // Chrome Trace Event JSON, from the first instruction on
const frame = await vm.frame(0, 0); // the last frame: width, height, ARGB pixels, cursor
await vm.snapshot('frame.png'); // as a person sees it (cursor composited)
const stats = await vm.stats();
console.log(`trace: ${timeline.traceEvents.length} events; last frame ${frame.width}x${frame.height}; ${stats.vcpus[0].guest.framesDone} frames drawn`);
await vm.stop();
